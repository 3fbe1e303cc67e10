using System.Net;
using Ledger.Engine.Catalog;
using Ledger.Testing;

namespace Ledger.Gateway.Tests;

/// <summary>
/// Issue 16: <c>PUT /v1/history-codes</c> promotes a catalog live through the ring as a journaled LoadCatalog, in force
/// from its sequence, the promoting client journaled; GET shows the version and since which sequence; a restart keeps
/// it. Each test runs its own server: a promotion changes the ledger for everyone on it.
/// </summary>
public sealed class PromotionTests
{
    private static StringContent CatalogBody(HistoryCatalog catalog) => Json(HistoryCatalogFile.ToJson(catalog));

    private static HistoryCatalog Lowered(long max) =>
        Catalogs.WithRules(new Dictionary<int, RuleDefinition[]> { [998] = [Catalogs.Rule("maxAmount", max), Catalogs.Rule("dailyCount", 2)] });

    [Test]
    public async Task APromotionShouldApplyFromItsSequenceBeJournaledWithItsClientAndSurviveARestart()
    {
        string dir = GatewayServer.NewDataDir();
        long since;
        await using (var server = await GatewayServer.StartOnAsync(dir))
        {
            var account = await server.OpenAccountAsync();
            using var partner = await server.ClientAsync();
            using var admin = await server.ClientAsync("ledger-admin");
            (await partner.PostAsync(account.Batches, Deposit("dep", 100_000))).EnsureSuccessStatusCode();
            (await partner.PostAsync(account.Batches, Batch(Entry("ledger", "big-before", 998, 5_000)))).EnsureSuccessStatusCode();

            using var put = await admin.PutAsync("/v1/history-codes", CatalogBody(Lowered(1_000)));
            Assert.That(put.StatusCode, Is.EqualTo(HttpStatusCode.OK), await put.Content.ReadAsStringAsync());
            var promoted = await put.BodyAsync();
            Assert.That(((int)promoted["version"]!, (string?)promoted["promotedBy"]), Is.EqualTo((2, "ledger-admin")));
            since = (long)promoted["since"]!;
            Assert.That(since, Is.EqualTo(3), "in force from the entry after the two before it");

            using var big = await partner.PostAsync(account.Batches, Batch(Entry("ledger", "big-after", 998, 5_000)));
            var problem = await big.ProblemAsync(422, "rule-declined");
            Assert.That((string?)problem["rule"], Is.EqualTo("maxAmount"));
            (await partner.PostAsync(account.Batches, Batch(Entry("ledger", "small-1", 998, 1_000)))).EnsureSuccessStatusCode();
            (await partner.PostAsync(account.Batches, Batch(Entry("ledger", "small-2", 998, 1_000)))).EnsureSuccessStatusCode();
            using var third = await partner.PostAsync(account.Batches, Batch(Entry("ledger", "small-3", 998, 1_000)));
            Assert.That((string?)(await third.ProblemAsync(422, "rule-declined"))["rule"], Is.EqualTo("dailyCount"));

            var get = await (await partner.GetAsync("/v1/history-codes")).BodyAsync();
            Assert.That(((int)get["version"]!, (long)get["since"]!, (string?)get["promotedBy"]), Is.EqualTo((2, since, "ledger-admin")));
        }
        // The catalog file still says 1 000 000: the promoted catalog stays in force, as do the day's counters.
        await using (var server = await GatewayServer.StartOnAsync(dir))
        {
            using var partner = await server.ClientAsync();
            var get = await (await partner.GetAsync("/v1/history-codes")).BodyAsync();
            Assert.That(((int)get["version"]!, (long)get["since"]!, (string?)get["promotedBy"]), Is.EqualTo((2, since, "ledger-admin")));
            var account = new TestAccount(1, server.Runtime.Store!.Engine.Accounts.All[0].Key.Number);
            using var again = await partner.PostAsync(account.Batches, Batch(Entry("ledger", "small-4", 998, 1_000)));
            Assert.That((string?)(await again.ProblemAsync(422, "rule-declined"))["rule"], Is.EqualTo("dailyCount"), "counters are in the store's checkpoint");
        }
        Directory.Delete(dir, recursive: true);
    }

    [TestCase("{\"historyCodes\":[]}", "defines no code")]
    [TestCase("{\"historyCodes\":[{\"code\":998,\"name\":\"POS\",\"direction\":\"debit\",\"domain\":\"cards\",\"allowedKinds\":[\"ledger\"],\"rules\":[{\"name\":\"dailyLimit\",\"value\":\"-5\"}]}]}", "History code 998, rule 1")]
    [TestCase("{\"historyCodes\":[{\"code\":1,\"name\":\"x\",\"direction\":\"sideways\",\"domain\":\"d\",\"allowedKinds\":[\"ledger\"]}]}", "direction")]
    [TestCase("{\"historyCodes\":[{\"code\":998,\"name\":\"POS\",\"direction\":\"debit\",\"domain\":\"cards\",\"allowedKinds\":[\"ledger\"]}],\"domains\":[{\"domain\":\"nosuch\",\"rules\":[]}]}", "nosuch")]
    [TestCase("{\"historyCodes\":", "not valid catalog JSON")]
    public async Task ABadCatalogShouldBe422NamingWhatAndWhereAndChangeNothing(string body, string named)
    {
        await using var server = await GatewayServer.StartAsync();
        using var admin = await server.ClientAsync("ledger-admin");
        using var put = await admin.PutAsync("/v1/history-codes", Json(body));
        var problem = await put.ProblemAsync(422, "invalid-catalog");
        Assert.That((string?)problem["detail"], Does.Contain(named));
        var get = await (await admin.GetAsync("/v1/history-codes")).BodyAsync();
        Assert.That(((int)get["version"]!, (string?)get["promotedBy"]), Is.EqualTo((1, (string?)null)));
    }

    [Test]
    public async Task OnlyAnAdminShouldPromote()
    {
        await using var server = await GatewayServer.StartAsync();
        using var partner = await server.ClientAsync();
        using var put = await partner.PutAsync("/v1/history-codes", CatalogBody(Lowered(1_000)));
        Assert.That(put.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }
}
