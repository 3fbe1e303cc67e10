using System.Net;

namespace Ledger.Gateway.Tests;

/// <summary>An entryType that is an integer but not in the catalog is the ledger's decline, whatever its size.</summary>
public sealed class HistoryCodeTests
{
    private static GatewayServer Server => SharedGateway.Server;

    [TestCase(10_000)]
    [TestCase(int.MaxValue)]
    [TestCase(-1)]
    [TestCase(4_242)]
    public async Task AnUnknownCodeShouldBe422NamingTheEntryAndStaySticky(int code)
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        string id = "u" + code.ToString(System.Globalization.CultureInfo.InvariantCulture).Replace("-", "m", StringComparison.Ordinal);
        using var first = await client.PostAsync(account.Batches, Batch(Entry("ledger", "ok", 100, 5), Entry("ledger", id, code, 5)));
        var problem = await first.ProblemAsync(422, "unknown-history-code");
        Assert.That((int?)problem["entryIndex"], Is.EqualTo(1));
        Assert.That(await client.BalancesAsync(account), Is.EqualTo((0L, 0L)), "nothing of the batch applied");

        using var retry = await client.PostAsync(account.Batches, Batch(Entry("ledger", "ok", 100, 5), Entry("ledger", id, code, 5)));
        var again = await retry.ProblemAsync(422, "unknown-history-code");
        Assert.That((string?)again["detail"], Is.EqualTo((string?)problem["detail"]), "remembered: the same decline");
        using var other = await client.PostAsync(account.Batches, Batch(Entry("ledger", "ok", 100, 5), Entry("ledger", id, 100, 5)));
        await other.ProblemAsync(409, "idempotency-conflict");
    }

    [Test]
    public async Task AnEntryTypeThatIsNotAJsonIntegerShouldBe400()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        foreach (var type in new[] { "\"100\"", "1.5", "2147483648", "1e3" })
        {
            using var response = await client.PostAsync(account.Batches,
                Json($"{{\"entries\":[{{\"entryKind\":\"ledger\",\"correlationId\":\"t\",\"entryType\":{type},\"amount\":{{\"value\":1,\"currency\":\"USD\"}}}}]}}"));
            Assert.That((int)response.StatusCode, Is.EqualTo(400), type);
        }
        using var filter = await client.GetAsync($"/v2/entries?branch={account.Branch}&account={account.Number}&entryType=123456");
        Assert.That(filter.StatusCode, Is.EqualTo(HttpStatusCode.OK), "a filter by a code the catalog lacks matches nothing");
    }
}
