using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ledger.Gateway.Api;
using Ledger.Testing;

namespace Ledger.Gateway.Tests;

/// <summary>
/// The replay-tool recomputes statements and balances at an instant from the journal with the same read side and the
/// same JSON writer as the gateway: for the same account and window the bytes are equal. And the writer's bytes are
/// exactly the OpenAPI's <see cref="StatementResponse"/> as the source-generated serializer writes it.
/// </summary>
[Category("Tools")]
public sealed class StatementParityTests
{
    private string _dataDir = "";
    private TestAccount _account = null!;
    private readonly List<(string Query, string Body)> _statements = [];
    private readonly List<(string At, (long Available, long Held) Balances)> _atBalances = [];

    [OneTimeSetUp]
    public async Task PostAHistoryAndReadItBackAsync()
    {
        _dataDir = GatewayServer.NewDataDir();
        await using var server = await GatewayServer.StartOnAsync(_dataDir);
        _account = await server.OpenAccountAsync(overdraftLimit: 5_000);
        using var client = await server.ClientAsync();
        var stamps = new List<string>();
        async Task PostAsync(params string[] entries)
        {
            using var response = await client.PostAsync(_account.Batches, Batch(entries));
            Assert.That((int)response.StatusCode, Is.EqualTo(201), await response.Content.ReadAsStringAsync());
            stamps.Add((string)(await response.BodyAsync())["entries"]![0]!["timestamp"]!);
        }
        await PostAsync(Entry("ledger", "dep", 100, 100_000, description: "Café \"Ø\" — 5€, <b>&"));
        await PostAsync(Entry("ledger", "buy", 998, 2_500), Entry("blocking", "hold", 998, 1_000, expiresAt: "2099-01-01T00:00:00Z"));
        await PostAsync(Entry("blocking", "hold2", 998, 700));
        await PostAsync(Entry("unblocking", "rel", unblocks: "hold"));
        await PostAsync(Entry("reversal", "rev", reverses: "buy"));
        (await client.DeleteAsync(_account.Path + "/entries?correlationId=hold2")).EnsureSuccessStatusCode();
        for (int i = 0; i < 30; i++) await PostAsync(Entry("ledger", $"p{i:D2}", 100, i + 1, description: i % 3 == 0 ? null : "pay " + i));

        string from = Uri.EscapeDataString(stamps[3]), to = Uri.EscapeDataString(stamps[20]);
        foreach (var query in new[] { "&limit=1000", "&limit=7", $"&from={from}&to={to}&limit=1000", $"&from={from}&limit=5" })
        {
            _statements.Add((query, await client.GetStringAsync(_account.Statement + query)));
        }
        // A page after a cursor, as the gateway hands it back.
        string cursor = (string)JsonNode.Parse(_statements[1].Body)!["nextCursor"]!;
        _statements.Add(($"&limit=7&cursor={cursor}", await client.GetStringAsync(_account.Statement + $"&limit=7&cursor={cursor}")));
        foreach (var at in new[] { stamps[0], stamps[2], stamps[5], stamps[^1] })
        {
            using var response = await client.GetAsync(_account.Balances + "?at=" + Uri.EscapeDataString(at));
            _atBalances.Add((at, Balances((await response.BodyAsync())["balances"]!)));
        }
    }

    [OneTimeTearDown]
    public void DeleteDataDir()
    {
        if (Directory.Exists(_dataDir)) Directory.Delete(_dataDir, recursive: true);
    }

    private string[] ToolArgs(string query)
    {
        var args = new List<string> { "statement", _dataDir, "--branch", _account.Branch.ToString(CultureInfo.InvariantCulture), "--account", _account.Number.ToString(CultureInfo.InvariantCulture), "--format", "json" };
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var (name, value) = (pair[..pair.IndexOf('=')], Uri.UnescapeDataString(pair[(pair.IndexOf('=') + 1)..]));
            args.Add("--" + name);
            args.Add(value);
        }
        return [.. args];
    }

    [Test]
    public void TheReplayToolsStatementShouldBeTheGatewaysByteForByte()
    {
        Assert.That(_statements, Has.Count.EqualTo(5));
        foreach (var (query, body) in _statements)
        {
            var run = ToolRun.Of(ToolArgs(query));
            Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
            Assert.That(run.Out, Is.EqualTo(body + "\n"), $"statement{query}");
        }
        Assert.That(_statements[0].Body, Does.Contain("\"reversedBy\":\"rev\"").And.Contain("\"unblocks\":\"hold\"").And.Contain("\"status\":\"REMOVED\"")
            .And.Contain("\"expiresAt\":\"2099-01-01T00:00:00Z\"").And.Contain("Café \\\"Ø\\\""), "the history covers every optional member");
    }

    [Test]
    public void TheReplayToolsStatementWithoutALimitShouldBeTheWholeWindowInOneBody()
    {
        var run = ToolRun.Of(ToolArgs(""));
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Out, Is.EqualTo(_statements[0].Body + "\n"), "36 entries: one gateway page of 1000 and the tool's unbounded listing agree");
    }

    [Test]
    public void TheReplayToolsBalancesAtAnInstantShouldBeTheGateways()
    {
        foreach (var (at, (available, held)) in _atBalances)
        {
            var run = ToolRun.Of("balances", _dataDir, "--branch", _account.Branch.ToString(CultureInfo.InvariantCulture), "--account", _account.Number.ToString(CultureInfo.InvariantCulture), "--at", at);
            Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
            Assert.That(run.Out, Does.Contain($"AVAILABLE: {available} USD").And.Contain($"HELD:      {held} USD"), $"at {at}");
        }
    }

    [Test]
    public void TheStatementBytesShouldBeTheOpenApiShapeAsTheSerializerWritesIt()
    {
        foreach (var (query, body) in _statements)
        {
            var typed = JsonSerializer.Deserialize(body, GatewayJsonContext.Default.StatementResponse)!; // strict: an unknown member throws
            Assert.That(JsonSerializer.Serialize(typed, GatewayJson.Relaxed), Is.EqualTo(body), $"statement{query}");
        }
    }
}
