using System.Net;
using System.Text;

namespace Ledger.Gateway.Tests;

/// <summary>
/// Strings the JSON reader cannot turn into text (a lone surrogate escape, invalid UTF-8 bytes) are malformed input:
/// a 400 Problem on every endpoint that reads a body, and nothing changes (they were a 500 in the batch reader).
/// </summary>
public sealed class MalformedStringTests
{
    private static GatewayServer Server => SharedGateway.Server;

    private static readonly string[] BadStrings = ["\\uDC00", "\\uD800x", "\\uD800\\u0041"];

    private static ByteArrayContent Raw(byte[] body, string type = "application/json") =>
        new(body) { Headers = { ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(type) } };

    private static byte[] InvalidUtf8(string jsonWithMarker) =>
        Encoding.UTF8.GetBytes(jsonWithMarker).SelectMany(b => b == (byte)'~' ? new byte[] { 0xC3, 0x28 } : [b]).ToArray();

    [Test]
    public async Task ABatchWithAnUnreadableStringShouldBe400AndChangeNothing()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        foreach (var bad in BadStrings)
        {
            foreach (var field in new[] { "description", "correlationId" })
            {
                string id = field == "correlationId" ? bad : "ok-1";
                string description = field == "description" ? bad : "fine";
                string body = $"{{\"entries\":[{{\"entryKind\":\"ledger\",\"correlationId\":\"{id}\",\"entryType\":100,\"amount\":{{\"value\":5,\"currency\":\"USD\"}},\"description\":\"{description}\"}}]}}";
                using var response = await client.PostAsync(account.Batches, Json(body));
                await response.ProblemAsync(400, "malformed-json");
            }
        }
        using var utf8 = await client.PostAsync(account.Batches, Raw(InvalidUtf8("{\"entries\":[{\"entryKind\":\"ledger\",\"correlationId\":\"u-1\",\"entryType\":100,\"amount\":{\"value\":5,\"currency\":\"USD\"},\"description\":\"caf~\"}]}")));
        await utf8.ProblemAsync(400, "malformed-json");
        Assert.That(await client.BalancesAsync(account), Is.EqualTo((0L, 0L)));
        Assert.That(await client.StatementAsync(account), Is.Empty);
    }

    [Test]
    public async Task ABundleAnAccountAndAnImportWithAnUnreadableStringShouldBe400()
    {
        var a = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        using var admin = await Server.ClientAsync("ledger-admin");
        foreach (var bad in BadStrings)
        {
            string bundle = $"{{\"bundleId\":\"{bad}\",\"legs\":[{{\"branch\":{a.Branch},\"account\":{a.Number},\"entries\":[{{\"entryKind\":\"ledger\",\"correlationId\":\"b1\",\"entryType\":100,\"amount\":{{\"value\":5,\"currency\":\"USD\"}}}}]}}]}}";
            using (var response = await client.PostAsync("/v1/transaction-bundles", Json(bundle))) await response.ProblemAsync(400, "malformed-json");
            using (var response = await admin.PostAsync("/v1/accounts", Json($"{{\"branch\":1,\"account\":77,\"currency\":\"{bad}\"}}"))) await response.ProblemAsync(400, "malformed-json");
            using (var response = await admin.PostAsync("/v1/accounts/import", Raw(Encoding.UTF8.GetBytes($"{{\"branch\":1,\"account\":78,\"currency\":\"{bad}\"}}\n"), "application/x-ndjson")))
            {
                Assert.That((int)response.StatusCode, Is.EqualTo(400), await response.Content.ReadAsStringAsync());
            }
        }
        Assert.That(await client.BalancesAsync(a), Is.EqualTo((0L, 0L)));
        using var missing = await admin.GetAsync("/v1/accounts/1/78");
        Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "the import opened nothing");
    }
}
