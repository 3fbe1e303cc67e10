using System.Globalization;
using Ledger.Journal;
using Ledger.Journal.Entries;
using Ledger.Journal.Recovery;

namespace Ledger.ReplayTool;

/// <summary>
/// A service data directory opened for reading only: the journal read-only, the entry store (if any) read-only,
/// nothing written. Full replays use a scratch entry store in a temporary directory of their own, deleted afterwards.
/// </summary>
internal sealed class DataDirectory : IDisposable
{
    private DataDirectory(string path, JournalLog log, EntryStore? store)
    {
        Path = path;
        Log = log;
        Store = store;
    }

    public string Path { get; }
    public JournalLog Log { get; }

    /// <summary>The service's entry store, read-only (its last checkpoint), or null when there is none.</summary>
    public EntryStore? Store { get; }

    /// <summary>Opens <paramref name="path"/> (a data directory, or its journal directory itself).</summary>
    public static DataDirectory Open(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        string journal = System.IO.Path.Combine(full, LedgerStore.JournalDirectoryName);
        if (!JournalLog.Exists(journal) && JournalLog.Exists(full))
        {
            journal = full;
            full = System.IO.Path.GetDirectoryName(full)!;
        }
        if (!JournalLog.Exists(journal))
            throw new ToolException(ExitCodes.NotFound, $"'{path}' holds no ledger journal (looked for {System.IO.Path.Combine(journal, "commit-slots")}).");
        var log = JournalLog.Open(journal, readOnly: true);
        string storeDir = System.IO.Path.Combine(full, EntryStore.DirectoryName);
        EntryStore? store = null;
        try
        {
            if (EntryStore.Exists(storeDir)) store = EntryStore.Open(storeDir, ToolStoreSettings, readOnly: true);
        }
        catch (IOException ex)
        {
            Console.Error.WriteLine($"The entry store in '{storeDir}' does not open read-only ({ex.Message}); going without it (a full replay).");
        }
        return new DataDirectory(full, log, store);
    }

    /// <summary>The data directory's lock, for a command that changes it (archive, rebuild-store): refused while the service runs.</summary>
    public static FileStream Lock(string dataDir, string what)
    {
        try
        {
            return LedgerStore.LockDataDirectory(dataDir);
        }
        catch (IOException ex)
        {
            throw new ToolException(ExitCodes.Usage, $"{ex.Message} {what}: stop the service first.");
        }
    }

    /// <summary>The tools' own RAM for a store: a small cache (they read once) and small memtables.</summary>
    public static readonly EntryStoreSettings ToolStoreSettings = new() { BlockCacheBytes = 64L << 20, WriteBufferBytes = 32L << 20, KeyFilterBytes = 64L << 20 };

    /// <summary>The catalog shipped beside the tool, for a journal too damaged to name its own (its first record unreadable).</summary>
    public static Engine.Catalog.HistoryCatalog? FallbackCatalog =>
        File.Exists(Engine.Catalog.HistoryCatalogFile.DefaultPath) ? Engine.Catalog.HistoryCatalogFile.Load(Engine.Catalog.HistoryCatalogFile.DefaultPath) : null;

    /// <summary>The range of records the journal itself holds (older ones may be archived), as a phrase.</summary>
    public string JournalRange(long lastRecord) => Log.Archive.IsArchived
        ? string.Create(CultureInfo.InvariantCulture, $"records {Log.Archive.FirstRecordNumber}..{lastRecord} (1..{Log.Archive.FirstRecordNumber - 1} archived to {Log.Archive.ArchivedTo})")
        : string.Create(CultureInfo.InvariantCulture, $"records 1..{lastRecord}");

    /// <summary>
    /// Recovers the ledger as the service would: the store's checkpoint + the journal after it, when the store fits the journal
    /// and the bound (if any) is not before the checkpoint; else (or with <paramref name="full"/>) a replay of the whole journal
    /// through a scratch store. Refuses, with a sentence, a full replay of a journal whose start was archived.
    /// </summary>
    public RecoveryResult Recover(string label, RecoverySettings options, bool full)
    {
        var checkpoint = Store?.LastCheckpoint;
        bool fits = Store is not null && LedgerRecovery.CheckStore(Log, Store) is null;
        bool checkpointUsable = fits && checkpoint is not null && checkpoint.LastSequence <= options.UntilSequence && checkpoint.ClockTicks <= options.UntilTimestampTicks;
        if (!full && checkpointUsable) return ToolProgress.Run(label, report => LedgerRecovery.Recover(Log, Store, options with { OnProgress = report }));
        if (Log.Archive.IsArchived)
        {
            throw new ToolException(ExitCodes.NotFound,
                $"This needs a replay from record 1, but the journal begins at record {Log.Archive.FirstRecordNumber} (as of {Commands.Tool.Instant(Log.Archive.FirstTimestampTicks)}); " +
                $"records before it were archived to '{Log.Archive.ArchivedTo}'. Copy them back into {Log.Directory} to go further back, or ask for a point at or after the store's checkpoint" +
                (checkpoint is null ? "." : $" (record {checkpoint.RecordNumber}, {Commands.Tool.Instant(checkpoint.ClockTicks)})."));
        }
        string scratch = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"ledger-replay-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using var store = EntryStore.Open(scratch, ToolStoreSettings);
            return ToolProgress.Run(label, report => LedgerRecovery.Recover(Log, store, options with { OnProgress = report }));
        }
        finally
        {
            EntryStore.Delete(scratch);
        }
    }

    /// <summary>"address A (file ledger.log.N, offset O)" for a FasterLog address.</summary>
    public string Where(long address)
    {
        int bits = Log.Settings.SegmentSizeBits;
        long segment = address >> bits;
        long offset = address & ((1L << bits) - 1);
        return string.Create(CultureInfo.InvariantCulture, $"address {address} (file {System.IO.Path.Combine(Log.Directory, $"{JournalLog.LogFileName}.{segment}")}, offset {offset})");
    }

    public void Dispose()
    {
        Store?.Dispose();
        Log.Dispose();
    }
}

/// <summary>A failure the tool reports as one sentence and an exit code.</summary>
internal sealed class ToolException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
