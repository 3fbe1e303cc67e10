using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Ledger.Engine.Commands;
using Ledger.Engine.State;
using Ledger.Journal;
using Ledger.Journal.Recovery;
using Ledger.Journal.Snapshots;

namespace Ledger.Perf.Durable;

/// <summary>
/// Replay throughput and start-up time: builds a journal of N single-entry deposits (engine + journal writer directly,
/// no host: this is set-up), then measures a plain scan, a full replay through the engine, start-up of the store
/// without a snapshot, writing a snapshot, and start-up from that snapshot.
/// </summary>
internal static class Replay
{
    private const int Accounts = 100_000;

    public static void Run(string root, long entries)
    {
        string dir = Path.Combine(root, "replay");
        Book.Fresh(dir);
        var options = Book.Options(dir, entries, Accounts);
        Report.Line(string.Create(CultureInfo.InvariantCulture, $"EntryRecord {Unsafe.SizeOf<EntryRecord>()} bytes, AccountState {Unsafe.SizeOf<AccountState>()} bytes"));

        ulong hash;
        var build = Stopwatch.StartNew();
        using (var store = LedgerStore.Open(options))
        {
            Book.OpenAccounts(store, Accounts);
            var c = new LedgerCommand();
            long t0 = DateTime.UtcNow.Ticks;
            for (long i = 0; i < entries; i++)
            {
                c.Reset();
                Book.Deposit(c, Book.Account((int)(i % Accounts)), string.Create(CultureInfo.InvariantCulture, $"r{i}"), 1 + i % 100);
                c.TimestampTicks = t0 + i;
                store.Engine.Apply(c);
                store.Journal.Append(c);
                if ((i & 8191) == 8191) store.Journal.Commit();
            }
            store.Journal.Commit();
            hash = store.Engine.ComputeStateHash();
        }
        Report.Line(string.Create(CultureInfo.InvariantCulture,
            $"built: {entries:N0} entries in {build.Elapsed.TotalSeconds:0.0} s (set-up, not a measurement); journal {Book.Size(Book.DirectorySize(Path.Combine(dir, LedgerStore.JournalDirectoryName)))}"));
        Collect();

        using (var log = JournalLog.Open(Path.Combine(dir, LedgerStore.JournalDirectoryName), readOnly: true))
        {
            var scan = Stopwatch.StartNew();
            long records = JournalReader.ReadAll(log, _ => { });
            Report.Line(string.Create(CultureInfo.InvariantCulture, $"scan (read + check + decode, no engine): {records:N0} records in {scan.Elapsed.TotalSeconds:0.00} s = {records / scan.Elapsed.TotalSeconds:N0} records/s"));

            var replay = Stopwatch.StartNew();
            var result = LedgerRecovery.Recover(log, null, new RecoveryOptions { UseSnapshots = false, EngineSettings = options.Engine });
            double seconds = replay.Elapsed.TotalSeconds;
            Check(result.Report.StateHash, hash, "full replay");
            Report.Line(string.Create(CultureInfo.InvariantCulture,
                $"full replay through the engine: {result.Report.RecordsReplayed:N0} records / {result.Engine.LastSequence:N0} entries in {seconds:0.00} s = {result.Engine.LastSequence / seconds:N0} entries/s (state hash included)"));

            var write = Stopwatch.StartNew();
            var snapshots = new SnapshotStore(Path.Combine(dir, LedgerStore.SnapshotDirectoryName));
            var info = snapshots.Write(result.Engine, result.NextRecordNumber - 1, result.NextAddress);
            Report.Line(string.Create(CultureInfo.InvariantCulture,
                $"snapshot write (capture + file + fsync, off the live engine in service): {write.Elapsed.TotalSeconds:0.00} s, {Book.Size(new FileInfo(info.Path).Length)}"));
        }
        Collect();

        // Start-up as the service does it (LedgerStore.Open: FasterLog recovery, snapshot or replay, writer ready).
        File.Move(Directory.GetFiles(Path.Combine(dir, LedgerStore.SnapshotDirectoryName)).Single(), Path.Combine(root, "held.lsnap"), overwrite: true);
        var cold = Stopwatch.StartNew();
        using (var store = LedgerStore.Open(options))
        {
            double s = cold.Elapsed.TotalSeconds;
            Check(store.Recovery.StateHash, hash, "start-up without snapshot");
            Report.Line(string.Create(CultureInfo.InvariantCulture, $"start-up without snapshot: {s:0.00} s ({store.Recovery.RecordsReplayed:N0} records replayed)"));
        }
        Collect();
        string snapshotPath = new SnapshotStore(Path.Combine(dir, LedgerStore.SnapshotDirectoryName)).PathFor(entries + 1 + (Accounts + 99_999) / 100_000);
        File.Move(Path.Combine(root, "held.lsnap"), snapshotPath);
        var warm = Stopwatch.StartNew();
        using (var store = LedgerStore.Open(options))
        {
            double s = warm.Elapsed.TotalSeconds;
            Check(store.Recovery.StateHash, hash, "start-up from snapshot");
            if (store.Recovery.SnapshotUsed is null) throw new InvalidOperationException("The snapshot was not used: " + store.Recovery.Summary());
            Report.Line(string.Create(CultureInfo.InvariantCulture, $"start-up from snapshot: {s:0.00} s ({store.Recovery.RecordsReplayed:N0} records replayed after it)"));
        }
    }

    private static void Check(ulong actual, ulong expected, string what)
    {
        if (actual != expected) throw new InvalidOperationException($"{what}: state hash {actual:x16}, expected {expected:x16}: a fast wrong answer is a failure.");
    }

    private static void Collect()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
    }
}
