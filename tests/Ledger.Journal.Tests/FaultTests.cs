using Ledger.Journal.Entries;
using Ledger.Journal.Recovery;
using Ledger.Testing;
using NUnit.Framework;

namespace Ledger.Journal.Tests;

public class FaultTests
{
    private static JournalSettings Settings => StoreHarness.Options("unused").Journal;

    /// <summary>
    /// A data directory with <paramref name="count"/> workload commands journaled and a pristine copy of it. Its entry
    /// store is removed: recovery then reads the whole journal (damage behind a store's checkpoint is for verify to find; a
    /// restart reads only what comes after the cut).
    /// </summary>
    private static (TempDataDir Dir, TempDataDir Pristine, List<(long Number, long Address, long Next)> Records) Build(int count, int seed = 21)
    {
        var dir = new TempDataDir();
        using (var store = LedgerStore.Open(StoreHarness.Options(dir.Path))) StoreHarness.Run(store, new RandomWorkload(seed).Take(count));
        Directory.Delete(dir.Store, recursive: true);
        var pristine = new TempDataDir();
        JournalFiles.CopyDirectory(dir.Path, pristine.Path);
        return (dir, pristine, JournalFiles.Records(dir.Journal, Settings));
    }

    [Test]
    public void ShouldCutATornLastRecordReportItAndAppendAfterIt()
    {
        var (dir, pristine, records) = Build(600);
        using (dir)
        using (pristine)
        {
            var last = records[^1];
            var (file, offset) = JournalFiles.Locate(dir.Journal, Settings, last.Address);
            JournalFiles.Truncate(file, offset + 4 + 20); // FasterLog length + 20 bytes of our header: torn mid-record

            ulong afterCut;
            using (var store = LedgerStore.Open(StoreHarness.Options(dir.Path)))
            {
                var report = store.Recovery;
                Assert.That(report.Damage, Is.Not.Null);
                Assert.That(report.JournalCut, Is.Not.Null);
                Assert.That(report.JournalCut!.LastGoodRecordNumber, Is.EqualTo(last.Number - 1));
                Assert.That(report.LastRecordNumber, Is.EqualTo(last.Number - 1));
                Assert.That(report.Summary(), Does.Contain("JOURNAL CUT").And.Contain($"record {last.Number}"));
                Assert.That(report.StateHash, Is.EqualTo(JournalFiles.HashAfter(pristine.Journal, Settings, last.Number - 1)));
                StoreHarness.Run(store, new RandomWorkload(99).Take(200).Skip(1)); // new commands after the cut (no second opening)
                afterCut = store.Engine.ComputeStateHash();
            }
            using (var reopened = LedgerStore.Open(StoreHarness.Options(dir.Path)))
            {
                Assert.That(reopened.Recovery.Damage, Is.Null, "the cut is recorded: the damaged bytes are skipped, not found again");
                Assert.That(reopened.Recovery.StateHash, Is.EqualTo(afterCut));
            }
            var numbers = JournalFiles.Records(dir.Journal, Settings).Select(r => r.Number).ToList();
            Assert.That(numbers, Is.EqualTo(Enumerable.Range(1, numbers.Count).Select(i => (long)i)), "record numbers continue after the last good record");
        }
    }

    [TestCase(4 + 2, 0x5A, TestName = "ShouldCutAtAFlippedByteInTheVersionOfATailRecord")]
    [TestCase(4 + 10, 0x5A, TestName = "ShouldCutAtAFlippedByteInTheRecordNumberOfATailRecord")]
    [TestCase(4 + 40, 0x5A, TestName = "ShouldCutAtAFlippedByteInThePayloadOfATailRecord")]
    [TestCase(0, 0x5A, TestName = "ShouldCutAtAFlippedByteInFasterLogsLengthOfATailRecord")]
    [TestCase(3, 0x80, TestName = "ShouldCutAtASignBitFlippedInFasterLogsLengthOfATailRecord")]
    public void ShouldCutAtAFlippedByte(int byteInRecord, int mask)
    {
        var (dir, pristine, records) = Build(600);
        using (dir)
        using (pristine)
        {
            var victim = records[^5];
            var (file, offset) = JournalFiles.Locate(dir.Journal, Settings, victim.Address);
            JournalFiles.FlipByte(file, offset + byteInRecord, (byte)mask);
            ulong afterCut;
            using (var store = LedgerStore.Open(StoreHarness.Options(dir.Path)))
            {
                var report = store.Recovery;
                Assert.That(report.JournalCut, Is.Not.Null, report.Summary());
                Assert.That(report.JournalCut!.LastGoodRecordNumber, Is.EqualTo(victim.Number - 1));
                Assert.That(report.JournalCut.CutAddress, Is.EqualTo(records[^6].Next));
                Assert.That(report.StateHash, Is.EqualTo(JournalFiles.HashAfter(pristine.Journal, Settings, victim.Number - 1)));
                TestContext.Out.WriteLine(report.Summary());
                StoreHarness.Run(store, new RandomWorkload(77).Take(100).Skip(1)); // the journal stays writable after the damage
                afterCut = store.Engine.ComputeStateHash();
            }
            using var reopened = LedgerStore.Open(StoreHarness.Options(dir.Path));
            Assert.That(reopened.Recovery.Damage, Is.Null);
            Assert.That(reopened.Recovery.StateHash, Is.EqualTo(afterCut));
        }
    }

    [Test]
    public void ShouldFollowACutThatResumesWhereAnEarlierCutResumed()
    {
        // Found by ledger-sim (seed 2): the record written where a cut resumed is damaged too, so the second cut starts at
        // the first one's resume address. A reader jumping over the first must then jump over the second as well; it
        // read the damaged bytes instead, so every full scan (the read store's rebuild, the tools) failed.
        var (dir, pristine, records) = Build(300);
        using (dir)
        using (pristine)
        {
            var (file, offset) = JournalFiles.Locate(dir.Journal, Settings, records[^1].Address);
            JournalFiles.FlipByte(file, offset + 4 + 40);
            long resume;
            using (var store = LedgerStore.Open(StoreHarness.Options(dir.Path)))
            {
                resume = store.Recovery.JournalCut!.ResumeAddress;
                StoreHarness.Run(store, new RandomWorkload(77).Take(20).Skip(1));
            }
            (file, offset) = JournalFiles.Locate(dir.Journal, Settings, resume);
            JournalFiles.FlipByte(file, offset + 4 + 40);
            Directory.Delete(Path.Combine(dir.Path, Ledger.Journal.Entries.EntryStore.DirectoryName), recursive: true); // so start-up reads the damage (it reads only the tail after the store's checkpoint)
            using (var store = LedgerStore.Open(StoreHarness.Options(dir.Path)))
            {
                Assert.That(store.Recovery.JournalCut, Is.Not.Null);
                Assert.That(store.Recovery.JournalCut!.CutAddress, Is.EqualTo(resume), "the second cut starts where the first resumed");
            }
            var after = JournalFiles.Records(dir.Journal, Settings);
            Assert.That(after.Select(r => r.Number), Is.EqualTo(Enumerable.Range(1, after.Count).Select(n => (long)n)), "a full scan reads every record, contiguous");
            Assert.That(after[^1].Number, Is.EqualTo(records[^1].Number - 1));
        }
    }

    [Test]
    public void ShouldReportButNotCutDamageWhenOpenedReadOnly()
    {
        var (dir, pristine, records) = Build(300);
        using (dir)
        using (pristine)
        {
            var victim = records[^3];
            var (file, offset) = JournalFiles.Locate(dir.Journal, Settings, victim.Address);
            JournalFiles.FlipByte(file, offset + 50);
            string before = JournalFiles.Digest(dir.Path);
            using (var log = JournalLog.Open(dir.Journal, Settings, readOnly: true))
            {
                var result = LedgerRecovery.Recover(log, null, new RecoverySettings { CutDamage = true });
                Assert.That(result.Report.Damage, Is.Not.Null);
                Assert.That(result.Report.Damage!.ExpectedRecordNumber, Is.EqualTo(victim.Number));
                Assert.That(result.Report.Damage.Address, Is.EqualTo(victim.Address));
                Assert.That(result.Report.JournalCut, Is.Null);
            }
            Assert.That(JournalFiles.Digest(dir.Path), Is.EqualTo(before), "a read-only journal is never modified");
        }
    }

    [TestCase(true, TestName = "ShouldRebuildTheStoreFromTheJournalWhenItIsDeleted")]
    [TestCase(false, TestName = "ShouldRebuildTheStoreFromTheJournalWhenItCannotBeRead")]
    public void ShouldRebuildTheStoreFromTheJournalWhenItIsGone(bool deleted)
    {
        var (dir, pristine, records) = Build(700);
        using (dir)
        using (pristine)
        {
            if (!deleted)
            {
                using (var again = LedgerStore.Open(StoreHarness.Options(dir.Path))) { } // builds the store Build removed
                File.WriteAllText(Path.Combine(dir.Store, "CURRENT"), "MANIFEST-999999\n"); // names a manifest that does not exist
            }
            using var store = LedgerStore.Open(StoreHarness.Options(dir.Path));
            Assert.That(store.Recovery.StoreCheckpoint, Is.Null);
            Assert.That(store.Recovery.RecordsReplayed, Is.EqualTo(records.Count));
            Assert.That(store.Recovery.StateHash, Is.EqualTo(JournalFiles.HashAfter(pristine.Journal, Settings, records[^1].Number)));
            if (deleted) Assert.That(store.Recovery.StoreRebuilt, Is.Null, "a missing store is simply built");
            else Assert.That(store.Recovery.Summary(), Does.Contain("ENTRY STORE REBUILT").And.Contain("store.unusable-"));
            Assert.That(store.Entries.LastCheckpoint!.RecordNumber, Is.EqualTo(records[^1].Number), "the new store covers the whole journal");
        }
    }

    [Test]
    public void ShouldCutDamageAStoreThatCannotBeReadHidAndRebuildTheStoreBeforeIt()
    {
        var (dir, pristine, records) = Build(700);
        using (dir)
        using (pristine)
        {
            // A record in the middle is damaged, and the store is lost: recovery must replay, find the damage, cut before it.
            var victim = records[records.Count / 2];
            var (file, offset) = JournalFiles.Locate(dir.Journal, Settings, victim.Address);
            JournalFiles.FlipByte(file, offset + 40);
            using (var store = LedgerStore.Open(StoreHarness.Options(dir.Path)))
            {
                Assert.That(store.Recovery.JournalCut!.LastGoodRecordNumber, Is.EqualTo(victim.Number - 1));
                Assert.That(store.Entries.LastCheckpoint!.RecordNumber, Is.EqualTo(victim.Number - 1), "the store covers only what survived the cut");
                StoreHarness.Run(store, new RandomWorkload(5).Take(50).Skip(1));
            }
            using var reopened = LedgerStore.Open(StoreHarness.Options(dir.Path));
            Assert.That(reopened.Recovery.Damage, Is.Null);
            Assert.That(reopened.Recovery.StoreCheckpoint, Is.Not.Null);
        }
    }

    [Test]
    public void ShouldRefuseToStartWhenTheJournalLostRecordsTheStoreCovers()
    {
        using var dir = new TempDataDir();
        using var older = new TempDataDir();
        using (var store = LedgerStore.Open(StoreHarness.Options(dir.Path)))
        {
            var workload = new RandomWorkload(41);
            StoreHarness.Run(store, workload.Take(200));
            JournalFiles.CopyDirectory(dir.Journal, older.Journal); // an old copy of the journal...
            StoreHarness.Run(store, workload.Take(300));
        }
        Directory.Delete(dir.Journal, recursive: true);
        JournalFiles.CopyDirectory(older.Journal, dir.Journal); // ...put back under a store that covers more
        var ex = Assert.Throws<JournalFormatException>(() => LedgerStore.Open(StoreHarness.Options(dir.Path)));
        Assert.That(ex!.Message, Does.Contain("committed journal records are missing"));
        Assert.That(Directory.Exists(dir.Store), Is.True, "the store that proves the loss is left where it is");
    }

    [Test]
    public void ShouldSetAsideAStoreOfAnotherJournalAndRebuild()
    {
        using var a = new TempDataDir();
        using var b = new TempDataDir();
        using (var store = LedgerStore.Open(StoreHarness.Options(a.Path))) StoreHarness.Run(store, new RandomWorkload(1).Take(300));
        using (var store = LedgerStore.Open(StoreHarness.Options(b.Path))) StoreHarness.Run(store, new RandomWorkload(2).Take(900));
        Directory.Delete(b.Store, recursive: true);
        JournalFiles.CopyDirectory(a.Store, b.Store);
        using var reopened = LedgerStore.Open(StoreHarness.Options(b.Path));
        Assert.That(reopened.Recovery.Damage, Is.Null);
        Assert.That(reopened.Recovery.StoreRebuilt, Does.Contain("not in this journal"));
        Assert.That(reopened.Recovery.StateHash, Is.EqualTo(RandomWorkload.Reference(2, 900).ComputeStateHash()));
        TestContext.Out.WriteLine(reopened.Recovery.Summary());
    }
}
