using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using NUnit.Framework;
using static Ledger.Testing.Catalogs;
using static Ledger.Testing.Commands;

namespace Ledger.Journal.Tests;

/// <summary>
/// The prefetch names a ledger entry's fee key only when a fee is in force (the catalog the command is decided under,
/// followed in ring order) or the store holds the entry with a fee (a replay): through the real pipeline against a
/// 16-entry cache, so old entries come from the store.
/// </summary>
public class FeePrefetchTests
{
    private static readonly HistoryCatalog WithFee = WithRules(new Dictionary<int, RuleDefinition[]> { [998] = [Rule("fee", "code=700 fixed=9")] });

    private static LedgerCommand[] NewDeposits(AccountKey account, string prefix, int commands, int entries) =>
        Enumerable.Range(0, commands).Select(c => Post(Enumerable.Range(0, entries).Select(i => Posting(account, $"{prefix}-{c}-{i}", 100, 1)).ToArray())).ToArray();

    private static long KeysNamed(LedgerStore store) => store.Prefetcher.Lookups + store.Prefetcher.Filtered;

    [Test]
    public void ShouldNameOneKeyPerNewLedgerEntryWithoutAFeeInForceAndTwoWithOne()
    {
        Assert.That(DefaultCatalog.HasFees, Is.False);
        using var dir = new TempDataDir();
        var a = Account(78_001);
        using var store = LedgerStore.Open(StoreHarness.Options(dir.Path));
        StoreHarness.Run(store, [Open(a)]);

        long before = KeysNamed(store);
        StoreHarness.Run(store, NewDeposits(a, "plain", 10, 10));
        Assert.That(KeysNamed(store) - before, Is.EqualTo(100), "its own id only: no fee can be posted, and none was");

        StoreHarness.Run(store, [Load(WithFee)]);
        before = KeysNamed(store);
        StoreHarness.Run(store, NewDeposits(a, "feeful", 10, 10));
        Assert.That(KeysNamed(store) - before, Is.EqualTo(200), "with a fee in force, its fee id too (a new fee must not collide)");

        StoreHarness.Run(store, [Load(DefaultCatalog)]);
        before = KeysNamed(store);
        StoreHarness.Run(store, NewDeposits(a, "after", 10, 10));
        Assert.That(KeysNamed(store) - before, Is.EqualTo(100), "the fee removed: its own id only again");
        Assert.That(store.Engine.BalancesOf(a), Is.EqualTo(new Balances(300, 0)));
    }

    [Test]
    public void ShouldReplayAndReverseAnEntryWithItsFeeFromTheStoreAfterThePromotionThatRemovedTheFee()
    {
        using var dir = new TempDataDir();
        var a = Account(78_002);
        using var store = LedgerStore.Open(StoreHarness.Options(dir.Path));
        var first = Post(Posting(a, "buy", 998, 1_000));
        StoreHarness.Run(store, [Open(a), Post(Posting(a, "dep", 100, 100_000)), Load(WithFee), first]);
        Assert.That(first.Result.FeeCount, Is.EqualTo(1));
        var feeSequence = first.EntryResults[1].Sequence;
        StoreHarness.Run(store, [Load(DefaultCatalog), .. NewDeposits(a, "filler", 20, 10)]); // "buy" and its fee leave the cache
        long loads = store.Engine.Cache.Loads;

        var replay = Post(Posting(a, "buy", 998, 1_000));
        StoreHarness.Run(store, [replay]);
        Assert.That(replay.Result.Replayed, Is.True);
        Assert.That(replay.Result.FeeCount, Is.EqualTo(1), "the replay answers the fee it posted, whatever the catalog says now");
        Assert.That(replay.EntryResults[1].Sequence, Is.EqualTo(feeSequence));
        Assert.That(store.Engine.Cache.Loads, Is.GreaterThan(loads), "the entry and its fee came from the store");

        var undo = Post(Reverse(a, "undo", "buy"));
        StoreHarness.Run(store, [undo]);
        Assert.That(undo.Result.IsOk, Is.True);
        Assert.That(undo.Result.FeeCount, Is.EqualTo(1), "reversing it reverses its fee too");
        Assert.That(store.Engine.BalancesOf(a), Is.EqualTo(new Balances(100_000 + 200, 0)));
    }
}
