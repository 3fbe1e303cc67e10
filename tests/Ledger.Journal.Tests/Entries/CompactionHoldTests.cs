using Ledger.Engine.Commands;
using Ledger.Journal.Entries;
using NUnit.Framework;
using static Ledger.Testing.Commands;

namespace Ledger.Journal.Tests;

/// <summary>
/// The entry store's side of a start's compaction hold (journal/Storage/CompactionHold.cs; the runs themselves are
/// checked on the read store, ReadSide.Tests): held from a writable open when asked, resumed on demand or by the
/// store writer's bytes past its memtables' worth, never in a read-only open.
/// </summary>
public class CompactionHoldTests
{
    private TempDataDir _dir = null!;

    [SetUp]
    public void CreateDirectory()
    {
        _dir = new TempDataDir();
        _deposits = 0;
    }

    [TearDown]
    public void DeleteDirectory() => _dir.Dispose();

    private LedgerStoreSettings Held()
    {
        var options = StoreHarness.Options(_dir.Path);
        return options with { EntryStore = options.EntryStore with { WriteBufferBytes = 4L << 20, WriteBuffers = 2, HoldCompactionsAtOpen = true } };
    }

    private int _deposits;

    private IEnumerable<LedgerCommand> Deposits(int commands, int entries)
    {
        if (_deposits == 0) yield return Open(Account(1));
        for (int c = 0; c < commands; c++, _deposits++)
            yield return Post(Enumerable.Range(0, entries).Select(i => Posting(Account(1), $"d{_deposits}-{i}", 100, 1)).ToArray());
    }

    [Test]
    public void ShouldHoldFromTheOpenUntilResumed()
    {
        using (var store = LedgerStore.Open(Held()))
        {
            Assert.That(store.Entries.CompactionsHeld, Is.True);
            StoreHarness.Run(store, Deposits(10, 10));
            Assert.That(store.Entries.CompactionsHeld, Is.True, "a hundred entries: far from the budget");
            store.Entries.ResumeCompactions();
            Assert.That(store.Entries.CompactionsHeld, Is.False);
            store.Entries.ResumeCompactions(); // again: nothing
        }
        using (var store = LedgerStore.Open(StoreHarness.Options(_dir.Path)))
            Assert.That(store.Entries.CompactionsHeld, Is.False, "not asked: compactions run from the open");
        using var readOnly = EntryStore.Open(_dir.Store, Held().EntryStore, readOnly: true);
        Assert.That(readOnly.CompactionsHeld, Is.False, "a read-only open compacts nothing");
    }

    [Test]
    public void ShouldLetGoByItselfOnceTheWriterWroteItsMemtablesWorth()
    {
        using var store = LedgerStore.Open(Held());
        StoreHarness.Run(store, Deposits(400, 100));
        Assert.That(store.Entries.CompactionsHeld, Is.True, "40 000 entries: ~4 MB of write batches, under the budget (8 MiB)");
        StoreHarness.Run(store, Deposits(1_200, 100)); // 120 000 more: past it
        Assert.That(store.Entries.CompactionsHeld, Is.False, "a replay longer than a kill leaves (the whole journal) never piles up sorted runs");
    }
}
