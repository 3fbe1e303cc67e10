using System.Globalization;
using System.Text.Json;
using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Hosting;
using Ledger.Journal;
using Ledger.Testing;
using NUnit.Framework;
using TestCommands = Ledger.Testing.Commands;

namespace Ledger.ReplayTool.Tests;

/// <summary>
/// Issue 16: <c>ledger-replay what-if</c> as operators run it (a real process), on a journal the real store and host
/// wrote from a seeded workload with every entry kind, bundles and expiries, and a catalog promotion in the middle.
/// </summary>
[Category("Tools")]
public class WhatIfTests
{
    private static string _dir = null!;
    private static List<LedgerCommand> _commands = null!;
    private static ulong _liveHash;
    private static long _promotedAt;
    private static HistoryCatalog _inForce = null!;

    [OneTimeSetUp]
    public static void BuildLedger()
    {
        _dir = Path.Combine(Path.GetTempPath(), "ledger-replay-tests", "what-if-" + Guid.NewGuid().ToString("N"));
        var workload = new RandomWorkload(seed: 23);
        using var store = LedgerStore.Open(LedgerFixture.Options(_dir));
        using var host = new EngineHost(store.Engine, store.Journal, [], new EngineHostSettings { TickInterval = TimeSpan.Zero }, store.Prefetcher, store.StoreWriter);
        host.Start();
        _commands = Submit(host, workload.Take(800));
        // A promotion in the middle: the shipped catalog plus a code the workload never posts (so it changes no decision).
        var promoted = HistoryCatalog.Create([.. TestCommands.DefaultCatalog.Definitions,
            new HistoryCodeDefinition(300, "Interest", Direction.Credit, "deposits", [EntryKind.Ledger], false, [])]);
        var load = new LedgerCommand { TimestampTicks = workload.ClockTicks };
        load.SetLoadCatalog(promoted.Replacing(TestCommands.DefaultCatalog, "ledger-admin"));
        _commands.AddRange(Submit(host, [load]));
        _promotedAt = load.TimestampTicks;
        _commands.AddRange(Submit(host, workload.Take(800)));
        host.Stop();
        _liveHash = store.Engine.ComputeStateHash();
        _inForce = store.Engine.Catalog;
        Assert.That((_inForce.Version, _inForce.PromotedBy), Is.EqualTo((2, "ledger-admin")), "the journal's first catalog, then the promotion");
    }

    [OneTimeTearDown]
    public static void Cleanup() => Directory.Delete(_dir, recursive: true);

    private static List<LedgerCommand> Submit(EngineHost host, IEnumerable<LedgerCommand> commands)
    {
        var list = commands.ToList();
        foreach (var c in list) host.SubmitAsync(c).AsTask().GetAwaiter().GetResult(); // in order: the journal is the workload as generated
        return list;
    }

    private static (ToolRun Run, JsonElement Summary, string[] Changes, string Out) WhatIf(string dataDir, HistoryCatalog candidate, params string[] extra)
    {
        string work = Path.Combine(Path.GetTempPath(), "ledger-replay-tests", "what-if-out-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        string catalogFile = Path.Combine(work, "candidate.json");
        File.WriteAllText(catalogFile, HistoryCatalogFile.ToJson(candidate));
        string output = Path.Combine(work, "out");
        var run = ToolRun.Of(["what-if", dataDir, "--catalog", catalogFile, "--out", output, .. extra]);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        var summary = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(output, "summary.json"))).RootElement.Clone();
        var changes = File.ReadAllLines(Path.Combine(output, "changes.jsonl"));
        return (run, summary, changes, output);
    }

    [Test]
    public void ControlShouldChangeNothingWithTheCatalogInForce()
    {
        var (_, summary, changes, _) = WhatIf(_dir, _inForce);
        Assert.That(summary.GetProperty("entriesCompared").GetInt64(), Is.GreaterThan(1_000));
        Assert.That(summary.GetProperty("entriesChanged").GetInt64(), Is.Zero, string.Join("\n", changes));
        Assert.That(summary.GetProperty("flippedToDeclined").GetInt64() + summary.GetProperty("flippedToPosted").GetInt64(), Is.Zero);
        Assert.That(summary.GetProperty("accountsWithBalanceDelta").GetInt64(), Is.Zero);
        Assert.That(changes, Is.Empty);
        string live = _liveHash.ToString("x16", CultureInfo.InvariantCulture);
        Assert.That(summary.GetProperty("stateHashBaseline").GetString(), Is.EqualTo(live));
        Assert.That(summary.GetProperty("stateHashCandidate").GetString(), Is.EqualTo(live));
    }

    [Test]
    public void ControlShouldChangeNothingFromThePromotionOnAfterReplayingTheJournaledCatalogsBeforeIt()
    {
        string from = new DateTime(_promotedAt, DateTimeKind.Utc).ToString("O", CultureInfo.InvariantCulture);
        var (_, summary, _, _) = WhatIf(_dir, _inForce, "--from", from);
        string live = _liveHash.ToString("x16", CultureInfo.InvariantCulture);
        Assert.That(summary.GetProperty("entriesChanged").GetInt64(), Is.Zero);
        Assert.That(summary.GetProperty("stateHashCandidate").GetString(), Is.EqualTo(live));
        Assert.That(summary.GetProperty("from").GetString(), Does.StartWith(from[..19]));
    }

    [Test]
    public void VerifyFullAndReplayShouldRebuildTheLiveStateAcrossThePromotion()
    {
        string live = _liveHash.ToString("x16", CultureInfo.InvariantCulture);
        var verify = ToolRun.Of("verify", _dir, "--full");
        Assert.That(verify.ExitCode, Is.EqualTo(0), verify.ToString());
        Assert.That(verify.Out, Does.Contain($"state hash:  {live}").And.Contain("events identical"));
        var replay = ToolRun.Of("replay", _dir, "--full");
        Assert.That(replay.ExitCode, Is.EqualTo(0), replay.ToString());
        Assert.That(replay.Out, Does.Contain($"state hash:   {live}"));
    }

    [Test]
    public void LoweringMaxAmountShouldFlipExactlyThePostingsAboveTheNewLimit()
    {
        const long newMax = 20_000;
        var candidate = Catalogs.WithRules(new Dictionary<int, RuleDefinition[]> { [998] = [Catalogs.Rule("maxAmount", newMax)] });
        // Independent count, from what the live ledger answered: every 998 posting the journal applied above the new limit.
        long expected = _commands.Count(c => c.Kind == CommandKind.PostEntries && !c.Result.Replayed && c.Result.Code == ResultCode.Ok &&
            c.EntrySpan.ToArray().Any(e => e.EntryType == 998 && e.Kind is EntryKind.Ledger or EntryKind.Blocking && e.AmountMinor > newMax));
        Assert.That(expected, Is.GreaterThan(10), "the workload posts above the new limit");

        var (run, summary, changes, output) = WhatIf(_dir, candidate);
        var lines = changes.Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        var direct = lines.Where(l => l.GetProperty("code").GetInt32() == 998 && l.GetProperty("after").GetString() == "rule-declined (maxAmount)" &&
                                      l.GetProperty("before").GetString() is "POSTED" or "PENDING").ToList();
        Assert.That(direct, Has.Count.EqualTo(expected), "exactly the applied postings above the new limit flip, each by the rule");
        Assert.That(direct.All(l => !l.GetProperty("knockOn").GetBoolean() && l.GetProperty("rule").GetString() == "maxAmount"), Is.True);
        Assert.That(lines, Has.Count.EqualTo(summary.GetProperty("entriesChanged").GetInt64()), "one line per changed entry");
        Assert.That(summary.GetProperty("flippedToDeclined").GetInt64(), Is.GreaterThanOrEqualTo(expected));
        Assert.That(summary.GetProperty("knockOn").GetInt64(), Is.GreaterThan(0), "money not spent on declined purchases changes later decisions");
        Assert.That(summary.GetProperty("stateHashCandidate").GetString(), Is.Not.EqualTo(summary.GetProperty("stateHashBaseline").GetString()));
        Assert.That(summary.GetProperty("accountsWithBalanceDelta").GetInt64(), Is.GreaterThan(0));
        Assert.That(summary.GetProperty("byCode").GetProperty("998").GetProperty("flippedToDeclined").GetInt64(), Is.GreaterThanOrEqualTo(expected));
        string report = File.ReadAllText(Path.Combine(output, "report.md"));
        Assert.That(report, Does.Contain("## Per history code").And.Contain("## Per domain").And.Contain("## Most affected accounts"));
        Assert.That(new FileInfo(Path.Combine(output, "balance-deltas.png")).Length, Is.GreaterThan(1_000));
        Assert.That(new FileInfo(Path.Combine(output, "flips-per-day.png")).Length, Is.GreaterThan(1_000));
        Assert.That(run.Error, Does.Contain("records/s"), "progress when output is redirected");
    }

    [Test]
    public void ACandidateThatAddsAFeeShouldReportTheFeesAsTheReferenceModelPostsThem()
    {
        var definitions = _inForce.Definitions.Select(d => d.Code == 998 ? d with { Rules = [.. d.Rules, Catalogs.Rule("fee", "code=700 bps=150 min=5 max=500")] } : d).ToArray();
        var candidate = HistoryCatalog.Create(definitions, [], _inForce.Domains, null);
        // Independent sum: the reference model (plain collections, decimal fee arithmetic) decides the journaled commands under the candidate.
        var model = new Ledger.Testing.Model.ReferenceLedger(candidate);
        long expected = 0;
        int fees = 0;
        foreach (var c in _commands.Where(c => c.ChangedState && c.Kind != CommandKind.LoadCatalog))
        {
            foreach (var e in model.Apply(c).Events.Where(e => e.FeeOfSequence != 0 && e.EntryKind == EntryKind.Ledger))
            {
                expected += e.AmountMinor;
                fees++;
            }
        }
        Assert.That(fees, Is.GreaterThan(50), "the workload posts 998 often");

        var (_, summary, changes, _) = WhatIf(_dir, candidate);

        Assert.That(summary.GetProperty("feesPostedMinor").GetInt64(), Is.EqualTo(expected));
        Assert.That(summary.GetProperty("stateHashCandidate").GetString(), Is.Not.EqualTo(summary.GetProperty("stateHashBaseline").GetString()));
        Assert.That(summary.GetProperty("accountsWithBalanceDelta").GetInt64(), Is.GreaterThan(0), "fees move balances");
        Assert.That(changes.Length, Is.EqualTo(summary.GetProperty("entriesChanged").GetInt64()));
    }

    [Test]
    public void AFlipThatStarvesALaterDebitShouldShowAsKnockOn()
    {
        string dir = Path.Combine(Path.GetTempPath(), "ledger-replay-tests", "what-if-small-" + Guid.NewGuid().ToString("N"));
        try
        {
            var a = TestCommands.Account(5);
            using (var store = LedgerStore.Open(LedgerFixture.Options(dir)))
            {
                foreach (var c in new[]
                {
                    TestCommands.Open(a),
                    TestCommands.Post(TestCommands.Posting(a, "dep", 100, 5_000)),
                    TestCommands.PostAt(TestCommands.At(1), TestCommands.Posting(a, "buy", 998, 3_000)),
                })
                {
                    store.Engine.Apply(c);
                    if (c.ChangedState) store.Journal.Append(c);
                }
                store.Journal.Commit();
            }
            var candidate = Catalogs.WithRules(new Dictionary<int, RuleDefinition[]> { [100] = [Catalogs.Rule("maxAmount", 4_000)] });
            var (_, summary, changes, _) = WhatIf(dir, candidate);
            var lines = changes.Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
            Assert.That(lines.Select(l => (l.GetProperty("correlationId").GetString(), l.GetProperty("before").GetString(), l.GetProperty("after").GetString(), l.GetProperty("knockOn").GetBoolean())),
                Is.EqualTo(new[] { ("dep", "POSTED", "rule-declined (maxAmount)", false), ("buy", "POSTED", "insufficient-funds", true) }));
            Assert.That((summary.GetProperty("flippedToDeclined").GetInt64(), summary.GetProperty("knockOn").GetInt64(), summary.GetProperty("direct").GetInt64()), Is.EqualTo((2L, 1L, 1L)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
