using Ledger.Engine;
using Ledger.Engine.Catalog;
using Ledger.Journal.Entries;
using Microsoft.Extensions.Logging;

namespace Ledger.Journal;

/// <summary>
/// Settings of <see cref="LedgerStore.Open"/>. Only <see cref="DataDir"/> and <see cref="Catalog"/> are required;
/// every default is documented on its property.
/// Usage: <c>LedgerStore.Open(new LedgerStoreSettings { DataDir = "./data", Catalog = HistoryCatalogFile.Load(path) })</c>
/// </summary>
public sealed record LedgerStoreSettings
{
    /// <summary>The data directory: the journal lives in <c>journal/</c>, the entry store in <c>store/</c>.</summary>
    public required string DataDir { get; init; }

    /// <summary>The catalog file's catalog. A new ledger starts with it; an existing one gets it journaled if it differs.</summary>
    public required HistoryCatalog Catalog { get; init; }

    /// <summary>Start-up sizes of the engine's tables (default: <see cref="EngineSettings"/>'s).</summary>
    public EngineSettings? Engine { get; init; }

    /// <summary>FasterLog layout and commit waiting (default: <see cref="JournalSettings"/>'s).</summary>
    public JournalSettings Journal { get; init; } = new();

    /// <summary>The entry store's RAM and checkpoint interval (default: <see cref="EntryStoreSettings"/>'s).</summary>
    public EntryStoreSettings EntryStore { get; init; } = new();

    /// <summary>Where recovery, cuts, store rebuilds and checkpoint failures are logged. Default: nowhere.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>
    /// Tests: the key filter's background top-up (<see cref="LedgerStore.FilterTopUp"/>) waits for this handle to be set
    /// before it begins, so a test can act while the filter is still incomplete. Default null: it begins at once.
    /// </summary>
    public WaitHandle? FilterTopUpHold { get; init; }

    /// <summary>
    /// Runs on a thread of its own while recovery replays the journal after the entry store's checkpoint, given the
    /// journal up to that checkpoint (<see cref="Recovery.VerifiedJournalPrefix"/>): the gateway catches the read store
    /// up on it meanwhile. <see cref="LedgerStore.Open"/> waits for it before it returns and rethrows what it threw. Not
    /// run for a store without a checkpoint (new, or rebuilt from the whole journal). Default null.
    /// </summary>
    public Action<Recovery.VerifiedJournalPrefix>? AlongsideReplay { get; init; }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(DataDir)) throw new ArgumentException("DataDir is empty: name the directory that holds the journal and the entry store.");
        EntryStore.Validate();
    }
}
