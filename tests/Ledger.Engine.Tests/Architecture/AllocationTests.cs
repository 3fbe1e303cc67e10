using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Testing;
using NUnit.Framework;
using static Ledger.Testing.Commands;

namespace Ledger.Engine.Tests.Architecture;

/// <summary>docs/architecture.md, "Why this shape" (speed): once its tables are sized, the engine allocates nothing per command, whether the entries it needs are in its cache or prefetched from the store.</summary>
[NonParallelizable]
public class AllocationTests
{
    private const int BatchSize = 2_000;
    private static readonly AccountKey A = Account(1);
    private static readonly AccountKey B = Account(2);

    private static LedgerEngine PresizedEngine()
    {
        var engine = NewEngine(new EngineSettings { AccountCapacity = 16, EntryCacheEntries = 8 * BatchSize });
        Open(A, overdraft: 1_000).ApplyTo(engine);
        Open(B).ApplyTo(engine);
        Post(Posting(A, "fund", 100, 1_000_000_000)).ApplyTo(engine);
        return engine;
    }

    /// <summary>Bytes this thread allocated while applying the commands (built beforehand: building is the gateway's cost).</summary>
    private static long AllocatedApplying(LedgerEngine engine, LedgerCommand[] commands)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var command in commands) engine.Apply(command);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static LedgerCommand[] LedgerCommands(string round) => Enumerable.Range(0, BatchSize)
        .Select(i => Post(i % 2 == 0 ? Posting(A, $"{round}-{i}", 998, 10) : Posting(A, $"{round}-{i}", 100, 7, description: "salary")))
        .ToArray();

    [Test]
    public void ShouldAllocateNothingApplyingAWarmBatchOfLedgerEntries()
    {
        var engine = PresizedEngine();
        var warmUp = LedgerCommands("warm");
        var measured = LedgerCommands("hot");
        AllocatedApplying(engine, warmUp);

        long allocated = AllocatedApplying(engine, measured);

        Assert.That(measured.All(c => c.Result.Code == ResultCode.Ok), Is.True, "the measured batch really applied");
        Assert.That(allocated, Is.Zero);
    }

    [Test]
    public void ShouldAllocateNothingUnderDailyAndBalanceRulesOfCodesAndDomains()
    {
        // Issue 16: the rules a bank tunes keep their counters in preallocated tables (a new (account, scope) pair grows
        // the table like a new account; the warm-up makes every pair the measured batch uses).
        var engine = PresizedEngine();
        var rules = Catalogs.WithRules(
            new Dictionary<int, Catalog.RuleDefinition[]> { [998] = [Catalogs.Rule("dailyLimit", long.MaxValue), Catalogs.Rule("dailyCount", 1_000_000)], [200] = [Catalogs.Rule("minBalanceAfter", -500)] },
            new Dictionary<string, Catalog.RuleDefinition[]> { ["cards"] = [Catalogs.Rule("dailyLimit", long.MaxValue)], ["deposits"] = [Catalogs.Rule("maxAmount", 1_000_000)] });
        engine.Apply(Catalogs.Load(rules));
        LedgerCommand[] Commands(string round) => Enumerable.Range(0, BatchSize)
            .Select(i => Post(i % 3 == 0 ? Posting(A, $"{round}-{i}", 998, 10) : i % 3 == 1 ? Posting(A, $"{round}-{i}", 100, 7) : Posting(A, $"{round}-{i}", 200, 1)))
            .ToArray();
        AllocatedApplying(engine, Commands("warm"));
        var measured = Commands("hot");

        long allocated = AllocatedApplying(engine, measured);

        Assert.That(measured.All(c => c.Result.Code == ResultCode.Ok), Is.True, "the measured batch really applied");
        Assert.That(engine.DailyCounters.Count, Is.EqualTo(2), "counters of 998 and of the cards domain");
        Assert.That(allocated, Is.Zero);
    }

    /// <summary>Every path a partner's command takes: holds with expiry, unblocks, reversals, removals, declines, replays, conflicts, DELETE, expiry.</summary>
    private static LedgerCommand[] MixedCommands(string round, long at)
    {
        var commands = new List<LedgerCommand>();
        for (int i = 0; commands.Count < BatchSize; i++)
        {
            string id = $"{round}-{i}";
            commands.Add(PostAt(at, Posting(A, id + "p", 998, 10)));
            commands.Add(PostAt(at, Reverse(A, id + "r", id + "p")));
            commands.Add(PostAt(at, Hold(A, id + "h", 998, 10, expiresAt: at + 10)));
            commands.Add(PostAt(at, Unblock(A, id + "u", id + "h", 4)));
            commands.Add(PostAt(at, Remove(A, id + "x", id + "h")));
            commands.Add(PostAt(at, Hold(A, id + "h2", 998, 10)));
            commands.Add(Delete(A, id + "h2", at));
            commands.Add(PostAt(at, Hold(A, id + "h3", 200, 5, expiresAt: at + 1)));
            commands.Add(PostAt(at, Posting(A, id + "big", 998, 999_999)));     // insufficient funds after the first few
            commands.Add(PostAt(at, Posting(A, id + "p", 998, 10)));            // replay
            commands.Add(PostAt(at, Posting(A, id + "p", 998, 11)));            // conflict
            commands.Add(PostAt(at, Posting(A, id + "fee", 700, 1)));
            commands.Add(PostAt(at, Posting(B, id + "unknown", 555, 1)));       // unknown code
            commands.Add(Tick(at + 2));                                        // expires h3
            at += 3;
        }
        return commands.ToArray();
    }

    [Test]
    public void ShouldAllocateNothingOnAnyPathOfAWarmEngine()
    {
        var engine = PresizedEngine();
        var warmUp = MixedCommands("warm", At(1));
        var measured = MixedCommands("hot", At(100_000));
        AllocatedApplying(engine, warmUp);

        long allocated = AllocatedApplying(engine, measured);

        var codes = measured.Select(c => c.Result.Code).ToHashSet();
        Assert.That(codes, Is.SupersetOf(new[] { ResultCode.Ok, ResultCode.IdempotencyConflict, ResultCode.UnknownHistoryCode }));
        Assert.That(measured.Count(c => c.Result.Replayed), Is.GreaterThan(0));
        Assert.That(allocated, Is.Zero);
    }

    private static Catalog.HistoryCatalog FeeCatalog() => Catalogs.WithRules(new Dictionary<int, Catalog.RuleDefinition[]> { [998] = [Catalogs.Rule("fee", "code=700 bps=100 min=1 max=5")] });


    [Test]
    public void ShouldAllocateNothingOnAnyPathWithFees()
    {
        // Issue 16: fees are posted, answered again, reversed and declined with ids derived before the engine (the prefetch stage's, here DeriveFeeIds).
        var engine = PresizedEngine();
        engine.Apply(Catalogs.Load(FeeCatalog()));
        var warmUp = MixedCommands("warm", At(1));
        var measured = MixedCommands("hot", At(100_000));
        foreach (var c in warmUp.Concat(measured)) c.DeriveFeeIds();
        AllocatedApplying(engine, warmUp);

        long allocated = AllocatedApplying(engine, measured);

        Assert.That(measured.Sum(c => c.Result.IsOk && !c.Result.Replayed ? c.Result.FeeCount : 0), Is.GreaterThan(BatchSize / 14), "fees were posted and reversed");
        Assert.That(measured.Count(c => c.Result.Replayed && c.Result.FeeCount > 0), Is.GreaterThan(0), "replays answered their fees");
        Assert.That(allocated, Is.Zero);
    }

    [TestCase(false, TestName = "ShouldAllocateNothingDecidingFromPrefetchedEntries(without fees)")]
    [TestCase(true, TestName = "ShouldAllocateNothingDecidingFromPrefetchedEntries(with fees)")]
    public void ShouldAllocateNothingDecidingFromPrefetchedEntries(bool fees)
    {
        // Old entries, evicted before each command: replays, reversals, unblocks and removals all load what the prefetch read.
        EngineRigs.Mode = CacheMode.Tiny;
        try
        {
            var engine = PresizedEngine();
            if (fees) Catalogs.Load(FeeCatalog()).ApplyTo(engine);
            var rig = EngineRigs.For(engine)!;
            long allocated = 0;
            int loadedBefore = 0;
            foreach (var round in new[] { "warm", "hot" })
            {
                var setUp = new List<LedgerCommand>();
                var uses = new List<LedgerCommand>();
                for (int i = 0; i < BatchSize / 4; i++)
                {
                    string id = $"{round}-{i}";
                    setUp.Add(Post(Posting(A, id + "p", 998, 10)));
                    setUp.Add(Post(Hold(A, id + "h", 998, 10)));
                    uses.Add(Post(Posting(A, id + "p", 998, 10)));            // replay of an evicted entry
                    uses.Add(Post(Reverse(A, id + "r", id + "p")));           // reversal of an evicted entry
                    uses.Add(Post(Unblock(A, id + "u", id + "h", 3)));        // a pinned open hold
                    uses.Add(Post(Posting(A, id + "p", 998, 11)));            // conflict with an evicted entry
                }
                foreach (var c in setUp.Concat(uses)) c.DeriveFeeIds();
                foreach (var c in setUp) c.ApplyTo(engine);
                loadedBefore = (int)engine.Cache.Loads;
                long before = 0;
                foreach (var c in uses)
                {
                    rig.Prefetcher.Add(c);
                    rig.Prefetcher.EndOfBatch();
                    long start = GC.GetAllocatedBytesForCurrentThread();
                    engine.Apply(c);
                    before += GC.GetAllocatedBytesForCurrentThread() - start;
                    if (c.ChangedState)
                    {
                        c.JournalAddress = c.RecordNumber * 8;
                        c.JournalNextAddress = c.RecordNumber * 8 + 8;
                        rig.Writer.Add(c);
                        rig.Writer.EndOfBatch();
                    }
                    engine.TrimCache(rig.Store.Watermark);
                }
                allocated = before;
                Assert.That(uses.All(c => c.Result.Code is ResultCode.Ok or ResultCode.IdempotencyConflict), Is.True, "every use was decided as meant");
                if (fees) Assert.That(uses.Count(c => c.Result.FeeCount == 1), Is.EqualTo(BatchSize / 2), "replays and reversals answered a fee");
            }
            Assert.That(engine.Cache.Loads - loadedBefore, Is.GreaterThanOrEqualTo(BatchSize / 2), "the entries came from the store");
            Assert.That(allocated, Is.Zero);
        }
        finally
        {
            EngineRigs.DisposeBuilt();
            EngineRigs.Mode = CacheMode.Roomy;
        }
    }
}
