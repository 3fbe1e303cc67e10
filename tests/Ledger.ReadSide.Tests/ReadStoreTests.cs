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
