using System.Net;
using System.Text.Json.Nodes;
using Ledger.Engine.Catalog;
using Ledger.Testing;

namespace Ledger.Gateway.Tests;

/// <summary>
/// Issue 16, the <c>fee</c> rule through REST: the 201 lists the fee entry after the requested ones (derived id
/// <c>&lt;id&gt;:fee</c>, <c>feeOf</c>), the statement shows it, a replay answers the first body byte for byte, a reversal
/// reverses the fee too, a restart replays the journal to the same state hash, and a bad fee is a 422 naming where.
/// </summary>
public sealed class FeeTests
{
    private static StringContent FeeCatalog(string fee) =>
        Json(HistoryCatalogFile.ToJson(Catalogs.WithRules(new Dictionary<int, RuleDefinition[]> { [998] = [Catalogs.Rule("fee", fee)] })));

    [Test]
    public async Task AFeeShouldBeAnsweredListedReplayedReversedAndSurviveARestart()
    {
        string dir = GatewayServer.NewDataDir();
        ulong hash;
        TestAccount account;
        string firstBody;
        await using (var server = await GatewayServer.StartOnAsync(dir))
        {
            using var admin = await server.ClientAsync("ledger-admin");
            (await admin.PutAsync("/v1/history-codes", FeeCatalog("code=700 bps=150 min=5 max=500"))).EnsureSuccessStatusCode();
            account = await server.OpenAccountAsync();
            using var partner = await server.ClientAsync();
            (await partner.PostAsync(account.Batches, Deposit("dep", 100_000))).EnsureSuccessStatusCode();

            using var post = await partner.PostAsync(account.Batches, Batch(Entry("ledger", "buy", 998, 10_001), Entry("ledger", "buy2", 200, 1_000)));
            firstBody = await post.Content.ReadAsStringAsync();
            Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.Created), firstBody);
            var entries = JsonNode.Parse(firstBody)!["entries"]!.AsArray();
            Assert.That(entries.Select(e => (string)e!["correlationId"]!), Is.EqualTo(new[] { "buy", "buy2", "buy:fee" }));
            var fee = entries[2]!;
            Assert.That(((int)fee["entryType"]!, (string?)fee["direction"], (long)fee["amount"]!["value"]!, (string?)fee["feeOf"]), Is.EqualTo((700, "DEBIT", 150L, "buy")),
                "150 bps of 10 001 is 150.015: 150");
            Assert.That(entries[0]!["feeOf"], Is.Null, "a requested entry has no feeOf");
            Assert.That(Balances(JsonNode.Parse(firstBody)!["balances"]!), Is.EqualTo((100_000L - 10_001 - 1_000 - 150, 0L)));
            Assert.That(post.Headers.Location!.ToString(), Does.EndWith("&limit=3"), "the statement page of the batch includes its fee");

            using var again = await partner.PostAsync(account.Batches, Batch(Entry("ledger", "buy", 998, 10_001), Entry("ledger", "buy2", 200, 1_000)));
            Assert.That(await again.Content.ReadAsStringAsync(), Is.EqualTo(firstBody), "a replay answers the first body byte for byte");

            var statement = await partner.StatementAsync(account);
            var row = statement.Single(e => (string?)e!["correlationId"] == "buy:fee")!;
            Assert.That(((int)row["entryType"]!, (long)row["amount"]!["value"]!), Is.EqualTo((700, 150L)));

            using var reverse = await partner.PostAsync(account.Batches, Batch(Entry("reversal", "undo", reverses: "buy")));
            string reversal = await reverse.Content.ReadAsStringAsync();
            Assert.That(reverse.StatusCode, Is.EqualTo(HttpStatusCode.Created), reversal);
            var undone = JsonNode.Parse(reversal)!["entries"]!.AsArray();
            Assert.That(undone.Select(e => ((string)e!["correlationId"]!, (string?)e["direction"], (string?)e["feeOf"])),
                Is.EqualTo(new[] { ("undo", "CREDIT", (string?)null), ("undo:fee", "CREDIT", "undo") }));
            Assert.That(await partner.BalancesAsync(account), Is.EqualTo((100_000L - 1_000, 0L)), "the entry and its fee are given back");

            using var alone = await partner.PostAsync(account.Batches, Batch(Entry("reversal", "undo-fee", reverses: "buy:fee")));
            await alone.ProblemAsync(422, "not-reversible");
            hash = server.Runtime.Store!.Engine.ComputeStateHash();
        }
        await using (var server = await GatewayServer.StartOnAsync(dir))
        {
            Assert.That(server.Runtime.Store!.Engine.ComputeStateHash(), Is.EqualTo(hash), "the restart rebuilds the same state");
            using var partner = await server.ClientAsync();
            using var again = await partner.PostAsync(account.Batches, Batch(Entry("ledger", "buy", 998, 10_001), Entry("ledger", "buy2", 200, 1_000)));
            Assert.That(await again.Content.ReadAsStringAsync(), Is.EqualTo(firstBody), "and the first answer, after a restart too");
        }
        Directory.Delete(dir, recursive: true);
    }

    [Test]
    public async Task AFeeThatIsNotFundedShouldDeclineTheBatch()
    {
        await using var server = await GatewayServer.StartAsync();
        using var admin = await server.ClientAsync("ledger-admin");
        (await admin.PutAsync("/v1/history-codes", FeeCatalog("code=700 fixed=150"))).EnsureSuccessStatusCode();
        var account = await server.OpenAccountAsync();
        using var partner = await server.ClientAsync();
        (await partner.PostAsync(account.Batches, Deposit("dep", 1_000))).EnsureSuccessStatusCode();
        using var post = await partner.PostAsync(account.Batches, Batch(Entry("ledger", "all", 998, 1_000)));
        var problem = await post.ProblemAsync(422, "insufficient-funds");
        Assert.That((int?)problem["entryIndex"], Is.EqualTo(0));
        Assert.That(await partner.BalancesAsync(account), Is.EqualTo((1_000L, 0L)));
    }

    [Test]
    public async Task AnIdTooLongToDeriveItsFeeIdOrAFeeIdTakenShouldBeRefusedBeforeTheLedger()
    {
        await using var server = await GatewayServer.StartAsync();
        using var admin = await server.ClientAsync("ledger-admin");
        (await admin.PutAsync("/v1/history-codes", FeeCatalog("code=700 fixed=1"))).EnsureSuccessStatusCode();
        var account = await server.OpenAccountAsync();
        using var partner = await server.ClientAsync();
        (await partner.PostAsync(account.Batches, Deposit("dep", 1_000))).EnsureSuccessStatusCode();
        using var tooLong = await partner.PostAsync(account.Batches, Batch(Entry("ledger", new string('x', 61), 998, 10)));
        Assert.That((string?)(await tooLong.ProblemAsync(400, "validation"))["detail"], Does.Contain("<id>:fee must fit 64"));
        (await partner.PostAsync(account.Batches, Deposit("y:fee", 5))).EnsureSuccessStatusCode();
        using var taken = await partner.PostAsync(account.Batches, Batch(Entry("ledger", "y", 998, 10)));
        await taken.ProblemAsync(409, "idempotency-conflict");
        Assert.That(await partner.BalancesAsync(account), Is.EqualTo((1_005L, 0L)), "neither changed the ledger");
    }

    [TestCase("code=700 bps=0", "History code 998, rule 2: Rule 'fee' has 'bps=0'")]
    [TestCase("code=701 fixed=5", "History code 998, rule 2 (fee): the fee's code 701 is not defined")]
    [TestCase("code=999 fixed=5", "is a credit code")]
    public async Task ABadFeeShouldBe422NamingWhatAndWhere(string fee, string named)
    {
        await using var server = await GatewayServer.StartAsync();
        using var admin = await server.ClientAsync("ledger-admin");
        string body = "{\"historyCodes\":[" +
            "{\"code\":700,\"name\":\"Fee\",\"direction\":\"debit\",\"domain\":\"fees\",\"allowedKinds\":[\"ledger\"]}," +
            "{\"code\":999,\"name\":\"Refund\",\"direction\":\"credit\",\"domain\":\"cards\",\"allowedKinds\":[\"ledger\"]}," +
            "{\"code\":998,\"name\":\"POS\",\"direction\":\"debit\",\"domain\":\"cards\",\"allowedKinds\":[\"ledger\"]," +
            "\"rules\":[{\"name\":\"maxAmount\",\"value\":\"5\"},{\"name\":\"fee\",\"value\":\"" + fee + "\"}]}]}";
        using var put = await admin.PutAsync("/v1/history-codes", Json(body));
        var problem = await put.ProblemAsync(422, "invalid-catalog");
        Assert.That((string?)problem["detail"], Does.Contain(named));
    }

    [Test]
    public void ABadFeeInTheCatalogFileShouldStopStartUpSayingWhatToFix()
    {
        string file = Path.Combine(Path.GetTempPath(), "ledger-gateway-tests", "bad-fee-" + Guid.NewGuid().ToString("N") + ".json");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, "{\"historyCodes\":[{\"code\":998,\"name\":\"POS\",\"direction\":\"debit\",\"domain\":\"cards\"," +
                                "\"allowedKinds\":[\"ledger\"],\"rules\":[{\"name\":\"fee\",\"value\":\"code=700 fixed=5\"}]}]}");
        var error = Assert.Catch(() => Hosting.GatewayApp.Build(["--urls=http://127.0.0.1:0", $"--Ledger:DataDir={GatewayServer.NewDataDir()}", $"--Ledger:HistoryCodes={file}"]));
        Assert.That(error!.Message, Does.Contain(file).And.Contain("History code 998, rule 1 (fee): the fee's code 700 is not defined"));
        File.Delete(file);
    }
}
