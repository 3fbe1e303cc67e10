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
        Assert.That(entry.Select(p => p.Key), Is.EquivalentTo(new[] { "correlationId", "entryType", "status", "sequence", "timestamp", "asOfDate", "amount" }));
        var problem = schemas["ProblemResponse"]!["properties"]!.AsObject();
        Assert.That(problem.Select(p => p.Key), Is.SupersetOf(new[] { "type", "title", "status", "detail", "entryIndex", "rule" }));
        var status = schemas["EntryStatusName"]!["enum"]!.AsArray().Select(v => (string)v!);
        Assert.That(status, Is.EquivalentTo(new[] { "POSTED", "PENDING", "EXPIRED", "RELEASED", "REMOVED" }));
    }

    [TestCase("/v1/accounts/{branch}/{account}/batches", "post", "ledger:write")]
    [TestCase("/v1/entries", "get", "ledger:read")]
    [TestCase("/v1/accounts", "post", "ledger:admin")]
    public async Task ShouldDeclareTheScopeEachOperationNeeds(string path, string method, string scope)
    {
        var document = await DocumentAsync();
        var scheme = document["components"]!["securitySchemes"]!["oauth2"]!;
        Assert.That((string?)scheme["flows"]!["clientCredentials"]!["tokenUrl"], Is.EqualTo("/connect/token"));
        var security = document["paths"]![path]![method]!["security"]!.AsArray();
        Assert.That(security[0]!["oauth2"]!.AsArray().Select(s => (string)s!), Does.Contain(scope));
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
    }

    private static async Task<JsonNode> DocumentAsync()
    {
        using var response = await Server.Anonymous.GetAsync("/openapi/v1.json");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return await response.BodyAsync();
    }

    private static string? SchemaRef(JsonNode response, string mediaType) => (string?)response["content"]?[mediaType]?["schema"]?["$ref"];
}
