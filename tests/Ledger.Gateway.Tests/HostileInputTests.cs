using System.Net;
using System.Text;

namespace Ledger.Gateway.Tests;

/// <summary>
/// Hostile input the malformed-input campaign does not make (issue 17, item 4): a 10 MB body, nesting far past any
/// depth, duplicate keys, numbers past long.MaxValue, sums that overflow, and garbage in every query parameter of the
/// read endpoints. Each is a 4xx Problem (or an ordinary read), never a 5xx, and the account is unchanged.
/// </summary>
public sealed class HostileInputTests
{
    private static GatewayServer Server => SharedGateway.Server;

    private const string AmountPastLongMax = "9223372036854775808";

    public static IEnumerable<TestCaseData> Bodies()
    {
        string entry(string amount, string id = "x") =>
            $"{{\"entryKind\":\"ledger\",\"correlationId\":\"{id}\",\"entryType\":100,\"amount\":{{\"value\":{amount},\"currency\":\"USD\"}}}}";
        yield return new TestCaseData(new string('[', 200_000), 400).SetName("ShouldRefuseNestingFarPastAnyDepth");
        yield return new TestCaseData($"{{\"entries\":[{entry("1")}],\"entries\":[{entry("999999")}]}}", 400).SetName("ShouldRefuseADuplicateEntriesKey");
        yield return new TestCaseData($"{{\"entries\":[{{\"entryKind\":\"ledger\",\"correlationId\":\"x\",\"entryType\":100,\"amount\":{{\"value\":1,\"currency\":\"USD\"}},\"amount\":{{\"value\":999999,\"currency\":\"USD\"}}}}]}}", 400)
            .SetName("ShouldRefuseADuplicateAmountKey");
        yield return new TestCaseData($"{{\"entries\":[{entry(AmountPastLongMax)}]}}", 400).SetName("ShouldRefuseAnAmountPastLongMax");
        yield return new TestCaseData($"{{\"entries\":[{entry("1e30")}]}}", 400).SetName("ShouldRefuseAnAmountInExponentForm");
        yield return new TestCaseData($"{{\"entries\":[{entry("4611686018427387903", "a")},{entry("4611686018427387903", "b")}]}}", 422).SetName("ShouldDeclineASumThatOverflows");
    }

    [TestCaseSource(nameof(Bodies))]
    public async Task ShouldAnswerHostileBodiesWithA4xxAndChangeNothing(string body, int status)
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        (await client.PostAsync(account.Batches, Deposit("funds", 1_000))).EnsureSuccessStatusCode();
        using var response = await client.PostAsync(account.Batches, new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.That((int)response.StatusCode, Is.EqualTo(status), await response.Content.ReadAsStringAsync());
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(await client.BalancesAsync(account), Is.EqualTo((1_000L, 0L)), "nothing changed");
    }

    [Test]
    public async Task ShouldRefuseATenMegabyteBodyWith413()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        string body = "{\"entries\":[{\"entryKind\":\"ledger\",\"correlationId\":\"x\",\"entryType\":100,\"description\":\"" + new string('a', 10 << 20) +
                      "\",\"amount\":{\"value\":1,\"currency\":\"USD\"}}]}";
        HttpResponseMessage? response = null;
        try
        {
            response = await client.PostAsync(account.Batches, new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.That((int)response.StatusCode, Is.EqualTo(413), await response.Content.ReadAsStringAsync());
        }
        catch (HttpRequestException)
        {
            // Kestrel may answer 413 and close the connection before the client finished sending: also a refusal
        }
        finally
        {
            response?.Dispose();
        }
        Assert.That(await client.BalancesAsync(account), Is.EqualTo((0L, 0L)));
    }

    [TestCase("branch", "x")]
    [TestCase("account", "-1")]
    [TestCase("from", "yesterday")]
    [TestCase("to", "2026-13-45")]
    [TestCase("limit", "-5")]
    [TestCase("limit", "99999999999999999999")]
    [TestCase("cursor", "%00%ff")]
    [TestCase("correlationId", "")]
    [TestCase("entryKind", "teleport")]
    [TestCase("entryType", "1e3")]
    [TestCase("status", "MAYBE")]
    [TestCase("minAmount", AmountPastLongMax)]
    [TestCase("maxAmount", "NaN")]
    public async Task ShouldAnswerGarbageInAStatementParameterWith400(string name, string value)
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        foreach (string path in new[] { account.Statement, account.StatementV2 })
        {
            string query = name is "branch" or "account" ? path.Replace($"{name}=", $"{name}={Uri.EscapeDataString(value)}&ignored=", StringComparison.Ordinal) : $"{path}&{name}={value}";
            using var response = await client.GetAsync(query);
            Assert.That((int)response.StatusCode, Is.InRange(400, 499), $"{query}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    [TestCase("yesterday")]
    [TestCase("99999-01-01T00:00:00Z")]
    [TestCase("")]
    public async Task ShouldAnswerGarbageInAtWith400(string at)
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        using var response = await client.GetAsync($"{account.Balances}?at={Uri.EscapeDataString(at)}");
        Assert.That((int)response.StatusCode, Is.InRange(400, 499), await response.Content.ReadAsStringAsync());
    }
}
