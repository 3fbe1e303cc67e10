using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;

namespace Ledger.Gateway.Tests;

/// <summary>
/// GET /v1/entries and /v2/entries (statements) and GET …/balances?at= (balance history), against the read store on
/// disk: once on the embedded defaults (the shared gateway) and once with the read store's cache and memtables at their
/// 1 MiB minimum, so pages come from files rather than RAM.
/// </summary>
[TestFixture(false, TestName = "StatementsTests (embedded defaults)")]
[TestFixture(true, TestName = "StatementsTests (tiny read cache)")]
public sealed class StatementsTests(bool tinyReadCache)
{
    private GatewayServer? _own;

    private GatewayServer Server => _own ?? SharedGateway.Server;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        if (tinyReadCache) _own = await GatewayServer.StartAsync("Ledger:Memory:ReadBlockCacheBytes=1048576", "Ledger:Memory:ReadWriteBufferBytes=1048576");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_own is not null) await _own.DisposeAsync();
    }

    [Test]
    public void ShouldServeFromTheReadStoreOnDiskWithTheConfiguredCache()
    {
        var reads = Server.Runtime.Reads!;
        Assert.That(reads.Settings.BlockCacheBytes, Is.EqualTo(tinyReadCache ? 1L << 20 : 128L << 20));
        Assert.That(reads.Settings.WriteBufferBytes, Is.EqualTo(tinyReadCache ? 1L << 20 : 64L << 20));
        Assert.That(reads.Directory, Is.EqualTo(Path.Combine(Server.DataDir, "read")));
    }

    [Test]
    public async Task ShouldPageOldestFirstWithAnOpaqueCursorAndNoGapOrRepeat()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        var entries = Enumerable.Range(0, 25).Select(i => Entry("ledger", $"e{i:D2}", 100, i + 1, description: "Cash")).ToArray();
        (await client.PostAsync(account.Batches, Batch(entries))).EnsureSuccessStatusCode();

        var seen = new List<string>();
        string? cursor = null;
        int pages = 0;
        do
        {
            using var response = await client.GetAsync(account.Statement + "&limit=10" + (cursor is null ? "" : "&cursor=" + cursor));
            var body = await response.BodyAsync();
            seen.AddRange(body["entries"]!.AsArray().Select(e => (string)e!["correlationId"]!));
            cursor = (string?)body["nextCursor"];
            pages++;
        }
        while (cursor is not null && pages < 10);
        Assert.That(seen, Is.EqualTo(Enumerable.Range(0, 25).Select(i => $"e{i:D2}")));
        Assert.That(pages, Is.EqualTo(3));
    }

    [Test]
    public async Task ShouldShowEveryFieldOfAStatementEntry()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        using var posted = await client.PostAsync(account.Batches, Batch(Entry("ledger", "d", 100, 1_234, description: "Cash in")));
        var answer = (await posted.BodyAsync())["entries"]![0]!;
        var entry = (await client.StatementAsync(account))[0]!;
        Assert.That((string?)entry["correlationId"], Is.EqualTo("d"));
        Assert.That((int?)entry["entryType"], Is.EqualTo(100));
        Assert.That((string?)entry["entryKind"], Is.EqualTo("ledger"));
        Assert.That((long?)entry["amount"]!["value"], Is.EqualTo(1_234));
        Assert.That((string?)entry["amount"]!["currency"], Is.EqualTo("USD"));
        Assert.That((string?)entry["status"], Is.EqualTo("POSTED"));
        Assert.That((string?)entry["description"], Is.EqualTo("Cash in"));
        Assert.That((long?)entry["sequence"], Is.EqualTo((long?)answer["sequence"]));
        Assert.That((string?)entry["timestamp"], Is.EqualTo((string?)answer["timestamp"]));
        Assert.That((string?)entry["asOfDate"], Is.EqualTo((string?)answer["asOfDate"]));
        Assert.That(entry["reversedBy"], Is.Null);
    }

    [Test]
    public async Task ShouldFilterByTheDateWindow()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        var times = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            using var r = await client.PostAsync(account.Batches, Deposit("d" + i, 10));
            times.Add((string)(await r.BodyAsync())["entries"]![0]!["timestamp"]!);
        }
        var statement = await client.StatementAsync(account, $"&from={Uri.EscapeDataString(times[1])}&to={Uri.EscapeDataString(times[2])}");
        Assert.That(statement.Select(e => (string)e!["correlationId"]!), Is.EqualTo(new[] { "d1" }), "from inclusive, to exclusive");

        string today = times[0][..10];
        Assert.That(await client.StatementAsync(account, $"&from={today}&to={today}"), Has.Count.EqualTo(3), "a date alone in to includes that whole day");
        string tomorrow = DateOnly.Parse(today, CultureInfo.InvariantCulture).AddDays(1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        Assert.That(await client.StatementAsync(account, $"&from={tomorrow}"), Is.Empty);
    }

    [Test]
    public async Task ShouldApplyTheV2FiltersTogether()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        (await client.PostAsync(account.Batches, Batch(
            Entry("ledger", "d", 100, 10_000),
            Entry("ledger", "small", 998, 100),
            Entry("ledger", "large", 998, 5_000),
            Entry("blocking", "h", 998, 200)))).EnsureSuccessStatusCode();

        async Task<string[]> Ids(string query)
        {
            using var response = await client.GetAsync(account.StatementV2 + query);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
            return (await response.BodyAsync())["entries"]!.AsArray().Select(e => (string)e!["correlationId"]!).ToArray();
        }

        Assert.That(await Ids("&entryType=998"), Is.EqualTo(new[] { "small", "large", "h" }));
        Assert.That(await Ids("&entryType=998&entryKind=ledger"), Is.EqualTo(new[] { "small", "large" }));
        Assert.That(await Ids("&status=PENDING"), Is.EqualTo(new[] { "h" }));
        Assert.That(await Ids("&minAmount=150&maxAmount=5000"), Is.EqualTo(new[] { "large", "h" }));
        Assert.That(await Ids("&correlationId=large"), Is.EqualTo(new[] { "large" }));
        Assert.That(await Ids("&correlationId=nope"), Is.Empty);
    }

    [TestCase("/v1/entries?account=1", TestName = "ShouldRefuseAStatementWithoutBranch")]
    [TestCase("/v1/entries?branch=1&account=1&status=POSTED", TestName = "ShouldRefuseAV2FilterOnV1")]
    [TestCase("/v1/entries?branch=1&account=1&from=yesterday", TestName = "ShouldRefuseAFromThatIsNotIso8601")]
    [TestCase("/v1/entries?branch=1&account=1&from=2026-06-22&to=2026-06-21", TestName = "ShouldRefuseFromAfterTo")]
    [TestCase("/v1/entries?branch=1&account=1&limit=0", TestName = "ShouldRefuseALimitOfZero")]
    [TestCase("/v1/entries?branch=1&account=1&limit=1001", TestName = "ShouldRefuseALimitAbove1000")]
    [TestCase("/v1/entries?branch=1&account=1&cursor=abc", TestName = "ShouldRefuseACursorItDidNotIssue")]
    [TestCase("/v2/entries?branch=1&account=1&status=DONE", TestName = "ShouldRefuseAnUnknownStatus")]
    [TestCase("/v2/entries?branch=1&account=1&entryKind=Ledger", TestName = "ShouldRefuseAnUnknownEntryKind")]
    [TestCase("/v2/entries?branch=1&account=1&minAmount=5&maxAmount=4", TestName = "ShouldRefuseAnEmptyAmountRange")]
    [TestCase("/v2/entries?branch=1&account=1&sort=desc", TestName = "ShouldRefuseAnUnknownQueryParameter")]
    public async Task ShouldRefuseBadStatementQueriesWith400(string path)
    {
        using var client = await Server.ClientAsync();
        using var response = await client.GetAsync(path);
        await response.ProblemAsync(400, "validation");
    }

    [Test]
    public async Task ShouldAnswer404ForTheStatementOfAnUnknownAccount()
    {
        using var client = await Server.ClientAsync();
        using var response = await client.GetAsync("/v1/entries?branch=9&account=999999995");
        await response.ProblemAsync(404, "account-not-found");
    }

    [Test]
    public async Task ShouldAnswerBalancesAsTheyStoodAtAnInstant()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        var stamps = new List<string>();
        foreach (var content in new[] { Deposit("d", 10_000), Batch(Entry("blocking", "h", 998, 3_000)), Batch(Entry("ledger", "buy", 998, 1_000)) })
        {
            using var r = await client.PostAsync(account.Batches, content);
            stamps.Add((string)(await r.BodyAsync())["entries"]![0]!["timestamp"]!);
        }
        (await client.DeleteAsync(account.Path + "/entries?correlationId=h")).EnsureSuccessStatusCode();

        async Task<(long, long)> At(string instant)
        {
            using var response = await client.GetAsync(account.Balances + "?at=" + Uri.EscapeDataString(instant));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
            return Balances((await response.BodyAsync())["balances"]!);
        }

        Assert.That(await At(stamps[0]), Is.EqualTo((10_000L, 0L)));
        Assert.That(await At(stamps[1]), Is.EqualTo((7_000L, 3_000L)));
        Assert.That(await At(stamps[2]), Is.EqualTo((6_000L, 3_000L)));
        Assert.That(await At(DateTime.UtcNow.AddDays(1).ToString("O")), Is.EqualTo((9_000L, 0L)));
        Assert.That(await client.BalancesAsync(account), Is.EqualTo((9_000L, 0L)));

        using var before = await client.GetAsync(account.Balances + "?at=2000-01-01T00:00:00Z");
        await before.ProblemAsync(404, "account-not-found");
        using var bad = await client.GetAsync(account.Balances + "?at=soon");
        await bad.ProblemAsync(400, "validation");
    }

    [Test]
    public async Task ShouldAnswerTheBalancesEndpointInTheSpecsShape()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        (await client.PostAsync(account.Batches, Deposit("d", 482_010))).EnsureSuccessStatusCode();
        using var response = await client.GetAsync(account.Balances);
        var body = await response.BodyAsync();
        Assert.That(JsonNode.DeepEquals(body, JsonNode.Parse($$"""
            {"branch":{{account.Branch}},"account":{{account.Number}},"balances":[
              {"type":"AVAILABLE","value":482010,"currency":"USD"},{"type":"HELD","value":0,"currency":"USD"}]}
            """)), Is.True, body.ToJsonString());
    }
}
