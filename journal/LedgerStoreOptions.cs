using Ledger.Engine;
using Ledger.Engine.Catalog;
using Microsoft.Extensions.Logging;

namespace Ledger.Journal;

/// <summary>
/// Settings of <see cref="LedgerStore.Open"/>. Only <see cref="DataDir"/> and <see cref="Catalog"/> are required;
/// every default is documented on its property.
/// Usage: <c>LedgerStore.Open(new LedgerStoreOptions { DataDir = "./data", Catalog = HistoryCatalogFile.Load(path) })</c>
/// </summary>
public sealed record LedgerStoreOptions
{
    /// <summary>The data directory (<c>Ledger:DataDir</c>): the journal lives in <c>journal/</c>, snapshots in <c>snapshots/</c>.</summary>
    public required string DataDir { get; init; }

    /// <summary>The catalog file's catalog. A new ledger starts with it; an existing one gets it journaled if it differs.</summary>
    public required HistoryCatalog Catalog { get; init; }

    /// <summary>Start-up sizes of the engine's tables (default: <see cref="EngineSettings"/>'s).</summary>
    public EngineSettings? Engine { get; init; }

    /// <summary>FasterLog layout and commit waiting (default: <see cref="JournalSettings"/>'s).</summary>
    public JournalSettings Journal { get; init; } = new();

    /// <summary>Write a snapshot after this many journaled entries (entry requests and account openings). Default 1 000 000.</summary>
    public long SnapshotEveryEntries { get; init; } = 1_000_000;

    /// <summary>Write a snapshot after this long if anything was journaled since the last one. Default 5 minutes.</summary>
    public TimeSpan SnapshotEvery { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How many snapshot files to keep (newest first). Default 3.</summary>
    public int SnapshotsKept { get; init; } = 3;

    /// <summary>Recover from the newest valid snapshot (default true); false replays the whole journal.</summary>
    public bool UseSnapshots { get; init; } = true;

    /// <summary>Where recovery, cuts and snapshots are logged. Default: nowhere.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>A readiness flag to update while opening (for <c>/health/ready</c>). Default: a new one, see <see cref="LedgerStore.Readiness"/>.</summary>
    public LedgerReadiness? Readiness { get; init; }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(DataDir)) throw new ArgumentException("Set Ledger:DataDir to the directory that holds the journal and snapshots.");
        if (SnapshotEveryEntries < 1) throw new ArgumentException($"SnapshotEveryEntries must be at least 1, not {SnapshotEveryEntries}.");
        if (SnapshotEvery <= TimeSpan.Zero) throw new ArgumentException($"SnapshotEvery must be positive, not {SnapshotEvery}.");
        if (SnapshotsKept < 1) throw new ArgumentException($"SnapshotsKept must be at least 1, not {SnapshotsKept}.");
    }
}
