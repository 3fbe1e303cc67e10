using System.Globalization;
using Ledger.Journal;
using Ledger.Journal.Snapshots;

namespace Ledger.ReplayTool;

/// <summary>A service data directory opened for reading only: the journal read-only, the snapshots listed, nothing written.</summary>
internal sealed class DataDirectory : IDisposable
{
    private DataDirectory(string path, JournalLog log)
    {
        Path = path;
        Log = log;
        Snapshots = new SnapshotStore(System.IO.Path.Combine(path, LedgerStore.SnapshotDirectoryName));
    }

    public string Path { get; }
    public JournalLog Log { get; }
    public SnapshotStore Snapshots { get; }

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
        return new DataDirectory(full, JournalLog.Open(journal, readOnly: true));
    }

    /// <summary>The catalog shipped beside the tool, for a journal too damaged to name its own (its first record unreadable).</summary>
    public static Engine.Catalog.HistoryCatalog? FallbackCatalog =>
        File.Exists(Journal.Catalog.HistoryCatalogFile.DefaultPath) ? Journal.Catalog.HistoryCatalogFile.Load(Journal.Catalog.HistoryCatalogFile.DefaultPath) : null;

    /// <summary>"address A (file ledger.log.N, offset O)" for a FasterLog address.</summary>
    public string Where(long address)
    {
        int bits = Log.Settings.SegmentSizeBits;
        long segment = address >> bits;
        long offset = address & ((1L << bits) - 1);
        return string.Create(CultureInfo.InvariantCulture, $"address {address} (file {System.IO.Path.Combine(Log.Directory, $"{JournalLog.LogFileName}.{segment}")}, offset {offset})");
    }

    public void Dispose() => Log.Dispose();
}

/// <summary>A failure the tool reports as one sentence and an exit code.</summary>
internal sealed class ToolException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
