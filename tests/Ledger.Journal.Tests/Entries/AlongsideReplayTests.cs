using Ledger.Journal.Recovery;
using Ledger.Testing;
using NUnit.Framework;
using static Ledger.Testing.Commands;

namespace Ledger.Journal.Tests;

/// <summary>
/// <see cref="LedgerStoreSettings.AlongsideReplay"/>: while recovery replays the journal after the entry store's
/// checkpoint, a derived store is given the journal up to that checkpoint (<see cref="VerifiedJournalPrefix"/>) on
/// another thread — every record up to it, none after, and "does not continue here" for a position that is not a record's
/// end. Open waits for it and reports its failure.
/// </summary>
public class AlongsideReplayTests
{
    /// <summary>A data directory whose entry store was checkpointed after the first commands and lost the rest (as a kill leaves it). Returns the checkpoint's record.</summary>
    private static long StoreBehindTheJournal(TempDataDir dir)
    {
        string saved = Path.Combine(dir.Path, "store-at-checkpoint");
        long checkpoint;
        using (var store = LedgerStore.Open(StoreHarness.Options(dir.Path)))
        {
            StoreHarness.Run(store, [Open(Account(1000)), Post(Posting(Account(1000), "a", 100, 1)), Post(Posting(Account(1000), "b", 100, 2))]);
            checkpoint = store.Entries.Checkpoint();
            CopyDirectory(dir.Store, saved);
            StoreHarness.Run(store, [Post(Posting(Account(1000), "c", 100, 3)), Post(Posting(Account(1000), "d", 100, 4)), Post(Posting(Account(1000), "e", 100, 5))]);
        }
        Directory.Delete(dir.Store, recursive: true);
        CopyDirectory(saved, dir.Store);
        return checkpoint;
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }

    [Test]
    public void ShouldGiveTheJournalUpToTheCheckpointOnAnotherThreadWhileRecoveryReplaysTheRest()
    {
        using var dir = new TempDataDir();
        long checkpoint = StoreBehindTheJournal(dir);
        int calls = 0, thread = 0;
        long last = 0, fromMiddle = 0, fromEnd = 0, misfit = 0;
        var numbers = new List<long>();
        using var store = LedgerStore.Open(StoreHarness.Options(dir.Path) with
        {
            AlongsideReplay = prefix =>
            {
                calls++;
                thread = Environment.CurrentManagedThreadId;
                last = prefix.LastRecordNumber;
                (long Number, long Next, long Sequence) second = default;
                prefix.ReadAfter(0, 0, 0, record =>
                {
                    numbers.Add(record.RecordNumber);
                    if (record.RecordNumber == 2) second = (record.RecordNumber, record.NextAddress, record.LastSequence);
                });
                fromMiddle = prefix.ReadAfter(second.Number, second.Next, second.Sequence, _ => { });
                fromEnd = prefix.ReadAfter(last, 0, 0, _ => { });
                misfit = prefix.ReadAfter(second.Number, second.Next + 1, second.Sequence, _ => { });
            },
        });

        Assert.That(calls, Is.EqualTo(1));
        Assert.That(thread, Is.Not.EqualTo(Environment.CurrentManagedThreadId), "beside recovery, not before or after it on the caller's thread");
        Assert.That(last, Is.EqualTo(checkpoint), "the prefix ends at the entry store's checkpoint");
        Assert.That(numbers, Is.EqualTo(Enumerable.Range(1, (int)checkpoint).Select(n => (long)n)), "every record up to it, in order, none after");
        Assert.That(fromMiddle, Is.EqualTo(checkpoint - 2), "from a record's end: the records after it up to the checkpoint");
        Assert.That(fromEnd, Is.EqualTo(0), "at the checkpoint: nothing");
        Assert.That(misfit, Is.EqualTo(-1), "an address that is no record's end: the journal does not continue there");
        Assert.That(store.Recovery.RecordsReplayed, Is.EqualTo(3), "recovery replayed the three records after the checkpoint itself");
        Assert.That(store.Journal.CommittedRecordNumber, Is.EqualTo(checkpoint + 3));
    }

    [Test]
    public void ShouldFailTheOpenWithWhatTheWorkBesideRecoveryThrewAndReleaseTheDataDirectory()
    {
        using var dir = new TempDataDir();
        StoreBehindTheJournal(dir);
        var thrown = Assert.Throws<InvalidOperationException>(() =>
            LedgerStore.Open(StoreHarness.Options(dir.Path) with { AlongsideReplay = _ => throw new InvalidOperationException("beside") }));
        Assert.That(thrown!.Message, Is.EqualTo("beside"));
        using var again = LedgerStore.Open(StoreHarness.Options(dir.Path));
        Assert.That(again.Journal.CommittedRecordNumber, Is.GreaterThan(0), "the lock and the journal were released: it opens again");
    }
}
