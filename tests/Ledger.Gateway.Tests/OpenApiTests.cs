using System.Net;
using System.Text.Json.Nodes;

namespace Ledger.Gateway.Tests;

/// <summary>The generated OpenAPI document and the explorer page.</summary>
public sealed class OpenApiTests
{
    private static GatewayServer Server => SharedGateway.Server;

    [TestCase("/v1/accounts/{branch}/{account}/batches", "post", "201", "EntryBatchGroupResponse")]
    [TestCase("/v1/accounts/{branch}/{account}/entries", "delete", "204", null)]
    [TestCase("/v1/accounts/{branch}/{account}/balances", "get", "200", "AccountBalancesResponse")]
    [TestCase("/v1/entries", "get", "200", "StatementResponse")]
    [TestCase("/v2/entries", "get", "200", "StatementResponse")]
    [TestCase("/v1/transaction-bundles", "post", "201", "TransactionBundleResponse")]
    [TestCase("/v1/accounts", "post", "201", "AccountResponse")]
    [TestCase("/v1/accounts/{branch}/{account}", "get", "200", "AccountResponse")]
    [TestCase("/v1/accounts/import", "post", "200", "AccountImportResponse")]
    public async Task ShouldListTheEndpointWithItsResponseSchemas(string path, string method, string status, string? schema)
    {
        var document = await DocumentAsync();
        var operation = document["paths"]?[path]?[method];
        Assert.That(operation, Is.Not.Null, $"{method} {path} is missing");
        var responses = operation!["responses"]!.AsObject();
        Assert.That(responses.ContainsKey(status), Is.True, $"{status} missing: {responses.ToJsonString()}");
        if (schema is not null)
        {
            Assert.That(SchemaRef(responses[status]!, "application/json"), Is.EqualTo("#/components/schemas/" + schema));
        }
        foreach (var (code, response) in responses)
        {
            if (code.StartsWith('4') || code.StartsWith('5'))
            {
                Assert.That(SchemaRef(response!, "application/problem+json"), Is.EqualTo("#/components/schemas/ProblemResponse"), $"{code} of {method} {path}");
            }
        }
        Assert.That(responses.ContainsKey("401") && responses.ContainsKey("403"), Is.True, "secured endpoints document 401 and 403");
    }

    [Test]
    public async Task ShouldDescribeTheEntryResponseFieldsAsSent()
    {
        var schemas = (await DocumentAsync())["components"]!["schemas"]!;
        var entry = schemas["EntryResponse"]!["properties"]!.AsObject();
        Assert.That(entry.Select(p => p.Key), Is.EquivalentTo(new[] { "correlationId", "entryType", "direction", "status", "sequence", "timestamp", "asOfDate", "amount", "feeOf" }), "feeOf: a fee entry's carrier (issue 16)");
        var direction = schemas["DirectionName"]!["enum"]!.AsArray().Select(v => (string)v!);
        Assert.That(direction, Is.EquivalentTo(new[] { "DEBIT", "CREDIT" }));
        var problem = schemas["ProblemResponse"]!["properties"]!.AsObject();
        Assert.That(problem.Select(p => p.Key), Is.SupersetOf(new[] { "type", "title", "status", "detail", "entryIndex", "rule" }));
        var status = schemas["EntryStatusName"]!["enum"]!.AsArray().Select(v => (string)v!);
        Assert.That(status, Is.EquivalentTo(new[] { "POSTED", "PENDING", "EXPIRED", "RELEASED", "REMOVED" }));
    }

    [TestCase("/v1/accounts/{branch}/{account}/batches", "post", "ledger:write")]
    [TestCase("/v1/entries", "get", "ledger:read")]
    [TestCase("/v1/history-codes", "get", "ledger:read")]
    [TestCase("/v1/accounts", "post", "ledger:admin")]
    public async Task ShouldDeclareTheScopeEachOperationNeeds(string path, string method, string scope)
    {
        var document = await DocumentAsync();
        var scheme = document["components"]!["securitySchemes"]!["oauth2"]!;
        Assert.That((string?)scheme["flows"]!["clientCredentials"]!["tokenUrl"], Is.EqualTo("/connect/token"));
        var security = document["paths"]![path]![method]!["security"]!.AsArray();
        Assert.That(security[0]!["oauth2"]!.AsArray().Select(s => (string)s!), Does.Contain(scope));
    }

    [TestCase("/v1/entries", "get", "branch,account,from,to,limit,cursor")]
    [TestCase("/v2/entries", "get", "branch,account,from,to,limit,cursor,entryType,entryKind,status,minAmount,maxAmount,correlationId")]
    [TestCase("/v1/accounts/{branch}/{account}/balances", "get", "at")]
    [TestCase("/v1/accounts/{branch}/{account}/entries", "delete", "correlationId")]
    [TestCase("/v1/accounts/{branch}/{account}/batches", "post", "")]
    public async Task ShouldDeclareTheQueryParametersTheHandlerReads(string path, string method, string names)
    {
        var operation = (await DocumentAsync())["paths"]![path]![method]!;
        var parameters = operation["parameters"]?.AsArray() ?? [];
        var query = parameters.Where(p => (string?)p!["in"] == "query").ToList();
        Assert.That(query.Select(p => (string)p!["name"]!), Is.EqualTo(names.Split(',', StringSplitOptions.RemoveEmptyEntries)));
        foreach (var p in query) Assert.That((string?)p!["schema"]!["type"], Is.AnyOf("integer", "string"), "one type, no integer-or-string");
        foreach (var p in parameters.Where(p => (string?)p!["in"] == "path"))
        {
            Assert.That((string?)p!["schema"]!["type"], Is.EqualTo("integer"), $"path {(string?)p["name"]} is a number");
        }
        if (path == "/v1/entries") Assert.That(query.Where(p => (bool?)p!["required"] == true), Is.Empty, "branch and account together, or neither (the whole ledger)");
    }

    [Test]
    public async Task ShouldTypeSchemasAsTheServerReadsAndWritesThem()
    {
        var document = await DocumentAsync();
        var schemas = document["components"]!["schemas"]!;
        Assert.That(schemas["StatementResponse"]!["required"]!.AsArray().Select(n => (string)n!), Does.Not.Contain("nextCursor"), "left out on the last page");
        Assert.That(schemas["OpenAccountRequest"]!["required"]!.AsArray().Select(n => (string)n!), Is.EquivalentTo(new[] { "branch", "account", "currency" }));
        Assert.That(schemas["EntryRequestBody"]!["required"]!.AsArray().Select(n => (string)n!), Is.EquivalentTo(new[] { "entryKind", "correlationId" }));
        var kind = schemas["EntryRequestBody"]!["properties"]!["entryKind"]!;
        Assert.That(kind["enum"]!.AsArray().Select(n => (string)n!), Is.EqualTo(new[] { "ledger", "blocking", "unblocking", "reversal", "removal" }));
        Assert.That((string?)schemas["EntryStatusName"]!["type"], Is.EqualTo("string"));
        var value = schemas["AmountBody"]!["properties"]!["value"]!;
        Assert.That(value["type"]!.ToJsonString(), Does.Not.Contain("string"), "numbers are JSON numbers only");
        Assert.That((string?)value["format"], Is.EqualTo("int64"));
        foreach (var server in document["servers"]?.AsArray() ?? []) Assert.That((string)server!["url"]!, Does.Not.EndWith("/"));
    }

    [Test]
    public async Task ShouldDeclareHeadersImportBodiesAndEitherScope()
    {
        var paths = (await DocumentAsync())["paths"]!;
        var batch = paths["/v1/accounts/{branch}/{account}/batches"]!["post"]!["responses"]!;
        Assert.That(batch["201"]!["headers"]!["Location"], Is.Not.Null);
        Assert.That(batch["401"]!["headers"]!["WWW-Authenticate"], Is.Not.Null);
        Assert.That(batch["503"]!["headers"]!["Retry-After"], Is.Not.Null);
        Assert.That(batch["429"]!["headers"]!["Retry-After"], Is.Not.Null);
        var import = paths["/v1/accounts/import"]!["post"]!["requestBody"]!["content"]!.AsObject();
        Assert.That(import.Select(c => c.Key), Is.EquivalentTo(new[] { "text/csv", "application/x-ndjson" }));
        var security = paths["/v1/accounts/{branch}/{account}"]!["get"]!["security"]!.AsArray();
        Assert.That(security.Select(r => string.Join(" ", r!["oauth2"]!.AsArray().Select(s => (string)s!))), Is.EquivalentTo(new[] { "ledger:read", "ledger:admin" }),
            "either scope: two requirements of one scope each");
    }

    [TestCase("/v1/accounts/{branch}/{account}/balances", "get")]
    [TestCase("/v1/accounts/{branch}/{account}", "get")]
    [TestCase("/v1/entries", "get")]
    [TestCase("/v2/entries", "get")]
    public async Task ShouldDeclareTheMinSequenceHeaderAndReadSideBehindOnTheReadsThatTakeIt(string path, string method)
    {
        var operation = (await DocumentAsync())["paths"]![path]![method]!;
        var header = operation["parameters"]!.AsArray().SingleOrDefault(p => (string?)p!["name"] == "Ledger-Min-Sequence");
        Assert.That(header, Is.Not.Null, $"{method} {path} takes Ledger-Min-Sequence");
        Assert.That((string?)header!["in"], Is.EqualTo("header"));
        Assert.That((bool?)header["required"] ?? false, Is.False, "on request only");
        Assert.That((string?)header["schema"]!["type"], Is.EqualTo("integer"));
        Assert.That((string?)header["schema"]!["format"], Is.EqualTo("int64"));
        Assert.That((long?)header["schema"]!["minimum"], Is.EqualTo(1));
        var unavailable = operation["responses"]!["503"]!;
        Assert.That((string?)unavailable["description"], Does.Contain("read-side-behind").And.Contain("Ledger-Min-Sequence"));
        Assert.That(unavailable["headers"]!["Retry-After"], Is.Not.Null);
        Assert.That(operation["responses"]!.AsObject().ContainsKey("421"), Is.False, "a replica answers reads");
    }

    [Test]
    public async Task ShouldDeclareTheMinSequenceHeaderOnNoOtherOperation()
    {
        var taking = new List<string>();
        foreach (var (path, method, operation) in Operations(await DocumentAsync()))
        {
            if (operation["parameters"]?.AsArray().Any(p => (string?)p!["name"] == "Ledger-Min-Sequence") == true) taking.Add($"{method} {path}");
        }
        Assert.That(taking, Is.EquivalentTo(new[]
        {
            "get /v1/accounts/{branch}/{account}/balances", "get /v1/accounts/{branch}/{account}", "get /v1/entries", "get /v2/entries",
        }));
    }

    [Test]
    public async Task ShouldDeclare421ReadOnlyReplicaOnEveryWriteAReplicaRefuses()
    {
        var refused = new List<string>();
        foreach (var (path, method, operation) in Operations(await DocumentAsync()))
        {
            var responses = operation["responses"]!.AsObject();
            if (!responses.ContainsKey("421")) continue;
            refused.Add($"{method} {path}");
            Assert.That(SchemaRef(responses["421"]!, "application/problem+json"), Is.EqualTo("#/components/schemas/ProblemResponse"), $"{method} {path}");
            Assert.That((string?)responses["421"]!["description"], Does.StartWith("read-only-replica:"));
            Assert.That(responses["421"]!["headers"]!["X-Request-Id"], Is.Not.Null);
        }
        Assert.That(refused, Is.EquivalentTo(new[]
        {
            "post /v1/accounts/{branch}/{account}/batches", "delete /v1/accounts/{branch}/{account}/entries", "post /v1/transaction-bundles",
            "post /v1/accounts", "post /v1/accounts/import", "put /v1/history-codes", "post /v1/simulations", "delete /v1/simulations/{id}",
        }), "every write under /v1 and /v2, nothing else (not /perf, not a read)");
    }

    private static IEnumerable<(string Path, string Method, JsonNode Operation)> Operations(JsonNode document)
    {
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                if (method is "get" or "post" or "put" or "patch" or "delete") yield return (path, method, operation!);
            }
        }
    }

    [Test]
    public async Task ShouldServeTheExplorerPageAtDocs()
    {
        using var response = await Server.Anonymous.GetAsync("/docs/v1");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/html"));
        string html = await response.Content.ReadAsStringAsync();
        Assert.That(html, Does.Contain("/openapi/v1.json").Or.Contain("openapi"));
        Assert.That(html, Does.Not.Contain("fonts.scalar.com"), "no font CDN: the page works offline");
        Assert.That(html, Does.Contain("\"agent\":{\"disabled\":true}"), "no Ask AI on a private banking API");
        Assert.That(html, Does.Contain("\"mcp\":{\"disabled\":true}"));
        Assert.That(html, Does.Contain("\"showDeveloperTools\":\"never\""), "no Deploy / Share toolbar");
        Assert.That(html, Does.Contain("demo-partner").And.Contain("demo-secret"), "the demo client prefilled");
        Assert.That(html, Does.Contain("\"selectedScopes\":[\"ledger:read\",\"ledger:write\",\"domain:*\"]"), "scopes the demo client holds");
    }

    [Test]
    public async Task EveryRequestExampleShouldBeAcceptedAsItIs()
    {
        await using var server = await GatewayServer.StartAsync();
        var document = await (await server.Anonymous.GetAsync("/openapi/v1.json")).BodyAsync();
        using var admin = await server.ClientAsync("ledger-admin");
        using var partner = await server.ClientAsync("demo-partner");
        // In the order a newcomer would send them: the account, its deposit, a transfer to a second account, a what-if.
        var sent = new List<string>();
        foreach (var (path, client) in new[] { ("/v1/accounts", admin), ("/v1/accounts/{branch}/{account}/batches", partner),
                                                ("/v1/transaction-bundles", partner), ("/v1/simulations", admin) })
        {
            var example = document["paths"]![path]!["post"]!["requestBody"]!["content"]!["application/json"]!["example"];
            Assert.That(example, Is.Not.Null, $"POST {path} has no request example: the explorer would send nulls");
            if (path == "/v1/transaction-bundles")
                (await admin.PostAsync("/v1/accounts", Json("""{"branch":1,"account":928014,"currency":"USD"}"""))).EnsureSuccessStatusCode();
            using var response = await client.PostAsync(path.Replace("{branch}", "1").Replace("{account}", "928013"), Json(example!.ToJsonString()));
            Assert.That((int)response.StatusCode, Is.InRange(200, 299), $"POST {path} with its example: {await response.Content.ReadAsStringAsync()}");
            sent.Add(path);
        }
        Assert.That(sent, Has.Count.EqualTo(4));
    }

    private static async Task<JsonNode> DocumentAsync()
    {
        using var response = await Server.Anonymous.GetAsync("/openapi/v1.json");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return await response.BodyAsync();
    }

    private static string? SchemaRef(JsonNode response, string mediaType) => (string?)response["content"]?[mediaType]?["schema"]?["$ref"];
}
