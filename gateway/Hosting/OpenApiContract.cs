using System.Globalization;
using System.Text.Json.Nodes;
using Ledger.Engine;
using Ledger.Gateway.Api;
using Ledger.ReadSide;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Ledger.Gateway.Hosting;

/// <summary>
/// Makes the generated document say what the handlers really take and send, so a client generated from it works with
/// no hand-written type: the query parameters each endpoint reads (<see cref="QueryParameters"/>), integer path
/// parameters, one security requirement per accepted scope (either suffices), the headers of 201 (<c>Location</c>),
/// 401 (<c>WWW-Authenticate</c>), 429 and 503 (<c>Retry-After</c>), and the import's CSV and NDJSON bodies.
/// </summary>
internal sealed class OpenApiOperationContract : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        operation.Parameters ??= [];
        foreach (var parameter in operation.Parameters.OfType<OpenApiParameter>())
        {
            if (parameter.In != ParameterLocation.Path) continue;
            if (parameter.Name == "branch") parameter.Schema = Integer("int32", 0, Limits.BranchMax);
            else if (parameter.Name == "account") parameter.Schema = Integer("int64", 0, Limits.AccountNumberMax);
        }
        if (metadata.OfType<QueryParameters>().FirstOrDefault() is { } query)
        {
            foreach (var q in query.All)
            {
                var schema = q.Type == "integer"
                    ? Integer(q.Format ?? "int64", q.Minimum, q.Maximum)
                    : new OpenApiSchema { Type = JsonSchemaType.String, Format = q.Format };
                if (q.Enum is { } values) schema.Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))];
                operation.Parameters.Add(new OpenApiParameter { Name = q.Name, In = ParameterLocation.Query, Required = q.Required, Description = q.Description, Schema = schema });
            }
        }

        foreach (var data in metadata.OfType<IAuthorizeData>())
        {
            if (data.Policy is not { } policy) continue;
            operation.Security ??= [];
            foreach (var scope in policy.Split('|'))
            {
                // Either scope is enough: one requirement each (scopes listed in one requirement would all be needed).
                operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(OpenApiDocumentInfo.Scheme, context.Document)] = [scope] });
            }
        }

        if (operation.Responses is { } responses)
        {
            foreach (var (status, response) in responses)
            {
                if (response is not OpenApiResponse r) continue;
                switch (status)
                {
                    case "201":
                        AddHeader(r, "Location", "The created resource: the account, or the statement page that lists exactly the entries created.");
                        break;
                    case "401":
                        AddHeader(r, "WWW-Authenticate", "Bearer, with error and error_description when a token was sent and refused.");
                        break;
                    case "429" or "503":
                        AddHeader(r, "Retry-After", "Seconds to wait before retrying.", JsonSchemaType.Integer);
                        break;
                }
                AddHeader(r, "X-Request-Id", "The request's id: the one sent, else a generated one.");
            }
        }

        if (context.Description.RelativePath == "v1/accounts/import" && operation.RequestBody is OpenApiRequestBody body)
        {
            body.Content = new Dictionary<string, OpenApiMediaType>
            {
                ["text/csv"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Lines branch,account,currency[,overdraftLimit]; an optional header line." } },
                ["application/x-ndjson"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Description = "One OpenAccountRequest JSON object per line." } },
            };
            body.Required = true;
        }
        else if (operation.RequestBody?.Content?.TryGetValue("application/json", out var media) == true && media is OpenApiMediaType
                 && RequestExamples.TryGetValue($"{context.Description.HttpMethod} {context.Description.RelativePath?.TrimEnd('/')}", out var example))
        {
            // The explorer fills a request from its example; built from the schema alone every optional member is null (a 400).
            ((OpenApiMediaType)media).Example = JsonNode.Parse(example);
        }
        return Task.CompletedTask;
    }

    /// <summary>A valid request per endpoint (the README's walkthrough), so "send" in the API explorer works as it is.</summary>
    private static readonly Dictionary<string, string> RequestExamples = new(StringComparer.Ordinal)
    {
        ["POST v1/accounts"] = """{"branch":1,"account":928013,"currency":"USD","overdraftLimit":0}""",
        ["POST v1/accounts/{branch}/{account}/batches"] =
            """{"entries":[{"entryKind":"ledger","correlationId":"dep-1","entryType":100,"description":"Cash deposit","amount":{"value":50000,"currency":"USD"}}]}""",
        ["POST v1/transaction-bundles"] =
            """{"bundleId":"bundle-1","legs":[{"branch":1,"account":928013,"entries":[{"entryKind":"ledger","correlationId":"out-1","entryType":200,"amount":{"value":1000,"currency":"USD"}}]},{"branch":1,"account":928014,"entries":[{"entryKind":"ledger","correlationId":"in-1","entryType":201,"amount":{"value":1000,"currency":"USD"}}]}]}""",
        ["POST v1/simulations"] =
            """{"catalog":{"historyCodes":[{"code":998,"name":"POS purchase","direction":"debit","domain":"cards","allowedKinds":["ledger","blocking"],"rules":[{"name":"maxAmount","value":"200000"}]}]},"from":null,"to":null}""",
    };

    private static OpenApiSchema Integer(string format, long? minimum, long? maximum) => new()
    {
        Type = JsonSchemaType.Integer,
        Format = format,
        Minimum = minimum?.ToString(CultureInfo.InvariantCulture),
        Maximum = maximum?.ToString(CultureInfo.InvariantCulture),
    };

    private static void AddHeader(OpenApiResponse response, string name, string description, JsonSchemaType type = JsonSchemaType.String)
    {
        response.Headers ??= new Dictionary<string, IOpenApiHeader>();
        response.Headers[name] = new OpenApiHeader { Description = description, Schema = new OpenApiSchema { Type = type } };
    }
}

/// <summary>
/// Schemas as the server reads and writes them: enums are strings; the members a request must carry are required (a
/// missing one is a 400 naming it); a request's <c>entryKind</c> is the enum; members left out when absent (a
/// statement's <c>nextCursor</c> on the last page, its account in the whole ledger's) are not required.
/// </summary>
internal sealed class OpenApiSchemaContract : IOpenApiSchemaTransformer
{
    private static readonly Dictionary<Type, string[]> RequiredOfRequests = new()
    {
        [typeof(EntryBatchRequest)] = ["entries"],
        [typeof(EntryRequestBody)] = ["entryKind", "correlationId"],
        [typeof(TransactionBundleRequest)] = ["bundleId", "legs"],
        [typeof(BundleLegRequest)] = ["branch", "account", "entries"],
        [typeof(OpenAccountRequest)] = ["branch", "account", "currency"],
    };

    private static readonly Dictionary<Type, string[]> OptionalOfResponses = new()
    {
        [typeof(StatementResponse)] = ["nextCursor", "branch", "account"],
    };

    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = context.JsonTypeInfo.Type;
        if (type.IsEnum)
        {
            schema.Type = JsonSchemaType.String;
        }
        if (RequiredOfRequests.TryGetValue(type, out var required))
        {
            schema.Required = new HashSet<string>(required);
            // A required member may not be null either (null is refused like a missing member).
            foreach (var name in required)
            {
                if (schema.Properties?.TryGetValue(name, out var member) == true && member is OpenApiSchema { Type: { } memberType } concrete)
                {
                    concrete.Type = memberType & ~JsonSchemaType.Null;
                }
            }
        }
        if (OptionalOfResponses.TryGetValue(type, out var optional) && schema.Required is { } set)
        {
            foreach (var name in optional) set.Remove(name);
        }
        if (type == typeof(EntryRequestBody) && schema.Properties?.TryGetValue("entryKind", out var kind) == true && kind is OpenApiSchema kindSchema)
        {
            kindSchema.Type = JsonSchemaType.String;
            kindSchema.Enum = [.. WireNames.Kinds.Select(k => (JsonNode)JsonValue.Create(WireNames.Kind(k)))];
        }
        return Task.CompletedTask;
    }
}
