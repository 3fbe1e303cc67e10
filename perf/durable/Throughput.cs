using System.Diagnostics;
using System.Globalization;
using Ledger.Engine.Commands;
using Ledger.Engine.Hosting;
using Ledger.Journal;
using Ledger.Journal.Format;

namespace Ledger.Perf.Durable;

/// <summary>
/// Durable throughput: producers → ring → prefetch → engine → journal (group commit, waited for) → entry store →
/// acknowledgement, single-entry deposits; then raw FasterLog append+commit of records of the same size, same log
/// settings, same batch size.
/// </summary>
internal static class Throughput
{
    private const int Accounts = 10_000;

    public static void Run(string root, int seconds, int window, int producers, string wait)
    {
        string dir = Path.Combine(root, "throughput");
        Book.Fresh(dir);
        using var store = LedgerStore.Open(Book.Options(dir, entries: 0, Accounts));
        var journal = new TimedJournal(store.Journal);
        var driver = new LoadDriver(producers, window, Accounts);
        var host = new EngineHost(store.Engine, journal, [driver], new EngineHostSettings
        {
            TickInterval = TimeSpan.Zero,
            RingSize = 16_384,
            WaitStrategy = wait switch
            {
                "spin" => () => new Engine.Ring.BusySpinWaitStrategy(),
                "yielding" => () => new Engine.Ring.YieldingWaitStrategy(),
                _ => () => new Engine.Ring.BlockingWaitStrategy(),
            },
        }, store.Prefetcher, store.StoreWriter);
        host.Start();
        store.Checkpoints.Start();
        Book.OpenAccounts(host, Accounts);
        driver.Start(host);
        Thread.Sleep(TimeSpan.FromSeconds(2)); // warm-up: JIT, page cache, tiered compilation
        var before = store.Journal.Stats;
        long completedBefore = driver.Completed;
        journal.Measure(true);
        driver.Measure(true);
        var clock = Stopwatch.StartNew();
        Thread.Sleep(TimeSpan.FromSeconds(seconds));
        long completed = driver.Completed - completedBefore;
        double elapsed = clock.Elapsed.TotalSeconds;
        driver.Measure(false);
        journal.Measure(false);
        var after = store.Journal.Stats;
        driver.Stop();
        host.Stop();

        double rate = completed / elapsed;
        double perCommit = journal.Commits == 0 ? 0 : (double)journal.Records / journal.Commits;
        long bytes = after.BytesAppended - before.BytesAppended;
        long records = after.RecordsAppended - before.RecordsAppended;
        double recordBytes = records == 0 ? 0 : (double)bytes / records;
        Report.Line(string.Create(CultureInfo.InvariantCulture, $"durable: {completed:N0} single-entry commands in {elapsed:0.00} s = {rate:N0} entries/s ({producers} producers, window {window} each, ring 16384, {wait} wait, entry store on)"));
        Report.Line(string.Create(CultureInfo.InvariantCulture, $"journal: {bytes / elapsed / (1 << 20):0.0} MiB/s, {recordBytes:0} bytes/record, {journal.Commits / elapsed:N0} commits/s, {perCommit:N0} records/commit"));
        Report.Line($"group commit (FasterLog commit, waited): {Report.Percentiles(journal.CommitLatency)}");
        Report.Line($"submit→durable ack per command: {Report.Percentiles(driver.Latency)}");

        var sample = SampleRecords(store, 4096);
        double raw = Raw(Path.Combine(root, "raw"), sample, Math.Max(1, (int)Math.Round(perCommit)), seconds);
        Report.Line(string.Create(CultureInfo.InvariantCulture, $"raw FasterLog append+commit of the same records ({sample[0].Length} bytes, {Math.Max(1, (int)Math.Round(perCommit))} per commit, 1 thread): {raw:N0} records/s"));
        Report.Line(string.Create(CultureInfo.InvariantCulture, $"ratio durable/raw: {rate / raw:0.00}"));
    }

    /// <summary>Deposit records as the journal wrote them (header + payload), to replay their bytes raw.</summary>
    private static List<byte[]> SampleRecords(LedgerStore store, int count)
    {
        var sample = new List<byte[]>(count);
        using var cursor = new JournalCursor(store.Log, store.Log.BeginAddress, 1, 0, follow: false);
        var record = new JournalRecord();
        while (sample.Count < count && cursor.TryRead(record) == ReadOutcome.Record)
        {
            if (record.Kind != CommandKind.PostEntries) continue;
            var bytes = new byte[RecordHeader.Size + record.Payload.Length];
            record.Payload.Span.CopyTo(bytes.AsSpan(RecordHeader.Size));
            sample.Add(bytes);
        }
        return sample;
    }

    private static double Raw(string dir, List<byte[]> sample, int perCommit, int seconds)
    {
        Book.Fresh(dir);
        using var log = JournalLog.Open(dir, new JournalSettings());
        var faster = log.Log;
        long n = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            for (int i = 0; i < perCommit; i++) faster.Enqueue(sample[(int)(n++ % sample.Count)]);
            faster.CommitAsync().AsTask().GetAwaiter().GetResult();
        }
        return n / clock.Elapsed.TotalSeconds;
    }
}
