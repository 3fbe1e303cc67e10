using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using NUnit.Framework;

namespace Ledger.ReadSide.Tests;

/// <summary>
/// A store opened for a start holds its compactions (journal/Storage/CompactionHold.cs): sorted runs pile up while held,
/// merge once resumed, and the hold lets go by itself after its memtables' worth of writes.
/// </summary>
public sealed class CompactionHoldTests
{
    private static readonly AccountKey Key = new(1, 7);
    private static readonly CurrencyCode Usd = CurrencyCode.Parse("USD");
    private const long T0 = 639_000_000_000_000_000;

    // Two sorted runs start a compaction: without a hold, a few flushes merge at once.
    private static readonly ReadStoreSettings Settings = new()
    {
        BlockCacheBytes = 1 << 20, WriteBufferBytes = 1 << 20, WriteBuffers = 2, CompactionTrigger = 2, HoldCompactionsAtOpen = true,
    };

    private string _dir = "";
    private long _record;

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "ledger-hold-" + Guid.NewGuid().ToString("N"));
        _record = 0;
    }

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static LedgerEvent Applied(long sequence) => new()
    {
        Kind = LedgerEventKind.EntryApplied, Sequence = sequence, TimestampTicks = T0 + sequence, Account = Key, Currency = Usd,
        EntryKind = EntryKind.Ledger, Status = EntryStatus.Posted, EntryType = 100, AmountMinor = sequence, CorrelationId = "c" + sequence,
        Description = "Cash", BalancesAfter = new Balances(sequence, 0),
    };

    /// <summary>Feeds <paramref name="records"/> one-entry records (the first opens the account).</summary>
    private void Feed(ReadStore store, int records)
    {
        using var writer = store.Writer();
        for (int i = 0; i < records; i++)
        {
            _record++;
            LedgerEvent[] events = _record == 1
                ? [new LedgerEvent { Kind = LedgerEventKind.AccountOpened, Account = Key, Currency = Usd, TimestampTicks = T0 }]
                : [Applied(_record)];
            writer.Add(events, _record, _record * 100);
            if (writer.Pending >= 256) writer.Commit();
        }
        writer.Commit();
    }

    /// <summary>Level-0 files of both families: the flushed runs no compaction took yet (a trivial move takes one too).</summary>
    private static int SortedRuns(ReadStore store) => LevelZero(store, store.Db.GetDefaultColumnFamily()) + LevelZero(store, store.Rows);

    private static int LevelZero(ReadStore store, RocksDbSharp.ColumnFamilyHandle family) =>
        int.Parse(store.Db.GetProperty("rocksdb.num-files-at-level0", family), System.Globalization.CultureInfo.InvariantCulture);

    private static bool MergesWithin(ReadStore store, int runs, TimeSpan bound)
    {
        var until = DateTime.UtcNow + bound;
        while (DateTime.UtcNow < until)
        {
            if (SortedRuns(store) < runs) return true;
            Thread.Sleep(20);
        }
        return false;
    }

    [Test]
    public void ShouldKeepSortedRunsUnmergedWhileHeldAndMergeThemOnceResumed()
    {
        using var store = ReadStore.Open(_dir, Settings);
        Assert.That(store.CompactionsHeld, Is.True);
        for (int flush = 0; flush < 4; flush++)
        {
            Feed(store, 50);
            store.Checkpoint();
        }
        int runs = SortedRuns(store);
        Assert.That(runs, Is.EqualTo(8), "each checkpoint flushed a run into each family, twice the trigger");
        Assert.That(MergesWithin(store, runs, TimeSpan.FromMilliseconds(500)), Is.False, "held: nothing merges");
        Assert.That(store.CompactionsHeld, Is.True, "a few KB are far from the hold's budget");

        store.ResumeCompactions();
        Assert.That(store.CompactionsHeld, Is.False);
        Assert.That(MergesWithin(store, 4, TimeSpan.FromSeconds(30)), Is.True, "resumed: the pending compactions run");
        store.ResumeCompactions(); // again: nothing
        Assert.That(store.Statement(Key, new StatementQuery { Limit = 1_000 })!.Rows, Has.Count.EqualTo(4 * 50 - 1), "merged, none lost");
    }

    [Test]
    public void ShouldMergeAtOnceWithoutAHold()
    {
        using var store = ReadStore.Open(_dir, Settings with { HoldCompactionsAtOpen = false });
        Assert.That(store.CompactionsHeld, Is.False);
        for (int flush = 0; flush < 4; flush++)
        {
            Feed(store, 50);
            store.Checkpoint();
        }
        Assert.That(MergesWithin(store, 4, TimeSpan.FromSeconds(30)), Is.True, "the control: the same flushes are taken when nothing holds them");
    }

    [Test]
    public void ShouldLetGoByItselfOnceItWroteItsMemtablesWorth()
    {
        using var store = ReadStore.Open(_dir, Settings);
        Feed(store, 1_000);
        Assert.That(store.CompactionsHeld, Is.True, "1 000 rows: under the budget (both families' memtables, 4 MiB)");
        Feed(store, 60_000); // ~100 B a row and its index: past 4 MiB
        Assert.That(store.CompactionsHeld, Is.False, "a catch-up longer than a kill leaves (a rebuild) never piles up sorted runs");
    }

    [Test]
    public void ShouldNeverHoldInAReadOnlyOpen()
    {
        using (var store = ReadStore.Open(_dir, Settings))
        {
            Feed(store, 10);
        }
        using var readOnly = ReadStore.Open(_dir, Settings, readOnly: true);
        Assert.That(readOnly.CompactionsHeld, Is.False);
        readOnly.ResumeCompactions(); // nothing to resume
    }
}
