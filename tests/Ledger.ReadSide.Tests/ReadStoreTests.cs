using System.Globalization;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using NUnit.Framework;

namespace Ledger.ReadSide.Tests;

/// <summary>The read store on its own, fed events directly: pages, windows, status changes, balance history, restart.</summary>
public sealed class ReadStoreTests
{
    private static readonly AccountKey Key = new(1, 42);
    private static readonly CurrencyCode Usd = CurrencyCode.Parse("USD");
    private const long T0 = 639_000_000_000_000_000;
    private const long Second = TimeSpan.TicksPerSecond;

    private string _dir = "";
    private long _record;

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "ledger-read-" + Guid.NewGuid().ToString("N"));
        _record = 0;
    }

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static readonly ReadStoreSettings Tiny = new() { BlockCacheBytes = 1 << 20, WriteBufferBytes = 1 << 20, ScanBudget = 1_000 };

    private ReadStore Open(ReadStoreSettings? settings = null) => ReadStore.Open(_dir, settings ?? Tiny);

    private static LedgerEvent Opened(AccountKey key) =>
        new() { Kind = LedgerEventKind.AccountOpened, Account = key, Currency = Usd, AmountMinor = 500, TimestampTicks = T0 };

    private static LedgerEvent Applied(long sequence, string correlationId, long available, EntryKind kind = EntryKind.Ledger,
        EntryStatus status = EntryStatus.Posted, long held = 0, long reference = 0, AccountKey? account = null) => new()
    {
        Kind = LedgerEventKind.EntryApplied, Sequence = sequence, TimestampTicks = T0 + sequence * Second, Account = account ?? Key,
        Currency = Usd, EntryKind = kind, Status = status, EntryType = 100, AmountMinor = sequence, CorrelationId = correlationId,
        Description = "Cash", ReferenceSequence = reference, BalancesAfter = new Balances(available, held),
    };

    private static LedgerEvent Changed(long sequence, long causedBy, EntryStatus status, long atSecond, Balances after) => new()
    {
        Kind = LedgerEventKind.EntryStatusChanged, Account = Key, Sequence = sequence, CausedBySequence = causedBy, Status = status,
        TimestampTicks = T0 + atSecond * Second, BalancesAfter = after,
    };

    /// <summary>One journal record per call.</summary>
    private void Record(ReadStoreWriter writer, params LedgerEvent[] events)
    {
        _record++;
        writer.Add(events, _record, _record * 100);
    }

    private void Feed(ReadStore store, params LedgerEvent[][] records)
    {
        using var writer = store.Writer();
        foreach (var events in records) Record(writer, events);
        writer.Commit();
    }

    private void FeedHistory(ReadStore store) => Feed(store,
        [Opened(Key)],
        [Applied(1, "d", 100)],
        [Applied(2, "h", 70, EntryKind.Blocking, EntryStatus.Pending, held: 30)],
        [Changed(2, 0, EntryStatus.Expired, 5, new Balances(100, 0))],
        [Applied(6, "r", 0, EntryKind.Reversal, reference: 1), Changed(1, 6, EntryStatus.Posted, 6, new Balances(0, 0))]);

    private static string Describe(ReadStore store)
    {
        var page = store.Statement(Key, new StatementQuery())!;
        var lines = page.Rows.Select(e => $"{e.Sequence} {e.CorrelationId} {e.Kind} {e.Status} {e.ReversedBy} {e.Reference} {e.Description} {e.BalancesAfter}").ToList();
        for (long t = T0 - 1; t <= T0 + 7 * Second; t += Second / 2)
        {
            lines.Add(store.TryGetBalancesAt(Key, t, out var at) ? at.Balances.ToString() : "not open");
        }
        lines.Add(store.Statement(Key, new StatementQuery { CorrelationId = "r" })!.Rows.Single().Sequence.ToString(CultureInfo.InvariantCulture));
        store.TryGetAccount(Key, out var now);
        lines.Add($"{store.Watermark} {now}");
        return string.Join("\n", lines);
    }

    [Test]
    public void ShouldPageFromTheMiddleOfAQuarterMillionEntriesBySeekNotByScan()
    {
        using var store = Open();
        using (var writer = store.Writer())
        {
            Record(writer, Opened(Key));
            for (long s = 1; s <= 250_000; s++)
            {
                Record(writer, Applied(s, "c" + s, s));
                if (writer.Pending == 256) writer.Commit();
            }
            writer.Commit();
        }

        // Each page reads about as many keys as it answers (the row after a full page, the window's first history key):
        // a scan from the account's first entry would read 200 000 or more.
        long before = store.StatementKeysRead;
        var page = store.Statement(Key, new StatementQuery { AfterSequence = 200_000, Limit = 3 })!;
        Assert.That(page.Rows.Select(e => e.CorrelationId), Is.EqualTo(new[] { "c200001", "c200002", "c200003" }));
        Assert.That(page.NextAfterSequence, Is.EqualTo(200_003));
        Assert.That(store.StatementKeysRead - before, Is.LessThanOrEqualTo(4), "a page after a cursor is found by seek");

        before = store.StatementKeysRead;
        var window = store.Statement(Key, new StatementQuery { FromTicks = T0 + 249_999 * Second, Limit = 10 })!;
        Assert.That(window.Rows.Select(e => e.Sequence), Is.EqualTo(new long[] { 249_999, 250_000 }));
        Assert.That(window.NextAfterSequence, Is.Zero, "the last page has no cursor");
        Assert.That(store.StatementKeysRead - before, Is.LessThanOrEqualTo(3), "a window's start is found by seek in the time index");

        before = store.StatementKeysRead;
        var bounded = store.Statement(Key, new StatementQuery { FromTicks = T0 + 10 * Second, ToTicks = T0 + 13 * Second })!;
        Assert.That(bounded.Rows.Select(e => e.Sequence), Is.EqualTo(new long[] { 10, 11, 12 }), "from inclusive, to exclusive");
        Assert.That(store.StatementKeysRead - before, Is.LessThanOrEqualTo(5), "a bounded window stops at its end");

        var byId = store.Statement(Key, new StatementQuery { CorrelationId = "c177777" })!;
        Assert.That(byId.Rows.Single().Sequence, Is.EqualTo(177_777));
        Assert.That(store.TryGetBalancesAt(Key, T0 + 123_456 * Second, out var at), Is.True);
        Assert.That(at.Balances, Is.EqualTo(new Balances(123_456, 0)));
    }

    [Test]
    public void ShouldStopAFilteredScanAtItsBudgetAndHandBackACursor()
    {
        using var store = Open();
        var records = new List<LedgerEvent[]> { new[] { Opened(Key) } };
        for (long s = 1; s <= Tiny.ScanBudget + 10; s++) records.Add([Applied(s, "c" + s, s)]);
        Feed(store, [.. records]);
        var page = store.Statement(Key, new StatementQuery { EntryType = 999, Limit = 10 })!;
        Assert.That(page.Rows, Is.Empty);
        Assert.That(page.NextAfterSequence, Is.EqualTo(Tiny.ScanBudget), "the next page continues after the last entry examined");
        var rest = store.Statement(Key, new StatementQuery { EntryType = 999, Limit = 10, AfterSequence = page.NextAfterSequence })!;
        Assert.That(rest.Rows, Is.Empty);
        Assert.That(rest.NextAfterSequence, Is.Zero);
    }

    [Test]
    public void ShouldMoveAHoldsStatusAndRecordTheReversal()
    {
        using var store = Open();
        Feed(store,
            [Opened(Key)],
            [Applied(1, "d", 100)],
            [Applied(2, "h", 70, EntryKind.Blocking, EntryStatus.Pending, held: 30)]);
        // The release and the reversal land in a later write batch than the rows they change.
        Feed(store,
            [Applied(3, "u", 100, EntryKind.Unblocking, reference: 2), Changed(2, 3, EntryStatus.Released, 3, new Balances(100, 0))],
            [Applied(4, "r", 0, EntryKind.Reversal, reference: 1), Changed(1, 4, EntryStatus.Posted, 4, new Balances(0, 0))]);

        var all = store.Statement(Key, new StatementQuery())!.Rows;
        Assert.That(all.Select(e => e.Status), Is.EqualTo(new[] { EntryStatus.Posted, EntryStatus.Released, EntryStatus.Posted, EntryStatus.Posted }));
        Assert.That(all[0].ReversedBy, Is.EqualTo("r"));
        Assert.That(all[2].Reference, Is.EqualTo("h"));
        Assert.That(all[3].Reference, Is.EqualTo("d"));

        Assert.That(store.TryGetBalancesAt(Key, T0 + 2 * Second, out var atTwo), Is.True);
        Assert.That(atTwo.Balances, Is.EqualTo(new Balances(70, 30)));
        Assert.That(store.TryGetBalancesAt(Key, T0 - 1, out _), Is.False, "before the opening");
        Assert.That(store.TryGetAccount(Key, out var now), Is.True);
        Assert.That(now.Balances, Is.EqualTo(new Balances(0, 0)));
        Assert.That(now.OverdraftLimitMinor, Is.EqualTo(500));
    }

    [Test]
    public void ShouldChangeARowCreatedInTheSameBatch()
    {
        using var store = Open();
        Feed(store,
            [Opened(Key)],
            [Applied(1, "h", 70, EntryKind.Blocking, EntryStatus.Pending, held: 30)],
            [Applied(2, "x", 100, EntryKind.Removal, reference: 1), Changed(1, 2, EntryStatus.Removed, 2, new Balances(100, 0))]);
        var rows = store.Statement(Key, new StatementQuery())!.Rows;
        Assert.That(rows.Select(r => (r.Status, r.Reference)), Is.EqualTo(new[] { (EntryStatus.Removed, (string?)null), (EntryStatus.Posted, "h") }));
    }

    [Test]
    public void ShouldKeepAccountsApart()
    {
        var other = new AccountKey(1, 43);
        using var store = Open();
        Feed(store, [Opened(Key), Opened(other)], [Applied(1, "a", 1), Applied(2, "b", 2, account: other)], [Applied(3, "a", 3, account: other)]);
        Assert.That(store.Statement(Key, new StatementQuery())!.Rows.Select(r => r.Sequence), Is.EqualTo(new long[] { 1 }));
        Assert.That(store.Statement(other, new StatementQuery())!.Rows.Select(r => r.Sequence), Is.EqualTo(new long[] { 2, 3 }));
        Assert.That(store.Statement(other, new StatementQuery { CorrelationId = "a" })!.Rows.Single().Sequence, Is.EqualTo(3), "correlation ids are per account");
        Assert.That(store.Statement(new AccountKey(1, 44), new StatementQuery()), Is.Null, "never opened");
    }

    [Test]
    public void ShouldAnswerTheSameAfterAReopenAndTakeTheFeedWhereItStopped()
    {
        string before;
        using (var store = Open())
        {
            FeedHistory(store);
            before = Describe(store);
            store.Checkpoint();
        }
        using (var reopened = Open())
        {
            Assert.That(Describe(reopened), Is.EqualTo(before));
            Assert.That(reopened.Watermark, Is.EqualTo(new ReadWatermark(5, 500, 6)));
            using var writer = reopened.Writer();
            Assert.Throws<Ledger.Engine.InvariantViolationException>(() => writer.Add([Applied(7, "gap", 5)], 7, 700), "a record skipped is refused");
            Record(writer, Applied(7, "after", 5));
            writer.Commit();
            Assert.That(reopened.Statement(Key, new StatementQuery { CorrelationId = "after" })!.Rows.Single().Sequence, Is.EqualTo(7));
        }
    }

    [Test]
    public void ShouldShowNothingOfABatchBeforeItsCommit()
    {
        using var store = Open();
        Feed(store, [Opened(Key)], [Applied(1, "d", 100)]);
        using var writer = store.Writer();
        Record(writer, Applied(2, "e", 200));
        Assert.That(store.Statement(Key, new StatementQuery())!.Rows, Has.Count.EqualTo(1));
        Assert.That(store.Watermark.RecordNumber, Is.EqualTo(2));
        writer.Commit();
        Assert.That(store.Statement(Key, new StatementQuery())!.Rows, Has.Count.EqualTo(2));
        Assert.That(store.Watermark.RecordNumber, Is.EqualTo(3));
    }

    [Test]
    public void ShouldRefuseAStatusChangeOfAnEntryItNeverSaw()
    {
        using var store = Open();
        Feed(store, [Opened(Key)]);
        using var writer = store.Writer();
        Assert.Throws<Ledger.Engine.InvariantViolationException>(() => writer.Add([Changed(9, 0, EntryStatus.Expired, 1, default)], 2, 200));
    }

    [Test]
    public void ShouldRefuseToOpenADamagedStore()
    {
        using (var store = Open()) FeedHistory(store);
        foreach (var file in Directory.GetFiles(_dir, "*.sst").Concat(Directory.GetFiles(_dir, "MANIFEST-*")))
        {
            var bytes = File.ReadAllBytes(file);
            for (int i = 0; i < bytes.Length; i += 7) bytes[i] ^= 0x5A;
            File.WriteAllBytes(file, bytes);
        }
        Assert.Throws<IOException>(() => Open().Dispose());
    }
    [Test]
    public void ShouldRefuseAStoreInTheOlderLayoutWithoutChangingIt()
    {
        Ledger.Testing.OlderReadLayout.Write(_dir, Key.Packed, record: 12, nextAddress: 4_096, lastSequence: 30);
        var error = Assert.Throws<ReadStoreFormatException>(() => Open().Dispose())!;
        Assert.That(error.Message, Does.Contain("older layout"));
        var options = new RocksDbSharp.DbOptions();
        Assert.That(RocksDbSharp.RocksDb.ListColumnFamilies(options, _dir), Is.EqualTo(new[] { "default" }), "refused before it was opened for writing: set aside as it was");
    }

    [Test]
    public void TheRowsShouldBeWrittenWithoutABloomFilterAndTheKeysByAccountWithOne()
    {
        using var store = Open();
        FeedHistory(store);
        store.Checkpoint(); // flushed: each family has a table
        string rows = store.Db.GetProperty("rocksdb.aggregated-table-properties", store.Rows);
        string keys = store.Db.GetProperty("rocksdb.aggregated-table-properties");
        Assert.That(rows, Does.Contain("filter block size=0;"), "a row is looked up only when the index named it: a filter never spares a read");
        Assert.That(keys, Does.Not.Contain("filter block size=0;"), "the keys by account keep theirs");
    }

    [Test]
    public void ShouldRefuseALayoutMarkerOfAnotherVersion()
    {
        using (var store = Open())
        {
            FeedHistory(store);
            store.Db.Put("f"u8.ToArray(), new byte[] { ReadCodec.LayoutWithoutIdKeys + 1 });
        }
        Assert.That(Assert.Throws<ReadStoreFormatException>(() => Open().Dispose())!.Message, Does.Contain($"its layout is {ReadCodec.LayoutWithoutIdKeys + 1}"));
    }

    [Test]
    public void AStoreThatKeptItsIdKeysShouldGoOnWithoutThemAndThenBeRefusedToAReaderOfThem()
    {
        using (var store = Open())
        {
            FeedHistory(store);
            Assert.That(store.Db.Get("f"u8.ToArray()), Is.EqualTo(new[] { ReadCodec.Version }), "kept: layout 3");
        }
        using (var store = Open(Tiny with { IdKeys = false }))
        {
            Assert.That(store.Db.Get("f"u8.ToArray()), Is.EqualTo(new[] { ReadCodec.LayoutWithoutIdKeys }), "the ledger's: marked before its first batch without them");
            var first = store.Statement(Key, new StatementQuery { Limit = 1 })!.Rows[0];
            Assert.That(() => store.Statement(Key, new StatementQuery { CorrelationId = first.CorrelationId }),
                Throws.InvalidOperationException.With.Message.Contains("no entry store"), "without the entry store beside it, a lookup by id is a wiring bug, not an empty page");
        }
        Assert.That(Assert.Throws<ReadStoreFormatException>(() => Open().Dispose())!.Message, Does.Contain("looked up in the entry store"));
    }

    [Test]
    public void ShouldWriteEachRowOnceUnderAKeyThatAppendsWhateverTheAccount()
    {
        var other = new AccountKey(2, 7);
        using var store = Open();
        using (var writer = store.Writer())
        {
            Record(writer, Opened(Key), Opened(other));
            for (long s = 1; s <= 600; s++)
            {
                Record(writer, Applied(s, "c" + s, s, account: s % 3 == 0 ? other : Key));
                if (writer.Pending == 64) writer.Commit();
            }
            writer.Commit();
        }
        // The rows family holds one row per entry, its keys in the order the ledger wrote them (time, then sequence),
        // whichever account: a flush's keys all come after the previous flush's, so compaction can move runs, not rewrite them.
        var keys = new List<(long, long)>();
        using (var iterator = store.Db.NewIterator(store.Rows))
        {
            for (iterator.SeekToFirst(); iterator.Valid(); iterator.Next()) keys.Add(ReadCodec.OfRowKey(iterator.GetKeySpan()));
        }
        Assert.That(keys, Is.EqualTo(Enumerable.Range(1, 600).Select(s => (T0 + s * Second, (long)s))));
        var page = store.Statement(other, new StatementQuery { AfterSequence = 297, Limit = 2 })!;
        Assert.That(page.Rows.Select(e => e.CorrelationId), Is.EqualTo(new[] { "c300", "c303" }));
        Assert.That(page.NextAfterSequence, Is.EqualTo(303));
        var ledger = store.LedgerStatement(new StatementQuery { Limit = 3, FromTicks = T0 + 10 * Second });
        Assert.That(ledger.Rows.Select(r => (r.Account, r.Row.Sequence)), Is.EqualTo(new[] { (Key, 10L), (Key, 11L), (other, 12L) }));
    }

    [Test]
    public void WhatACheckpointMadeDurableShouldHoldEveryRowItsIndexNames()
    {
        // A kill loses the memtables: what is left is the files on disk. Copied after a checkpoint while later batches
        // sit in memory, the files must hold the rows of every entry the index and the watermark hold (the checkpoint
        // flushed only the default family once: the copy had the watermark and the index, and no row).
        string copy = _dir + "-killed";
        try
        {
            using (var store = Open(new ReadStoreSettings { WriteBufferBytes = 64L << 20 }))
            using (var writer = store.Writer())
            {
                Record(writer, Opened(Key));
                for (long s = 1; s <= 300; s++)
                {
                    Record(writer, Applied(s, "c" + s, s));
                    if (writer.Pending == 50) writer.Commit();
                    if (s == 199) store.Checkpoint(); // right after a commit
                }
                writer.Commit();
                Directory.CreateDirectory(copy);
                foreach (var file in Directory.GetFiles(_dir)) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
            }
            using var killed = ReadStore.Open(copy, Tiny);
            Assert.That(killed.Watermark.LastSequence, Is.EqualTo(199), "durable to the checkpoint");
            var page = killed.Statement(Key, new StatementQuery { Limit = 1_000 })!;
            Assert.That(page.Rows.Select(r => r.Sequence), Is.EqualTo(Enumerable.Range(1, 199).Select(s => (long)s)));
            Assert.That(killed.LedgerStatement(new StatementQuery { Limit = 1_000 }).Rows, Has.Count.EqualTo(199));
        }
        finally
        {
            if (Directory.Exists(copy)) Directory.Delete(copy, recursive: true);
        }
    }

    [Test]
    public void AReplicasRecordGivenInPartsShouldKeepEveryEntryInItsWindow()
    {
        using var store = Open(Tiny with { WriteAheadLog = true });
        using var writer = store.PartitionedWriter();
        long at = T0 + 5 * Second;
        writer.AddFromPartition([Opened(Key)], 1, partition: 2, lastOffset: 0, lastIndex: 0);
        writer.Commit();
        // Record 2 holds three entries; the feed saw two of them, went quiet, and got the third later.
        writer.AddFromPartition([Applied(1, "a", 10) with { TimestampTicks = at }, Applied(2, "b", 30) with { TimestampTicks = at }], 2, 2, lastOffset: 2, lastIndex: 1);
        writer.Commit();
        writer.AddFromPartition([Applied(3, "c", 60) with { TimestampTicks = at }], 2, 2, lastOffset: 3, lastIndex: 2, continuesRecord: true);
        writer.Commit();

        var window = store.Statement(Key, new StatementQuery { FromTicks = at })!;
        Assert.That(window.Rows.Select(r => r.CorrelationId), Is.EqualTo(new[] { "a", "b", "c" }), "the window starts at the record's first entry");
        Assert.That(store.Statement(Key, new StatementQuery { FromTicks = T0 - Second })!.Rows, Has.Count.EqualTo(3));
        Assert.That(store.TryGetBalancesAt(Key, at, out var balances) ? balances.Balances.AvailableMinor : -1, Is.EqualTo(60), "balances after the whole record");
        Assert.That(store.PartitionOffsets()[2], Is.EqualTo(new PartitionPosition(4, 2, 2)));
        Assert.That(store.NewestSequence(Key), Is.EqualTo(3));
    }

    [Test]
    public void APartitionsPositionShouldSurviveAReopen()
    {
        using (var store = Open(Tiny with { WriteAheadLog = true }))
        {
            using var writer = store.PartitionedWriter();
            writer.AddFromPartition([Opened(Key)], 7, partition: 1, lastOffset: 41, lastIndex: 0);
            writer.Advance(3, new PartitionPosition(12, 5, 4));
            writer.Commit();
        }
        using var reopened = Open();
        var positions = reopened.PartitionOffsets();
        Assert.That(positions[1], Is.EqualTo(new PartitionPosition(42, 7, 0)));
        Assert.That(positions[3], Is.EqualTo(new PartitionPosition(12, 5, 4)));
        Assert.That(positions[3].Holds(5, 4) && positions[3].Holds(4, 9) && !positions[3].Holds(5, 5), "what is at or below the position is a duplicate");
    }

    /// <summary>
    /// How much the write-ahead log costs a replica's feed: the partitioned writer, one event per record (the smallest
    /// records, the worst case), a commit every 256 records, WAL off and on. Figures go to docs/perf.md; not a gate.
    /// </summary>
    [Test, Explicit("measurement: dotnet test tests/Ledger.ReadSide.Tests --filter Name~MeasureTheReplicaWriter")]
    public void MeasureTheReplicaWriterWithAndWithoutTheWriteAheadLog()
    {
        const int records = 300_000;
        foreach (bool wal in new[] { false, true, false, true })
        {
            string dir = Path.Combine(_dir, wal ? "wal" : "nowal") + Guid.NewGuid().ToString("N")[..6];
            using var store = ReadStore.Open(dir, new ReadStoreSettings { WriteAheadLog = wal });
            using var writer = store.PartitionedWriter();
            var events = new LedgerEvent[1];
            var clock = System.Diagnostics.Stopwatch.StartNew();
            writer.AddFromPartition([Opened(Key)], 1, 0, 0, 0);
            for (int i = 1; i <= records; i++)
            {
                events[0] = Applied(i, "c" + i.ToString(CultureInfo.InvariantCulture), i);
                writer.AddFromPartition(events, i + 1, i % 4, i, 0);
                if (writer.Pending >= 256) writer.Commit();
            }
            writer.Commit();
            double seconds = clock.Elapsed.TotalSeconds;
            TestContext.Out.WriteLine($"WAL {(wal ? "on " : "off")}: {records} events in {seconds:F2} s = {records / seconds:N0} events/s");
        }
    }

    /// <summary>
    /// What the read store writes and what a statement page costs, in CPU time (the figures that survive a shared box):
    /// 4 000 000 entries over 1 000 accounts in the storage probe's shape (each record a 100-entry batch of one account,
    /// accounts in turn, ids like the probe's), default settings; bytes the process wrote to disk (/proc/self/io
    /// write_bytes), CPU of RocksDB's compaction (rocksdb:low) and flush (rocksdb:high) threads and of the writer; then,
    /// reopened (block cache empty, OS page cache not dropped), 300 pages of 100 rows of random accounts at random
    /// cursors, twice: cold, then warm; CPU time of the reading thread per page. Public API only, so the same file
    /// measures any layout. With <paramref name="compactionTrigger"/> RocksDB's own 4 or the default 12: a page's reads
    /// look into up to that many runs. Figures go to docs/perf.md; not a gate.
    /// </summary>
    [Explicit("measurement: dotnet test tests/Ledger.ReadSide.Tests -c Release --filter Name~MeasureWritesAndStatementPages")]
    [TestCase(4)]
    [TestCase(Ledger.Journal.Storage.RocksTuning.CompactionTriggerDefault)]
    public void MeasureWritesAndStatementPages(int compactionTrigger)
    {
        var settings = new ReadStoreSettings { CompactionTrigger = compactionTrigger };
        const int accounts = 1_000, entries = 4_000_000, pages = 300;
        var keys = Enumerable.Range(0, accounts).Select(i => new AccountKey(1, 10_000 + i)).ToArray();
        var random = new Random(14);
        long written = WriteBytes(), low = ThreadTicks("rocksdb:low"), high = ThreadTicks("rocksdb:high"), self = ThreadTicks(null);
        using (var store = ReadStore.Open(_dir, settings))
        using (var writer = store.Writer())
        {
            Record(writer, keys.Select(Opened).ToArray());
            var events = new LedgerEvent[100];
            for (int s = 1, request = 0; s <= entries; s += 100, request++)
            {
                var account = keys[request % accounts];
                for (int i = 0; i < 100; i++) events[i] = Applied(s + i, $"p{request % 64}-{request / 64}-{i + 1}", s + i, account: account);
                Record(writer, events);
                if (writer.Pending >= 64) writer.Commit();
            }
            writer.Commit();
            store.Checkpoint();
            Thread.Sleep(2_000); // compactions the last flush started
            double hz = 100.0;
            TestContext.Out.WriteLine($"{entries} entries: written {(WriteBytes() - written) / (double)entries:F1} B/entry; on disk {Directory.GetFiles(_dir, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) / (double)entries:F1} B/entry; " +
                $"compaction {(ThreadTicks("rocksdb:low") - low) / hz * 1e6 / entries:F2} µs/entry, flush {(ThreadTicks("rocksdb:high") - high) / hz * 1e6 / entries:F2} µs/entry, writer {(ThreadTicks(null) - self) / hz * 1e6 / entries:F2} µs/entry");
        }
        var asks = Enumerable.Range(0, pages).Select(_ => (keys[random.Next(accounts)], (long)random.Next(entries - 1_000_000))).ToArray();
        using var reopened = ReadStore.Open(_dir, settings);
        TestContext.Out.WriteLine($"compaction trigger {compactionTrigger}: {Directory.GetFiles(_dir, "*.sst").Length} table files");
        foreach (string pass in new[] { "cold", "warm" })
        {
            int rows = 0;
            long before = ThreadTicks(null);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            foreach (var (key, after) in asks) rows += reopened.Statement(key, new StatementQuery { AfterSequence = after, Limit = 100 })!.Rows.Count;
            TestContext.Out.WriteLine($"{pass}: {pages} pages of {rows / (double)pages:F1} rows; CPU {(ThreadTicks(null) - before) * 1e4 / pages:F0} µs/page (wall {clock.Elapsed.TotalMicroseconds / pages:F0} µs/page)");
            Assert.That(rows, Is.EqualTo(pages * 100));
        }
    }

    private static long WriteBytes() => long.Parse(File.ReadLines("/proc/self/io").First(l => l.StartsWith("write_bytes:", StringComparison.Ordinal))[12..].Trim(), CultureInfo.InvariantCulture);

    /// <summary>CPU clock ticks (1/100 s) of this process's threads named <paramref name="name"/>, or of the calling thread when null.</summary>
    private static long ThreadTicks(string? name) => Ledger.Testing.ProcessThreads.Stats(name).Sum(Ledger.Testing.ProcessThreads.CpuTicks);
}

/// <summary>The wire's instants: what a date, a minute, a second and a millisecond cover.</summary>
public sealed class WireTimeTests
{
    [TestCase("2026-06-21", "2026-06-21T23:59:59.9999999Z")]
    [TestCase("2026-06-21T12:30Z", "2026-06-21T12:30:59.9999999Z")]
    [TestCase("2026-06-21T12:30:15Z", "2026-06-21T12:30:15.9999999Z")]
    [TestCase("2026-06-21T12:30:15.123Z", "2026-06-21T12:30:15.1239999Z")]
    [TestCase("2026-06-21T12:30:15.1234567Z", "2026-06-21T12:30:15.1234567Z")]
    [TestCase("2026-06-21T14:30:15.5+02:00", "2026-06-21T12:30:15.5999999Z")]
    public void AnInstantShouldCoverThePrecisionItIsWrittenIn(string text, string lastTick)
    {
        Assert.That(WireTime.TryParseInstantThrough(text, out long ticks), Is.True);
        Assert.That(WireTime.Utc(ticks).ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(lastTick));
    }

    [TestCase("2026-06-21T12")]
    [TestCase("21/06/2026")]
    [TestCase("")]
    public void ShouldRefuseWhatIsNotAnIsoInstant(string text) => Assert.That(WireTime.TryParseInstantThrough(text, out _), Is.False);

}
