using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Ledger.Engine.Hosting;
using Ledger.Engine.State;
using Ledger.Journal;
using Ledger.Journal.Entries;
using Ledger.Journal.Recovery;

namespace Ledger.Perf.Durable;

/// <summary>
/// Replay and start-up: builds a ledger of N entries (100-entry deposits through the real pipeline: set-up), then
/// measures a plain journal scan, a full replay through the engine into a scratch entry store (what rebuild-store and
/// verify --full do), start-up from the store's checkpoint (what a restart does), and start-up with the store deleted (a
/// rebuild inside LedgerStore.Open).
/// </summary>
internal static class Replay
{
    private const int Accounts = 100_000;

    public static void Run(string root, long entries)
    {
        string dir = Path.Combine(root, "replay");
        Book.Fresh(dir);
        var options = Book.Options(dir, entries, Accounts);
        Report.Line(string.Create(CultureInfo.InvariantCulture, $"EntryImage {Unsafe.SizeOf<EntryImage>()} bytes, AccountState {Unsafe.SizeOf<AccountState>()} bytes"));

        ulong hash;
        var build = Stopwatch.StartNew();
        using (var store = LedgerStore.Open(options))
        {
            var driver = new LoadDriver(producers: 2, window: 256, Accounts, batch: 100);
            var host = new EngineHost(store.Engine, store.Journal, [driver], new EngineHostSettings { TickInterval = TimeSpan.Zero }, store.Prefetcher, store.StoreWriter);
            host.Start();
            Book.OpenAccounts(host, Accounts);
            driver.Start(host);
            while (driver.EntriesCompleted < entries) Thread.Sleep(100);
            driver.Stop();
            host.Stop();
            hash = store.Engine.ComputeStateHash();
            entries = store.Engine.LastSequence;
        }
        Report.Line(string.Create(CultureInfo.InvariantCulture,
            $"built: {entries:N0} entries in {build.Elapsed.TotalSeconds:0.0} s (set-up, not a measurement); journal {Book.Size(Book.DirectorySize(Path.Combine(dir, LedgerStore.JournalDirectoryName)))}, " +
            $"entry store {Book.Size(Book.DirectorySize(Path.Combine(dir, EntryStore.DirectoryName)))}"));
        Collect();

        using (var log = JournalLog.Open(Path.Combine(dir, LedgerStore.JournalDirectoryName), readOnly: true))
        {
            var scan = Stopwatch.StartNew();
            long records = JournalReader.ReadAll(log, _ => { });
            Report.Line(string.Create(CultureInfo.InvariantCulture, $"scan (read + check + decode, no engine): {records:N0} records in {scan.Elapsed.TotalSeconds:0.00} s = {entries / scan.Elapsed.TotalSeconds:N0} entries/s"));

            string scratch = Path.Combine(root, "replay-scratch-store");
            EntryStore.Delete(scratch);
            var replay = Stopwatch.StartNew();
            using (var store = EntryStore.Open(scratch))
            {
                var result = LedgerRecovery.Recover(log, store, new RecoverySettings { EngineSettings = options.Engine });
                double seconds = replay.Elapsed.TotalSeconds;
                Check(result.Report.StateHash, hash, "full replay");
                Report.Line(string.Create(CultureInfo.InvariantCulture,
                    $"full replay through the engine into a scratch store (rebuild-store, verify --full): {result.Report.RecordsReplayed:N0} records / {result.Engine.LastSequence:N0} entries in {seconds:0.00} s = {result.Engine.LastSequence / seconds:N0} entries/s; peak RSS so far {Book.Size(PeakRss())}"));
            }
            EntryStore.Delete(scratch);
        }
        Collect();

        var warm = Stopwatch.StartNew();
        using (var store = LedgerStore.Open(options))
        {
            double s = warm.Elapsed.TotalSeconds;
            Check(store.Recovery.StateHash, hash, "start-up from the store's checkpoint");
            Report.Line(string.Create(CultureInfo.InvariantCulture, $"start-up from the store's checkpoint: {s:0.00} s ({store.Recovery.RecordsReplayed:N0} records replayed after it)"));
        }
        Collect();
        EntryStore.Delete(Path.Combine(dir, EntryStore.DirectoryName));
        var cold = Stopwatch.StartNew();
        using (var store = LedgerStore.Open(options))
        {
            double s = cold.Elapsed.TotalSeconds;
            Check(store.Recovery.StateHash, hash, "start-up with the store deleted");
            Report.Line(string.Create(CultureInfo.InvariantCulture, $"start-up with the store deleted (rebuilt from the whole journal): {s:0.00} s ({store.Recovery.RecordsReplayed:N0} records replayed)"));
        }
    }

    private static void Check(ulong actual, ulong expected, string what)
    {
        if (actual != expected) throw new InvalidOperationException($"{what}: state hash {actual:x16}, expected {expected:x16}: a fast wrong answer is a failure.");
    }

    /// <summary>VmHWM: the process's peak resident set.</summary>
    internal static long PeakRss()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
        return 0;
    }

    private static void Collect()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
    }
}
