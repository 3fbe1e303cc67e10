using Ledger.Engine.Commands;
using Ledger.Journal.Entries;
using Ledger.Testing;
using NUnit.Framework;
using static Ledger.Testing.Commands;

namespace Ledger.Journal.Tests;

/// <summary>
/// The key filter's log (issue 14: a restart reads 8 bytes a key instead of the journal's records): a loaded filter is
/// brought to the store's checkpoint by the chunks that continue its coverage, never past a gap, a damaged chunk or the
/// checkpoint; a writable start trims what it did not use, so no chunk outlives the records it names.
/// </summary>
public class KeyFilterLogTests
{
    private string _dir = null!;

    [SetUp]
    public void CreateDirectory() => _dir = Directory.CreateTempSubdirectory("ledger-key-filter-log-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_dir, recursive: true);

    private static ulong KeyOf(long record, int i) => (ulong)(record * 1_000 + i) * 0x9E3779B97F4A7C15UL;

    /// <summary>Appends one chunk for records first..last, two keys a record; journal addresses are record x 100.</summary>
    private static void Chunk(KeyFilterLog log, long first, long last)
    {
        var hashes = new KeyFilterLog.Hashes();
        for (long r = first; r <= last; r++)
        {
            hashes.Add(KeyOf(r, 0));
            hashes.Add(KeyOf(r, 1));
        }
        log.Append(first, last, (last + 1) * 100, hashes);
    }

    private static bool Holds(KeyFilter filter, long first, long last)
    {
        for (long r = first; r <= last; r++)
        {
            if (!filter.MayContain(KeyOf(r, 0)) || !filter.MayContain(KeyOf(r, 1))) return false;
        }
        return true;
    }

    /// <summary>One segment with chunks for records 1..10 and 11..20; returns its path.</summary>
    private string TwoChunks()
    {
        using (var log = new KeyFilterLog(_dir, 1))
        {
            Chunk(log, 1, 10);
            Chunk(log, 11, 20);
        }
        return SegmentFiles().Single();
    }

    private string[] SegmentFiles() => Directory.GetFiles(_dir, "key-filter.*.log").Order().ToArray();

    [Test]
    public void ShouldBringALoadedFilterFromItsFileToTheStoresCheckpointAcrossSegments()
    {
        using (var log = new KeyFilterLog(_dir, 1))
        {
            Chunk(log, 1, 10);
            var (record, next, segment) = log.Rotate();
            Assert.That((record, next, segment), Is.EqualTo((10L, 1_100L, 2)), "the last record appended before the rotation");
            Chunk(log, 11, 20);
            Chunk(log, 21, 30);
        }
        Assert.That(SegmentFiles(), Has.Length.EqualTo(2));

        var filter = new KeyFilter(64 << 10) { Covered = 5 }; // its file covered record 5
        var applied = KeyFilterLog.Apply(_dir, filter, 5, 600, upTo: 30, trim: true);
        Assert.That(applied.Covered, Is.EqualTo(30));
        Assert.That(applied.NextAddress, Is.EqualTo(3_100));
        Assert.That(applied.Keys, Is.EqualTo(60), "every chunk that continued the coverage, the one overlapping the file's included");
        Assert.That(applied.Segments, Is.EqualTo(2));
        Assert.That(applied.NextSegment, Is.EqualTo(3), "the store writes after every existing segment");
        Assert.That(Holds(filter, 1, 30), Is.True);
        Assert.That(filter.Added, Is.EqualTo(60));
        Assert.That(applied.Describe(), Does.Contain("file at record 5, its log to 30"));
    }

    [Test]
    public void ShouldStopAtAGapAndLeaveItToTheJournal()
    {
        using (var log = new KeyFilterLog(_dir, 1))
        {
            Chunk(log, 1, 10);
            Chunk(log, 14, 20); // records 11..13 in no chunk (an append that failed, then a new segment)
        }
        var filter = new KeyFilter(64 << 10);
        var applied = KeyFilterLog.Apply(_dir, filter, 0, 0, upTo: 20, trim: false);
        Assert.That(applied.Covered, Is.EqualTo(10), "coverage never jumps a gap");
        Assert.That(applied.NextAddress, Is.EqualTo(1_100), "the journal top-up starts after record 10");
        Assert.That(applied.Keys, Is.EqualTo(20));
    }

    [TestCase(1, TestName = "ShouldStopAtATornChunkAndCutItAway(one byte short)")]
    [TestCase(100, TestName = "ShouldStopAtATornChunkAndCutItAway(a hundred bytes short)")]
    public void ShouldStopAtATornChunkAndCutItAway(int shortBy)
    {
        string segment = TwoChunks();
        long whole = new FileInfo(segment).Length;
        JournalFiles.Truncate(segment, whole - shortBy);
        var filter = new KeyFilter(64 << 10);
        var applied = KeyFilterLog.Apply(_dir, filter, 0, 0, upTo: 20, trim: true);
        Assert.That(applied.Covered, Is.EqualTo(10));
        Assert.That(new FileInfo(segment).Length, Is.EqualTo(32 + 20 * 8), "cut after the last whole chunk, so a later chunk can follow it");
    }

    [Test]
    public void ShouldRefuseAChunkWithAFlippedBit()
    {
        string segment = TwoChunks();
        JournalFiles.FlipByte(segment, 32 + 20 * 8 + 32 + 5); // a hash of the second chunk
        var filter = new KeyFilter(64 << 10);
        var applied = KeyFilterLog.Apply(_dir, filter, 0, 0, upTo: 20, trim: false);
        Assert.That(applied.Covered, Is.EqualTo(10), "the checksum refuses it: its records are left to the journal");
    }

    [Test]
    public void ShouldNeitherApplyNorKeepChunksPastTheStoresCheckpoint()
    {
        // After a crash the log may name records the store lost with its memtables, and a journal cut may then discard
        // them and reuse their numbers: such chunks must not be applied, nor survive this start.
        using (var log = new KeyFilterLog(_dir, 1))
        {
            Chunk(log, 1, 10);
            Chunk(log, 11, 20);
            log.Rotate();
            Chunk(log, 21, 30);
        }
        var filter = new KeyFilter(64 << 10);
        var applied = KeyFilterLog.Apply(_dir, filter, 0, 0, upTo: 10, trim: true);
        Assert.That(applied.Covered, Is.EqualTo(10));
        Assert.That(applied.Keys, Is.EqualTo(20));
        var files = SegmentFiles();
        Assert.That(files, Has.Length.EqualTo(1), "the later segment is deleted");
        Assert.That(new FileInfo(files[0]).Length, Is.EqualTo(32 + 20 * 8), "the chunk past the checkpoint is cut away");

        var again = KeyFilterLog.Apply(_dir, new KeyFilter(64 << 10), 0, 0, upTo: 30, trim: true);
        Assert.That(again.Covered, Is.EqualTo(10), "what was trimmed is gone: the replay writes it again");
    }

    [Test]
    public void ShouldKeepALogPastTheCheckpointWhenOpenedReadOnly()
    {
        long before = new FileInfo(TwoChunks()).Length;
        var applied = KeyFilterLog.Apply(_dir, new KeyFilter(64 << 10), 0, 0, upTo: 10, trim: false);
        Assert.That(applied.Covered, Is.EqualTo(10));
        Assert.That(new FileInfo(SegmentFiles().Single()).Length, Is.EqualTo(before), "a read-only store changes no file");
    }

    [Test]
    public void ShouldRetireOnlyTheSegmentsBeforeTheRotation()
    {
        using var log = new KeyFilterLog(_dir, 1);
        Chunk(log, 1, 10);
        var (_, _, segment) = log.Rotate();
        Chunk(log, 11, 20);
        log.RetireBefore(segment);
        Assert.That(SegmentFiles().Select(Path.GetFileName), Is.EqualTo(new[] { "key-filter.00000002.log" }));
        Assert.That(log.Rotate().Record, Is.EqualTo(20));
        Assert.That(log.Rotate().Segment, Is.EqualTo(3), "a rotation with nothing appended since starts no new segment");
    }

    [Test]
    public void ShouldStopTakingChunksWhenItCannotWriteWithoutFailingTheWriter()
    {
        string gone = Path.Combine(_dir, "not-there");
        using var log = new KeyFilterLog(gone, 1);
        Assert.DoesNotThrow(() => Chunk(log, 1, 10), "the log is housekeeping: the store writer goes on");
        Assert.That(log.Stopped, Is.Not.Null.And.Not.Empty);
        Assert.That(log.Chunks, Is.EqualTo(0));
        Directory.CreateDirectory(gone);
        Chunk(log, 11, 20);
        Assert.That(log.Chunks, Is.EqualTo(0), "nothing after the failure in the same segment: it would not continue its coverage");
        log.Rotate();
        Assert.That(log.Stopped, Is.Null, "a rotation starts a new segment");
        Chunk(log, 21, 30);
        Assert.That(log.Chunks, Is.EqualTo(1));
    }

    [Test]
    public void ShouldRestartAfterACrashWithTheFilterCompleteFromItsFileAndLogWithoutATopUp()
    {
        using var dir = new TempDataDir();
        using var crashed = new TempDataDir();
        string filterPath = Path.Combine(dir.Store, KeyFilter.FileName);
        string aside = Path.Combine(dir.Path, "aside");
        Directory.CreateDirectory(aside);
        var gap = new List<LedgerCommand>();
        long storeCheckpoint;
        using (var store = LedgerStore.Open(StoreHarness.Options(dir.Path)))
        {
            StoreHarness.Run(store, [Open(Account(1000)), Post(Posting(Account(1000), "early", 100, 1))]);
            store.Entries.Checkpoint(); // the filter's file saved: the 30 s checkpoint
            File.Copy(filterPath, Path.Combine(aside, KeyFilter.FileName));
            for (int i = 0; i < 20; i++) gap.Add(Post(Posting(Account(1000), $"late-{i}", 100, 2 + i)));
            StoreHarness.Run(store, gap);
            storeCheckpoint = store.Entries.Checkpoint(saveFilter: false); // the store's checkpoint moves on alone, as at a memtable flush
            foreach (string segment in Directory.GetFiles(dir.Store, "key-filter.*.log")) File.Copy(segment, Path.Combine(aside, Path.GetFileName(segment)));
        } // the clean stop saves the filter and retires the log: put back the files a crash at that moment would have left
        JournalFiles.CopyDirectory(dir.Store, crashed.Store);
        foreach (string file in Directory.GetFiles(aside)) File.Copy(file, Path.Combine(crashed.Store, Path.GetFileName(file)), overwrite: true);
        var tail = new List<LedgerCommand>();
        for (int i = 0; i < 10; i++) tail.Add(Post(Posting(Account(1000), $"tail-{i}", 100, 200 + i)));
        using (var store = LedgerStore.Open(StoreHarness.Options(dir.Path))) StoreHarness.Run(store, tail);
        Directory.Delete(dir.Store, recursive: true);
        JournalFiles.CopyDirectory(crashed.Store, dir.Store); // the journal holds the tail, the store stops at its checkpoint
        Assert.That(KeyFilter.Load(filterPath, out _)!.Covered, Is.LessThan(storeCheckpoint), "the filter's file lags the store");

        using var never = new ManualResetEvent(false);
        using var reopened = LedgerStore.Open(StoreHarness.Options(dir.Path) with { FilterTopUpHold = never });
        var report = reopened.Recovery;
        Assert.That(report.StoreCheckpoint!.RecordNumber, Is.EqualTo(storeCheckpoint));
        Assert.That(report.RecordsReplayed, Is.EqualTo(tail.Count));
        Assert.That(report.FilterLog, Is.Not.Null);
        Assert.That(report.FilterLog!.Value.Covered, Is.EqualTo(storeCheckpoint), "the log brought the filter to the store's checkpoint");
        Assert.That(report.FilterLog.Value.Keys, Is.GreaterThanOrEqualTo(gap.Count));
        Assert.That(report.Summary(), Does.Contain($"its log to {storeCheckpoint}"));
        Assert.That(reopened.FilterTopUp, Is.Null, "nothing to top up, now or after ready");
        Assert.That(report.Phases.FilterTopUp, Is.EqualTo(0));
        Assert.That(reopened.Entries.FilterComplete, Is.True, "complete before the replay: its lookups were answered by the filter");

        long filtered = reopened.Prefetcher.Filtered;
        StoreHarness.Run(reopened, [Post(Posting(Account(1000), "fresh", 100, 300))]);
        Assert.That(reopened.Prefetcher.Filtered, Is.GreaterThan(filtered), "a new id is answered absent by the filter");
        foreach (var posted in new[] { gap, tail })
        {
            var again = posted.Select(first => Post(Posting(Account(1000), first.Entries[0].CorrelationId, 100, first.Entries[0].AmountMinor))).ToList();
            StoreHarness.Run(reopened, again);
            for (int i = 0; i < posted.Count; i++)
            {
                Assert.That(again[i].Result.Replayed, Is.True, $"{posted[i].Entries[0].CorrelationId}: the filter holds its key (from the log, or the replay)");
                Assert.That(again[i].EntryResults[0].Sequence, Is.EqualTo(posted[i].EntryResults[0].Sequence));
            }
        }
    }

    [Test]
    public void ShouldHoldOnlyWhatCameAfterTheFiltersLastSave()
    {
        using var dir = new TempDataDir();
        string[] Segments() => Directory.GetFiles(dir.Store, "key-filter.*.log");
        using var store = LedgerStore.Open(StoreHarness.Options(dir.Path));
        StoreHarness.Run(store, [Open(Account(1000)), Post(Posting(Account(1000), "one", 100, 1))]);
        Assert.That(Segments(), Has.Length.EqualTo(1), "the writer appended the records since the start");
        store.Entries.Checkpoint();
        Assert.That(Segments(), Is.Empty, "the save covers them: their segment is deleted, the next one starts at the next append");
        Assert.That(KeyFilter.Load(Path.Combine(dir.Store, KeyFilter.FileName), out _)!.Covered, Is.EqualTo(store.Entries.LastCheckpoint!.RecordNumber));
        StoreHarness.Run(store, [Post(Posting(Account(1000), "two", 100, 2))]);
        Assert.That(Segments(), Has.Length.EqualTo(1));
        store.Entries.Checkpoint(saveFilter: false);
        Assert.That(Segments(), Has.Length.EqualTo(1), "a checkpoint that does not save the filter keeps its log");
    }

    [Test]
    public void ShouldLeaveTheFiltersFileToItsLogUntilTheLogIsLongEnoughAtPeriodicCheckpoints()
    {
        using var dir = new TempDataDir();
        string file = Path.Combine(dir.Store, KeyFilter.FileName);
        var settings = StoreHarness.Options(dir.Path);
        settings = settings with { EntryStore = settings.EntryStore with { KeyFilterSaveAfterLogBytes = 2_048 } };
        using var store = LedgerStore.Open(settings);
        StoreHarness.Run(store, [Open(Account(1000)), Post(Posting(Account(1000), "first", 100, 1))]);
        Assert.That(File.Exists(file), Is.False);
        Assert.That(store.Entries.FilterSaveDue, Is.True, "no file yet for the log to continue: a start without one would refill the filter from the whole store");
        store.Entries.Checkpoint(saveFilter: store.Entries.FilterSaveDue);
        long saved = KeyFilter.Load(file, out _)!.Covered;
        Assert.That(store.Entries.FilterSaveDue, Is.False, "saved, and nothing logged since");

        StoreHarness.Run(store, [Post(Posting(Account(1000), "second", 100, 2))]);
        Assert.That(store.Entries.FilterLog!.Length, Is.GreaterThan(0).And.LessThan(2_048));
        Assert.That(store.Entries.FilterSaveDue, Is.False, "a short log is cheaper to apply at a start than the file to rewrite now");
        store.Entries.Checkpoint(saveFilter: store.Entries.FilterSaveDue);
        Assert.That(KeyFilter.Load(file, out _)!.Covered, Is.EqualTo(saved), "the file stays as it was");
        Assert.That(store.Entries.DurableWatermark, Is.EqualTo(store.Entries.Watermark), "the store's checkpoint moved all the same");

        var many = Enumerable.Range(3, 300).Select(i => Post(Posting(Account(1000), "more-" + i, 100, i))).ToArray();
        StoreHarness.Run(store, many);
        Assert.That(store.Entries.FilterLog!.Length, Is.GreaterThanOrEqualTo(2_048));
        Assert.That(store.Entries.FilterSaveDue, Is.True, "the log holds enough: the next tick saves");
        store.Entries.Checkpoint(saveFilter: store.Entries.FilterSaveDue);
        Assert.That(KeyFilter.Load(file, out _)!.Covered, Is.EqualTo(store.Entries.LastCheckpoint!.RecordNumber));
        Assert.That(store.Entries.FilterSaveDue, Is.False);
    }

    [Test]
    public void ShouldCountTheSegmentsAStartFoundUntilASaveRetiresThem()
    {
        File.WriteAllBytes(Path.Combine(_dir, "key-filter.3.log"), new byte[5_000]);
        File.WriteAllBytes(Path.Combine(_dir, "key-filter.4.log"), new byte[3_000]);
        using var log = new KeyFilterLog(_dir, 5);
        Assert.That(log.Length, Is.EqualTo(8_000), "a start reads them: they count against the save bound");
        Chunk(log, 1, 10);
        Assert.That(log.Length, Is.GreaterThan(8_000));
        log.Rotate();
        Assert.That(log.Length, Is.Zero, "the save that follows the rotation retires them");
    }

    [TestCase(-1L)]
    [TestCase(KeyFilterLog.SegmentBytesMax)]
    public void ShouldRefuseASaveBoundALogSegmentCouldNotReach(long bytes) =>
        Assert.That(() => new EntryStoreSettings { KeyFilterSaveAfterLogBytes = bytes }.Validate(), Throws.ArgumentException.With.Message.Contains("KeyFilterSaveAfterLogBytes"));
}
