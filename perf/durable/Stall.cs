using System.Globalization;
using Ledger.Engine.Hosting;
using Ledger.Journal;

namespace Ledger.Perf.Durable;

/// <summary>
/// Snapshot stall: a ledger of N accounts under a steady load; the shadow snapshotter writes a snapshot while the load
/// runs. Compares the longest gap between acknowledgements, latency and GC pauses during the snapshot with a baseline
/// window of the same length without one. The engine thread itself does no snapshot work; what it can feel is CPU
/// contention (two cores) and GC pauses from the shadow's allocations.
/// </summary>
internal static class Stall
{
    public static void Run(string root, int accounts)
    {
        string dir = Path.Combine(root, "stall");
        Book.Fresh(dir);
        using var store = LedgerStore.Open(Book.Options(dir, entries: 12_000_000, accounts));
        Book.OpenAccounts(store, accounts);
        var driver = new LoadDriver(producers: 2, window: 256, accounts);
        var host = new EngineHost(store.Engine, store.Journal, [driver], new EngineHostSettings { TickInterval = TimeSpan.Zero });
        host.Start();
        driver.Start(host);
        store.Snapshots.Start();
        using var written = new ManualResetEventSlim();
        store.Snapshots.SnapshotWritten += _ => written.Set();
        while (store.Snapshots.Stats.ShadowRecordNumber < store.Journal.CommittedRecordNumber - 50_000) Thread.Sleep(100); // the shadow catches up
        Thread.Sleep(1000);

        var baseline = Window(driver, () => Thread.Sleep(TimeSpan.FromSeconds(3)));
        var during = Window(driver, () =>
        {
            store.Snapshots.RequestSnapshot();
            written.Wait();
        });
        driver.Stop();
        host.Stop();
        var stats = store.Snapshots.Stats;
        Report.Line(string.Create(CultureInfo.InvariantCulture,
            $"snapshot of {accounts:N0} accounts / {stats.LastSnapshot!.LastSequence:N0} entries: {stats.LastSnapshotDuration.TotalSeconds:0.00} s on the shadow thread, {Book.Size(new FileInfo(stats.LastSnapshot.Path).Length)}"));
        Report.Line($"baseline 3 s : {baseline}");
        Report.Line($"during snapshot: {during}");
        Report.Line("engine-thread work for a snapshot: none (the shadow engine on its own thread captures and writes it)");
    }

    private static string Window(LoadDriver driver, Action wait)
    {
        int gen0 = GC.CollectionCount(0), gen1 = GC.CollectionCount(1), gen2 = GC.CollectionCount(2);
        var pause = GC.GetTotalPauseDuration();
        long completed = driver.Completed;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        driver.Measure(true);
        wait();
        driver.Measure(false);
        double seconds = clock.Elapsed.TotalSeconds;
        return string.Create(CultureInfo.InvariantCulture,
            $"{(driver.Completed - completed) / seconds:N0} entries/s over {seconds:0.00} s; longest gap between acks {driver.MaxGap.TotalMilliseconds:0.0} ms; " +
            $"ack latency {Report.Percentiles(driver.Latency)}; GC pauses {(GC.GetTotalPauseDuration() - pause).TotalMilliseconds:0.0} ms total " +
            $"(gen0 {GC.CollectionCount(0) - gen0}, gen1 {GC.CollectionCount(1) - gen1}, gen2 {GC.CollectionCount(2) - gen2})");
    }
}
