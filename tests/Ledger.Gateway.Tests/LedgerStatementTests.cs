using System.Net;
using System.Text.Json.Nodes;

namespace Ledger.Gateway.Tests;

/// <summary>
/// GET /v1/entries with neither branch nor account (the whole ledger's statement, in sequence order, each entry naming
/// its account), the direction of every entry, and GET /v1/history-codes. On a gateway of its own, so the whole ledger
/// holds exactly what these tests posted.
/// </summary>
public sealed class LedgerStatementTests
{
    private GatewayServer _server = null!;
    private TestAccount _a = null!, _b = null!;
    private string _a3a4Answer = "";

    private static StringContent UnblockAndBuy() => Batch(Entry("unblocking", "a3", unblocks: "a2"), Entry("ledger", "a4", 998, 100));

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _server = await GatewayServer.StartAsync();
        _a = await _server.OpenAccountAsync();
        _b = await _server.OpenAccountAsync();
        using var client = await _server.ClientAsync();
        (await client.PostAsync(_a.Batches, Batch(Entry("ledger", "a1", 100, 1_000), Entry("blocking", "a2", 998, 300)))).EnsureSuccessStatusCode();
        (await client.PostAsync(_b.Batches, Batch(Entry("ledger", "b1", 100, 500)))).EnsureSuccessStatusCode();
        using (var answer = await client.PostAsync(_a.Batches, UnblockAndBuy()))
        {
            _a3a4Answer = await answer.EnsureSuccessStatusCode().Content.ReadAsStringAsync();
        }
        (await client.PostAsync(_a.Batches, Batch(Entry("reversal", "a5", reverses: "a4")))).EnsureSuccessStatusCode();
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _server.DisposeAsync();

    private static string[] Ids(JsonNode page) => [.. page["entries"]!.AsArray().Select(e => (string)e!["correlationId"]!)];

    [Test]
    public async Task ShouldListEveryAccountsEntriesInSequenceOrderPageByPage()
    {
        using var client = await _server.ClientAsync();
        var all = await (await client.GetAsync("/v1/entries")).BodyAsync();
        Assert.That(Ids(all), Is.EqualTo(new[] { "a1", "a2", "b1", "a3", "a4", "a5" }));
        Assert.That(all["branch"], Is.Null, "the whole ledger names no one account");
        var sequences = all["entries"]!.AsArray().Select(e => (long)e!["sequence"]!).ToArray();
        Assert.That(sequences, Is.Ordered.Ascending);
        var b1 = all["entries"]![2]!;
        Assert.That(((int)b1["branch"]!, (long)b1["account"]!), Is.EqualTo((_b.Branch, _b.Number)));
        Assert.That((string?)b1["amount"]!["currency"], Is.EqualTo("USD"));

        var seen = new List<string>();
        string? cursor = null;
        for (int pages = 0; pages < 10; pages++)
        {
            var page = await (await client.GetAsync("/v1/entries?limit=4" + (cursor is null ? "" : "&cursor=" + cursor))).BodyAsync();
            seen.AddRange(Ids(page));
            cursor = (string?)page["nextCursor"];
            if (cursor is null) break;
        }
        Assert.That(seen, Is.EqualTo(Ids(all)), "pages neither skip nor repeat");
    }

    [Test]
    public async Task ShouldApplyTheDateWindowAndV2FiltersToTheWholeLedger()
    {
        using var client = await _server.ClientAsync();
        var all = await (await client.GetAsync("/v1/entries")).BodyAsync();
        string b1At = (string)all["entries"]![2]!["timestamp"]!;
        var from = await (await client.GetAsync("/v1/entries?from=" + Uri.EscapeDataString(b1At))).BodyAsync();
        Assert.That(Ids(from), Is.EqualTo(new[] { "b1", "a3", "a4", "a5" }), "from is inclusive");
        var before = await (await client.GetAsync("/v1/entries?to=" + Uri.EscapeDataString(b1At))).BodyAsync();
        Assert.That(Ids(before), Is.EqualTo(new[] { "a1", "a2" }), "to is exclusive");
        var deposits = await (await client.GetAsync("/v2/entries?entryType=100")).BodyAsync();
        Assert.That(Ids(deposits), Is.EqualTo(new[] { "a1", "b1" }));
        var released = await (await client.GetAsync("/v2/entries?status=RELEASED")).BodyAsync();
        Assert.That(Ids(released), Is.EqualTo(new[] { "a2" }));
    }

    [TestCase("/v1/entries?branch=1", "neither")]
    [TestCase("/v1/entries?account=5", "neither")]
    [TestCase("/v2/entries?correlationId=a1", "give branch and account")]
    public async Task ShouldRefuseAHalfNamedAccountOrAnAccountsOnlyFilter(string query, string detail)
    {
        using var client = await _server.ClientAsync();
        var problem = await (await client.GetAsync(query)).ProblemAsync(400, "validation");
        Assert.That((string?)problem["detail"], Does.Contain(detail));
    }

    [Test]
    public async Task ShouldRefuseAnAccountsCursorForTheWholeLedgerAndTheOtherWayRound()
    {
        using var client = await _server.ClientAsync();
        string accountCursor = (string)(await (await client.GetAsync(_a.Statement + "&limit=1")).BodyAsync())["nextCursor"]!;
        await (await client.GetAsync("/v1/entries?cursor=" + accountCursor)).ProblemAsync(400, "validation");
        string ledgerCursor = (string)(await (await client.GetAsync("/v1/entries?limit=1")).BodyAsync())["nextCursor"]!;
        await (await client.GetAsync(_a.Statement + "&cursor=" + ledgerCursor)).ProblemAsync(400, "validation");
    }

    [Test]
    public async Task EveryEntryShouldSayWhichWayItMovedTheAvailableBalance()
    {
        using var client = await _server.ClientAsync();
        var statement = await client.StatementAsync(_a);
        var directions = statement.ToDictionary(e => (string)e!["correlationId"]!, e => (string?)e!["direction"]);
        Assert.That(directions, Is.EqualTo(new Dictionary<string, string?>
        {
            ["a1"] = "CREDIT", // a deposit
            ["a2"] = "DEBIT", // a hold of a purchase code
            ["a3"] = "CREDIT", // its unblocking gives it back
            ["a4"] = "DEBIT", // a purchase
            ["a5"] = "CREDIT", // its reversal
        }));
        Assert.That(statement.Select(e => (long)e!["amount"]!["value"]!), Is.All.Positive, "amounts stay positive; direction carries the sign");

        var answer = JsonNode.Parse(_a3a4Answer)!;
        Assert.That(answer["entries"]!.AsArray().Select(e => (string?)e!["direction"]), Is.EqualTo(new[] { "CREDIT", "DEBIT" }), "the 201 says it too");
        using var replay = await client.PostAsync(_a.Batches, UnblockAndBuy());
        Assert.That(await replay.Content.ReadAsStringAsync(), Is.EqualTo(_a3a4Answer), "an idempotent replay says the same");
    }

    [Test]
    public async Task ShouldListTheCatalogItRunsForAReader()
    {
        using var client = await _server.ClientAsync();
        using var response = await client.GetAsync("/v1/history-codes");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var codes = (await response.BodyAsync())["codes"]!.AsArray();
        var catalog = _server.Runtime.Catalog;
        Assert.That(codes.Select(c => (int)c!["code"]!), Is.EqualTo(catalog.Definitions.Select(d => d.Code).Order()));
        var purchase = codes.Single(c => (int)c!["code"]! == 998)!;
        Assert.That((string?)purchase["name"], Is.EqualTo("POS purchase"));
        Assert.That((string?)purchase["direction"], Is.EqualTo("DEBIT"));
        Assert.That((string?)purchase["domain"], Is.EqualTo("cards"));
        Assert.That(purchase["allowedKinds"]!.AsArray().Select(k => (string?)k), Is.EqualTo(new[] { "ledger", "blocking" }));
        Assert.That((bool)purchase["mayOverdraw"]!, Is.False);
        Assert.That(purchase["rules"]!.ToJsonString(), Is.EqualTo("[{\"name\":\"maxAmount\",\"value\":\"1000000\"}]"));

        using var anonymous = await _server.Anonymous.GetAsync("/v1/history-codes");
        await anonymous.ProblemAsync(401, "unauthorized");
        await (await client.GetAsync("/v1/history-codes?code=1")).ProblemAsync(400, "validation");
    }
}
