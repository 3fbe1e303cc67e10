using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using NUnit.Framework;
using static Ledger.Testing.Commands;

namespace Ledger.Journal.Tests;

/// <summary>
/// Duplicates of one correlation id and reversals of one old entry, raced through the real pipeline (prefetch, engine,
/// journal, store) from many threads against a 16-entry cache: the prefetch of each reads the store before the others
/// are decided, yet exactly one of each applies, because the engine's cache holds every entry the store does not yet.
/// </summary>
public class PrefetchRaceTests
{
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public async Task ShouldApplyExactlyOneOfRacingDuplicatesAndReversals(int seed)
    {
        using var dir = new TempDataDir();
        var a = Account(77_001);
        var random = new Random(seed);
        using var store = LedgerStore.Open(StoreHarness.Options(dir.Path));
        var original = Post(Posting(a, "old", 100, 1_000));
        StoreHarness.Run(store, [Open(a), original]);
        StoreHarness.Run(store, Enumerable.Range(0, 200).Select(i => Post(Posting(a, $"filler-{i}", 100, 1)))); // "old" leaves the cache
        var before = store.Engine.Cache.Loads;

        var commands = new List<LedgerCommand>();
        for (int i = 0; i < 40; i++) commands.Add(Post(Posting(a, "dup", 100, 5)));
        for (int i = 0; i < 40; i++) commands.Add(Post(Reverse(a, $"rev-{i}", "old")));
        commands = commands.OrderBy(_ => random.Next()).ToList();
        using (var host = new Engine.Hosting.EngineHost(store.Engine, store.Journal, [], StoreHarness.HostSettings, store.Prefetcher, store.StoreWriter))
        {
            host.Start();
            await Parallel.ForEachAsync(commands, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (c, _) => await host.SubmitAsync(c));
            host.Stop();
        }

        var dups = commands.Where(c => c.Entries[0].CorrelationId == "dup").ToList();
        Assert.That(dups.Count(c => c.Result.IsOk && !c.Result.Replayed), Is.EqualTo(1), "one duplicate applies");
        Assert.That(dups.All(c => c.Result.IsOk), Is.True, "the others are replays of its answer");
        Assert.That(dups.Select(c => c.EntryResults[0].Sequence).Distinct().Count(), Is.EqualTo(1), "all with its sequence");
        var reversals = commands.Where(c => c.Entries[0].Kind == EntryKind.Reversal).ToList();
        Assert.That(reversals.Count(c => c.Result.IsOk), Is.EqualTo(1), "one reversal applies");
        Assert.That(reversals.Count(c => c.Result.Code == ResultCode.AlreadyReversed), Is.EqualTo(39), "the rest are declined: already reversed");
        Assert.That(store.Engine.BalancesOf(a), Is.EqualTo(new Balances(1_000 + 200 + 5 - 1_000, 0)));
        Assert.That(store.Engine.Cache.Loads, Is.GreaterThan(before), "the old entry came from the store");
    }
}
