using System.Net;

namespace Ledger.Gateway.Tests;

/// <summary>
/// Integrators send entryType and amount.currency on every entry, follow-ups included: fields that agree with the
/// referenced entry are accepted; one that disagrees is a 422 reference-mismatch naming the field and both values,
/// sticky like every ledger decline.
/// </summary>
public sealed class FollowUpFieldTests
{
    private static GatewayServer Server => SharedGateway.Server;

    private static async Task<(TestAccount Account, HttpClient Client)> FundedAsync()
    {
        var account = await Server.OpenAccountAsync();
        var client = await Server.ClientAsync();
        using var funded = await client.PostAsync(account.Batches, Batch(
            Entry("ledger", "dep", 100, 10_000), Entry("ledger", "buy", 998, 2_500), Entry("blocking", "hold", 998, 1_000), Entry("blocking", "hold2", 998, 400)));
        Assert.That(funded.StatusCode, Is.EqualTo(HttpStatusCode.Created), await funded.Content.ReadAsStringAsync());
        return (account, client);
    }

    [Test]
    public async Task FieldsThatAgreeWithTheReferencedEntryShouldBeAccepted()
    {
        var (account, client) = await FundedAsync();
        using (client)
        {
            using var release = await client.PostAsync(account.Batches, Batch(Entry("unblocking", "rel", 998, 300, unblocks: "hold")));
            Assert.That(release.StatusCode, Is.EqualTo(HttpStatusCode.Created), await release.Content.ReadAsStringAsync());
            using var reverse = await client.PostAsync(account.Batches, Batch(Entry("reversal", "rev", 998, 2_500, reverses: "buy")));
            Assert.That(reverse.StatusCode, Is.EqualTo(HttpStatusCode.Created), await reverse.Content.ReadAsStringAsync());
            using var remove = await client.PostAsync(account.Batches, Batch(Entry("removal", "rm", 998, removes: "hold2")));
            Assert.That(remove.StatusCode, Is.EqualTo(HttpStatusCode.Created), await remove.Content.ReadAsStringAsync());
            using var currencyOnly = await client.PostAsync(account.Batches, Json(
                "{\"entries\":[{\"entryKind\":\"unblocking\",\"correlationId\":\"rel2\",\"entryType\":998,\"unblocks\":\"hold\",\"amount\":{\"currency\":\"USD\"}}]}"));
            Assert.That(currencyOnly.StatusCode, Is.EqualTo(HttpStatusCode.Created), "a currency alone releases the rest: " + await currencyOnly.Content.ReadAsStringAsync());
            Assert.That(await client.BalancesAsync(account), Is.EqualTo((10_000L, 0L)));
        }
    }

    [TestCase("unblocking", 100, null, "entryType", "100", "998", TestName = "AnUnblockingOfAnotherEntryTypeShouldBeAReferenceMismatch")]
    [TestCase("reversal", 200, null, "entryType", "200", "998", TestName = "AReversalOfAnotherEntryTypeShouldBeAReferenceMismatch")]
    [TestCase("reversal", 998, 2_400L, "amount.value", "2400", "2500", TestName = "AReversalOfAnotherAmountShouldBeAReferenceMismatch")]
    [TestCase("removal", 998, 999L, "amount.value", "999", "1000", TestName = "ARemovalOfAnotherAmountShouldBeAReferenceMismatch")]
    public async Task AFieldThatDisagreesShouldBe422NamingItAndBothValues(string kind, int entryType, long? amount, string field, string sent, string referencedValue)
    {
        var (account, client) = await FundedAsync();
        using (client)
        {
            string target = kind == "reversal" ? "buy" : "hold";
            string entry = kind switch
            {
                "reversal" => Entry(kind, "f1", entryType, amount, reverses: target),
                "removal" => Entry(kind, "f1", entryType, amount, removes: target),
                _ => Entry(kind, "f1", entryType, amount, unblocks: target),
            };
            using var first = await client.PostAsync(account.Batches, Batch(entry));
            var problem = await first.ProblemAsync(422, "reference-mismatch");
            Assert.That((string?)problem["detail"], Does.Contain(field).And.Contain(sent).And.Contain(referencedValue));
            Assert.That(problem["conflictingFields"]!.AsArray().Select(f => (string?)f), Is.EqualTo(new[] { field }));
            Assert.That((int?)problem["entryIndex"], Is.EqualTo(0));
            Assert.That(await client.BalancesAsync(account), Is.EqualTo((6_100L, 1_400L)), "nothing applied");

            using var retry = await client.PostAsync(account.Batches, Batch(entry));
            var again = await retry.ProblemAsync(422, "reference-mismatch");
            Assert.That((string?)again["detail"], Is.EqualTo((string?)problem["detail"]), "sticky: the same answer, the referenced values included");
        }
    }

    [Test]
    public async Task AReferenceMismatchShouldStayTheSameAfterARestart()
    {
        string dataDir = GatewayServer.NewDataDir();
        try
        {
            string detail;
            TestAccount account;
            await using (var first = await GatewayServer.StartOnAsync(dataDir))
            {
                account = await first.OpenAccountAsync();
                using var client = await first.ClientAsync();
                (await client.PostAsync(account.Batches, Batch(Entry("ledger", "dep", 100, 5_000), Entry("ledger", "buy", 998, 700)))).EnsureSuccessStatusCode();
                using var declined = await client.PostAsync(account.Batches, Batch(Entry("reversal", "rev", 100, reverses: "buy")));
                detail = (string)(await declined.ProblemAsync(422, "reference-mismatch"))["detail"]!;
            }
            await using var second = await GatewayServer.StartOnAsync(dataDir);
            using var again = await second.ClientAsync();
            using var retry = await again.PostAsync(account.Batches, Batch(Entry("reversal", "rev", 100, reverses: "buy")));
            Assert.That((string?)(await retry.ProblemAsync(422, "reference-mismatch"))["detail"], Is.EqualTo(detail));
        }
        finally
        {
            if (Directory.Exists(dataDir)) Directory.Delete(dataDir, recursive: true);
        }
    }
}
