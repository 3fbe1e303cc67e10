using Ledger.Engine.Commands;
using Ledger.Journal.Entries;
using Ledger.Testing;
using NUnit.Framework;
using static Ledger.Testing.Commands;

namespace Ledger.Journal.Tests;

/// <summary>
/// The key filter's top-up after a restart runs before the replay when its gap is small beside the replay's, else in the
/// background once the ledger is ready (issue 14): meanwhile every
/// replay is still answered with its first answer, no checkpoint saves a file claiming what the filter lacks, and once
/// done the filter is complete and answers for absent keys. The top-up is held by <see cref="LedgerStoreSettings.FilterTopUpHold"/>
/// so "while it runs" is a state the test sets, not a race it hopes to win.
/// </summary>
public class FilterTopUpTests
{
    private const int GapEntries = 20;

    /// <summary>
    /// A data directory whose key-filter file covers only the first checkpoint, while the store's checkpoint covers
    /// <see cref="GapEntries"/> more postings (as after a crash between the 30 s filter saves). Returns the gap's postings
    /// as first answered and the coverage of the filter's file.
    /// </summary>
    private static (List<LedgerCommand> Gap, long FileCovers) LaggingFilter(TempDataDir dir)
    {
        string path = Path.Combine(dir.Store, KeyFilter.FileName);
        string saved = Path.Combine(dir.Path, "filter-at-first-save");
        var gap = new List<LedgerCommand>();
        using (var store = LedgerStore.Open(StoreHarness.Options(dir.Path)))
        {
            StoreHarness.Run(store, [Open(Account(1000)), Post(Posting(Account(1000), "early", 100, 1))]);
            store.Entries.Checkpoint();
            File.Copy(path, saved);
            for (int i = 0; i < GapEntries; i++) gap.Add(Post(Posting(Account(1000), $"late-{i}", 100, 2 + i)));
            StoreHarness.Run(store, gap);
        }
        File.Copy(saved, path, overwrite: true);
        return (gap, KeyFilter.Load(path, out _)!.Covered);
    }

    private static void AssertReplayedAsFirstAnswered(LedgerStore store, List<LedgerCommand> gap)
    {
        var again = gap.Select(first => Post(Posting(Account(1000), first.Entries[0].CorrelationId, 100, first.Entries[0].AmountMinor))).ToList();
        StoreHarness.Run(store, again);
        for (int i = 0; i < gap.Count; i++)
        {
            Assert.That(again[i].Result.Replayed, Is.True, $"{gap[i].Entries[0].CorrelationId} was journaled after the filter's save: a replay, not a new posting");
            Assert.That(again[i].EntryResults[0].Sequence, Is.EqualTo(gap[i].EntryResults[0].Sequence), "the first answer");
        }
    }

    [Test]
    public void ShouldBeReadyAndAnswerReplaysOfTheFiltersGapWithTheirFirstAnswerWhileTheTopUpRuns()
    {
        using var dir = new TempDataDir();
        var (gap, _) = LaggingFilter(dir);
        using var hold = new ManualResetEvent(false);
        using var reopened = LedgerStore.Open(StoreHarness.Options(dir.Path) with { FilterTopUpHold = hold });
        Assert.That(reopened.FilterTopUp, Is.Not.Null, "nothing to replay: topping up first would only delay ready");
        Assert.That(reopened.Recovery.Phases.FilterTopUp, Is.EqualTo(0));
        var balance = reopened.Engine.BalancesOf(Account(1000));

        AssertReplayedAsFirstAnswered(reopened, gap);

        Assert.That(reopened.Engine.BalancesOf(Account(1000)), Is.EqualTo(balance), "no replay posted again");
        Assert.That(reopened.Entries.FilterComplete, Is.False, "all of that happened while the top-up was held");
        Assert.That(reopened.FilterTopUp!.Completion.IsCompleted, Is.False);
        hold.Set();
        Assert.That(reopened.FilterTopUp.Completion.Wait(TimeSpan.FromMinutes(2)), Is.True, "the top-up ends once released");
        Assert.That(reopened.Entries.FilterComplete, Is.True);
    }

    [Test]
    public void ShouldNotSaveTheKeyFilterWhileItsTopUpIsIncompleteAndTopUpAgainAtTheNextStart()
    {
        using var dir = new TempDataDir();
        var (gap, fileCovers) = LaggingFilter(dir);
        string path = Path.Combine(dir.Store, KeyFilter.FileName);
        byte[] before = File.ReadAllBytes(path);
        using (var hold = new ManualResetEvent(false))
        using (var reopened = LedgerStore.Open(StoreHarness.Options(dir.Path) with { FilterTopUpHold = hold }))
        {
            var more = Post(Posting(Account(1000), "during-top-up", 100, 99));
            StoreHarness.Run(reopened, [more]);
            gap.Add(more);
            reopened.Entries.Checkpoint();
            Assert.That(reopened.Entries.LastCheckpoint!.RecordNumber, Is.GreaterThan(fileCovers), "the store's checkpoint moved on");
            Assert.That(KeyFilter.Load(path, out _)!.Covered, Is.EqualTo(fileCovers), "the file does not claim the gap the filter lacks");
            Assert.That(File.ReadAllBytes(path), Is.EqualTo(before), "the old file stays as it was");
        } // stopped while held (as a crash during the top-up would leave it); the clean stop's checkpoint saves nothing either
        Assert.That(KeyFilter.Load(path, out _)!.Covered, Is.EqualTo(fileCovers));

        using var again = LedgerStore.Open(StoreHarness.Options(dir.Path));
        Assert.That(again.FilterTopUp, Is.Not.Null, "the next start tops up again from the old file");
        Assert.That(again.FilterTopUp!.Completion.Wait(TimeSpan.FromMinutes(2)), Is.True);
        Assert.That(again.Entries.FilterComplete, Is.True);
        AssertReplayedAsFirstAnswered(again, gap);
    }

    [Test]
    public void ShouldAnswerAbsentKeysFromTheCompleteFilterAndSaveItOnceTheTopUpIsDone()
    {
        using var dir = new TempDataDir();
        var (gap, fileCovers) = LaggingFilter(dir);
        string path = Path.Combine(dir.Store, KeyFilter.FileName);
        using var hold = new ManualResetEvent(false);
        using var reopened = LedgerStore.Open(StoreHarness.Options(dir.Path) with { FilterTopUpHold = hold });
        long filteredHeld = reopened.Prefetcher.Filtered;
        StoreHarness.Run(reopened, [Post(Posting(Account(1000), "fresh-while-held", 100, 50))]);
        Assert.That(reopened.Prefetcher.Filtered, Is.EqualTo(filteredHeld), "an incomplete filter answers no lookup (RocksDB does)");

        hold.Set();
        Assert.That(reopened.FilterTopUp!.Completion.Wait(TimeSpan.FromMinutes(2)), Is.True);
        Assert.That(reopened.Entries.FilterComplete, Is.True);
        long filtered = reopened.Prefetcher.Filtered;
        StoreHarness.Run(reopened, [Post(Posting(Account(1000), "fresh-after", 100, 51))]);
        Assert.That(reopened.Prefetcher.Filtered, Is.GreaterThan(filtered), "a new id is answered absent by the filter, without RocksDB");
        AssertReplayedAsFirstAnswered(reopened, gap); // the top-up really added the gap's keys: the complete filter does not hide them

        reopened.Entries.Checkpoint();
        Assert.That(KeyFilter.Load(path, out _)!.Covered, Is.EqualTo(reopened.Entries.LastCheckpoint!.RecordNumber).And.GreaterThan(fileCovers),
            "complete again: the checkpoint saves it");
    }

    [Test]
    public void ShouldTopUpTheFilterBeforeTheReplayWhenItsGapIsSmallBesideTheReplay()
    {
        using var dir = new TempDataDir();
        using var older = new TempDataDir();
        var (gap, fileCovers) = LaggingFilter(dir);
        JournalFiles.CopyDirectory(dir.Store, older.Store); // the store at the gap's end, its filter's file at the first save
        var tail = new List<LedgerCommand>();
        for (int i = 0; i < GapEntries; i++) tail.Add(Post(Posting(Account(1000), $"tail-{i}", 100, 200 + i)));
        using (var store = LedgerStore.Open(StoreHarness.Options(dir.Path))) StoreHarness.Run(store, tail);
        Directory.Delete(dir.Store, recursive: true);
        JournalFiles.CopyDirectory(older.Store, dir.Store); // as after a crash: the journal holds the tail, the store does not

        using var never = new ManualResetEvent(false);
        using var reopened = LedgerStore.Open(StoreHarness.Options(dir.Path) with { FilterTopUpHold = never });
        var report = reopened.Recovery;
        Assert.That(report.StoreCheckpoint!.RecordNumber, Is.GreaterThan(fileCovers));
        Assert.That(report.RecordsReplayed, Is.EqualTo(tail.Count), "the tail was replayed");
        Assert.That(reopened.FilterTopUp, Is.Null, "a gap no larger than the replay is topped up first, not after ready");
        Assert.That(reopened.Entries.FilterComplete, Is.True);
        Assert.That(report.Phases.FilterTopUp, Is.GreaterThan(0));
        Assert.That(report.Summary(), Does.Contain("key filter topped up first"));
        AssertReplayedAsFirstAnswered(reopened, gap); // the complete filter holds the gap's keys
        AssertReplayedAsFirstAnswered(reopened, tail); // and the replay's
    }
}
