using System.Diagnostics;
using System.Globalization;
using Ledger.Engine.Hosting;
using Ledger.Journal;
using Ledger.Journal.Entries;

namespace Ledger.Perf.Durable;

/// <summary>
/// The bounded-memory soak of the durable pipeline (ring → prefetch → engine → journal → entry store → ack), as the
/// service runs it (its memory defaults, checkpoints every 30 s): opens N accounts, then drives deposits with fresh
/// correlation ids (every prefetch a miss, every entry a store write) until E entries. Prints per slice of S entries:
/// entries/s, RSS, GC heap, cache, store size and lag, data-dir size. At the first slice and at the end it times an
/// explicit checkpoint under load and the longest gap between acknowledgements during it (against a baseline window of
/// the same length). Then stops, and times a restart to a ready ledger (store checkpoint + journal tail).
/// </summary>
internal static class Soak
{
    public static void Run(string root, int accounts, int batch, long entries, long slice, int producers, int window)
    {
        string dir = Path.Combine(root, $"soak-{batch}");
        Book.Fresh(dir);
        var options = Book.Options(dir, entries, accounts) with
        {
            EntryStore = new Journal.Entries.EntryStoreSettings { CheckpointEvery = TimeSpan.FromSeconds(30), Statistics = true },
        };
        Report.Line(string.Create(CultureInfo.InvariantCulture,
            $"soak: {accounts:N0} accounts, {batch}-entry commands, {entries:N0} entries, {producers} producers x window {window}; cache {options.Engine!.EntryCacheEntries:N0} entries, store cache {options.EntryStore.BlockCacheBytes >> 20} MiB + {options.EntryStore.WriteBuffers} x {options.EntryStore.WriteBufferBytes >> 20} MiB memtables"));
        var clock = Stopwatch.StartNew();
        var store = LedgerStore.Open(options);
        var driver = new LoadDriver(producers, window, accounts, batch);
        var hostSettings = new EngineHostSettings { TickInterval = TimeSpan.Zero, RingSize = 8_192, InFlightEntriesMax = 131_072 };
        var host = new EngineHost(store.Engine, store.Journal, [driver], hostSettings, store.Prefetcher, store.StoreWriter);
        host.Start();
        store.Checkpoints.Start();
        Book.OpenAccounts(host, accounts);
        Report.Line(string.Create(CultureInfo.InvariantCulture, $"opened {accounts:N0} accounts in {clock.Elapsed.TotalSeconds:0.0} s; RSS {Mib(Environment.WorkingSet)}"));

        long accountsOpened = driver.EntriesCompleted; // the openings went through the driver's sink too
        driver.Start(host);
        Report.Line("slice | entries | entries/s | RSS MiB | GC heap MiB | RocksDB cache / memtables / readers MiB | store MiB | store lag (records) | data dir MiB | checkpoints (max s)");
        var sliceClock = Stopwatch.StartNew();
        long sliceStart = 0, next = slice, rssAtFirst = 0, rssMax = 0;
        double firstRate = 0, lastRate = 0;
        int k = 0;
        string firstCheckpoint = "", lastCheckpoint = "";
        while (true)
        {
            Thread.Sleep(200);
            long done = driver.EntriesCompleted - accountsOpened;
            if (driver.Failed > 0) throw new InvalidOperationException($"{driver.Failed} commands were not answered Ok: a fast wrong answer is a failure.");
            if (host.Fault is { } fault) throw new InvalidOperationException("The pipeline failed.", fault);
            long rss = Environment.WorkingSet;
            if (k > 0) rssMax = Math.Max(rssMax, rss);
            if (done < next) continue;
            double rate = (done - sliceStart) / sliceClock.Elapsed.TotalSeconds;
            k++;
            var stats = store.Entries.Stats;
            Report.Line(string.Create(CultureInfo.InvariantCulture,
                $"{k,5} | {done,12:N0} | {rate,9:N0} | {Mib(rss),7} | {Mib(GC.GetGCMemoryInfo().HeapSizeBytes),11} | {Mib(stats.BlockCacheBytes),5} / {Mib(stats.MemtableBytes),3} / {Mib(stats.TableReaderBytes),3} | {Mib(stats.SizeBytes),9} | {store.Engine.RecordNumber - stats.Watermark,19:N0} | {Mib(Book.DirectorySize(dir)),12} | {stats.Checkpoints} ({stats.CheckpointTimeMax.TotalSeconds:0.00})"));
            if (k == 1)
            {
                firstRate = rate;
                rssAtFirst = rss;
                rssMax = rss;
                firstCheckpoint = MeasureCheckpoint(store, driver);
                Report.Line("  checkpoint at slice 1: " + firstCheckpoint);
            }
            lastRate = rate;
            sliceStart = driver.EntriesCompleted - accountsOpened;
            sliceClock.Restart();
            next += slice;
            if (done >= entries) break;
        }
        lastCheckpoint = MeasureCheckpoint(store, driver);
        Report.Line("  checkpoint at the end: " + lastCheckpoint);
        Report.Line("entry store at the end:\n" + store.Entries.Describe());
        Report.Line(string.Create(CultureInfo.InvariantCulture,
            $"prefetch: {store.Prefetcher.Lookups:N0} lookups, {store.Prefetcher.Found:N0} found; cache: {store.Engine.Cache.Hits:N0} hits, {store.Engine.Cache.Loads:N0} loads, {store.Engine.Cache.Evictions:N0} evictions, {store.Engine.Cache.Overflows:N0} overflows"));
        driver.Stop();
        host.Stop();
        var stop = Stopwatch.StartNew();
        store.Dispose();
        Report.Line(string.Create(CultureInfo.InvariantCulture, $"clean stop (final commit + checkpoint + close): {stop.Elapsed.TotalSeconds:0.00} s"));
        long total = driver.EntriesCompleted - accountsOpened;
        Report.Line(string.Create(CultureInfo.InvariantCulture,
            $"summary: {total:N0} entries in {clock.Elapsed.TotalSeconds:0} s; first slice {firstRate:N0} entries/s, last {lastRate:N0} ({lastRate / firstRate:0.00} of the first); " +
            $"RSS at slice 1 {Mib(rssAtFirst)} MiB, max after it {Mib(rssMax)} MiB ({(double)rssMax / rssAtFirst:0.00} x); data dir {Mib(Book.DirectorySize(dir))} MiB"));

        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var restart = Stopwatch.StartNew();
        using (var again = LedgerStore.Open(options))
        {
            double seconds = restart.Elapsed.TotalSeconds;
            Report.Line(string.Create(CultureInfo.InvariantCulture,
                $"restart to ready: {seconds:0.00} s ({again.Recovery.RecordsReplayed:N0} journal records replayed after the store's checkpoint at record {again.Recovery.StoreCheckpoint?.RecordNumber ?? 0:N0}; " +
                $"{again.Recovery.Accounts:N0} accounts, {again.Recovery.OpenHolds:N0} open holds loaded); RSS {Mib(Environment.WorkingSet)} MiB"));
        }
    }

    /// <summary>An explicit checkpoint under load: its duration, and the longest ack gap during it against a baseline window as long.</summary>
    private static string MeasureCheckpoint(LedgerStore store, LoadDriver driver)
    {
        var checkpoint = Stopwatch.StartNew();
        driver.Measure(true);
        store.Entries.Checkpoint();
        double seconds = checkpoint.Elapsed.TotalSeconds;
        driver.Measure(false);
        var during = driver.MaxGap;
        driver.Measure(true);
        Thread.Sleep(TimeSpan.FromSeconds(Math.Max(seconds, 0.5)));
        driver.Measure(false);
        var baseline = driver.MaxGap;
        return string.Create(CultureInfo.InvariantCulture,
            $"{seconds:0.000} s; longest gap between acks during it {during.TotalMilliseconds:0.0} ms, in a baseline window as long {baseline.TotalMilliseconds:0.0} ms");
    }

    private static long Mib(long bytes) => bytes >> 20;
}
