using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Hosting;
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

    // ---- the catalog changes between publish and prefetch: the prefetch stage, following the catalogs in ring order,
    // alone decides which fees are in force and derives their ids (producers derive none, the engine none) ----

    [TestCase(false, TestName = "ShouldDeriveTheFeeIdInThePrefetchStageWhenACatalogWithAFeeCameBetweenPublishAndPrefetch")]
    [TestCase(true, TestName = "ShouldDeriveNoFeeIdWhenACatalogWithoutTheFeeCameBetweenPublishAndPrefetch")]
    public async Task ShouldDecideTheFeeUnderTheCatalogThatCameBetweenPublishAndPrefetch(bool feeAtPublish)
    {
        using var dir = new TempDataDir();
        var a = Account(feeAtPublish ? 78_004 : 78_003);
        using var store = LedgerStore.Open(StoreHarness.Options(dir.Path));
        StoreHarness.Run(store, [Open(a), Post(Posting(a, "dep", 100, 100_000)), .. feeAtPublish ? new[] { Load(WithFee) } : []]);
        Assert.That(store.Engine.Catalog.HasFees, Is.EqualTo(feeAtPublish));

        var buy = Post(Posting(a, "buy", 998, 1_000)); // published while the catalog in force is the one before
        var seen = await RunHeldAsync(store, [Load(feeAtPublish ? DefaultCatalog : WithFee), buy]);

        bool fee = !feeAtPublish;
        Assert.That(seen[buy], Is.EqualTo(new[] { fee ? "buy:fee" : null }), "the prefetch stage derived the fee's id before the engine, only for a fee that can be posted");
        Assert.That(buy.Result.FeeCount, Is.EqualTo(fee ? 1 : 0), "decided under the catalog that came between");
        Assert.That(buy.EventSpan.ToArray().Select(e => e.CorrelationId), Is.EqualTo(fee ? new[] { "buy", "buy:fee" } : new[] { "buy" }));
        Assert.That(store.Engine.BalancesOf(a), Is.EqualTo(new Balances(100_000 - 1_000 - (fee ? 9 : 0), 0)));
    }

    [Test]
    public async Task ShouldReverseTheFeeOfAnEntryOnlyTheEngineHoldsAfterTheFeeWasRemoved()
    {
        // The entry and its fee are above the store's watermark: only the engine holds them, so the prefetch stage, which
        // saw the fee come into force in ring order, derives the reversal's fee id without the store's word.
        using var dir = new TempDataDir();
        var a = Account(78_005);
        using var store = LedgerStore.Open(StoreHarness.Options(dir.Path));
        StoreHarness.Run(store, [Open(a), Post(Posting(a, "dep", 100, 100_000))]);

        var buy = Post(Posting(a, "buy", 998, 1_000));
        var undo = Post(Reverse(a, "undo", "buy"));
        await RunHeldAsync(store, [Load(WithFee), buy, Load(DefaultCatalog), undo]);

        Assert.That(buy.Result.FeeCount, Is.EqualTo(1));
        Assert.That(undo.Result.IsOk, Is.True);
        Assert.That(undo.Result.FeeCount, Is.EqualTo(1), "reversing it reverses its fee too");
        Assert.That(undo.EventSpan.ToArray().Select(e => e.CorrelationId), Does.Contain("undo:fee"));
        Assert.That(store.Engine.BalancesOf(a), Is.EqualTo(new Balances(100_000, 0)));
    }

    [Test]
    public void ShouldReverseTheFeeOfAnEntryTheStoreHoldsAfterARestartWithoutFeesInForce()
    {
        // After the restart no catalog in force has a fee and this engine posted none: only the store knows the entry carried one.
        using var dir = new TempDataDir();
        var a = Account(78_006);
        using (var store = LedgerStore.Open(StoreHarness.Options(dir.Path)))
        {
            StoreHarness.Run(store, [Open(a), Post(Posting(a, "dep", 100, 100_000)), Load(WithFee), Post(Posting(a, "buy", 998, 1_000)), Load(DefaultCatalog)]);
        }
        using (var store = LedgerStore.Open(StoreHarness.Options(dir.Path)))
        {
            Assert.That(store.Engine.Catalog.HasFees, Is.False);
            Assert.That(store.Engine.FeesPosted, Is.Zero, "restored from the store's checkpoint, nothing replayed");
            var undo = Post(Reverse(a, "undo", "buy"));
            StoreHarness.Run(store, [undo]);
            Assert.That(undo.Result.FeeCount, Is.EqualTo(1), "reversing it reverses its fee too");
            Assert.That(store.Engine.BalancesOf(a), Is.EqualTo(new Balances(100_000, 0)));
        }
    }

    /// <summary>
    /// Publishes the commands while the prefetch stage is held, so the engine has decided none of them (its catalog is the
    /// one before them) when the last is published; returns the fee ids each command's entries had when the prefetch read them.
    /// </summary>
    private static async Task<Dictionary<LedgerCommand, string?[]>> RunHeldAsync(LedgerStore store, LedgerCommand[] commands)
    {
        var held = new HeldPrefetcher(store.Prefetcher);
        using var host = new EngineHost(store.Engine, store.Journal, [], StoreHarness.HostSettings, held, store.StoreWriter);
        host.Start();
        var done = commands.Select(c => host.SubmitAsync(c).AsTask()).ToArray();
        held.Release.Set();
        await Task.WhenAll(done);
        host.Stop();
        return held.FeeIdsAtPrefetch;
    }

    /// <summary>The store's own prefetcher, held until released; notes the fee ids each command carried when it was read.</summary>
    private sealed class HeldPrefetcher(IEntryPrefetcher store) : IEntryPrefetcher
    {
        public readonly ManualResetEventSlim Release = new(false);
        public readonly Dictionary<LedgerCommand, string?[]> FeeIdsAtPrefetch = new(ReferenceEqualityComparer.Instance);

        public void Add(LedgerCommand command)
        {
            FeeIdsAtPrefetch[command] = command.EntrySpan.ToArray().Select(e => e.FeeCorrelationId).ToArray();
            store.Add(command);
        }

        public void EndOfBatch()
        {
            Release.Wait();
            store.EndOfBatch();
        }
    }
}
