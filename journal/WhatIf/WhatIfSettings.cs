using Ledger.Engine;
using Ledger.Engine.Catalog;
using Ledger.Journal.Entries;
using Ledger.Journal.Recovery;

namespace Ledger.Journal.WhatIf;

/// <summary>Settings of one what-if replay. Only <see cref="Candidate"/> and <see cref="ScratchDirectory"/> are required.</summary>
public sealed record WhatIfSettings
{
    /// <summary>The catalog to try: in force for every command of the window (a journaled LoadCatalog in it is applied, then the candidate put back).</summary>
    public required HistoryCatalog Candidate { get; init; }

    /// <summary>A directory of the replay's own for its scratch entry stores (created, and deleted afterwards).</summary>
    public required string ScratchDirectory { get; init; }

    /// <summary>The window: commands applied at or after this instant (UTC ticks) are decided under the candidate and compared; earlier ones replay as journaled.</summary>
    public long FromTicks { get; init; } = long.MinValue;

    /// <summary>The window's end (inclusive, UTC ticks): the replay stops before the first command after it.</summary>
    public long ToTicks { get; init; } = long.MaxValue;

    /// <summary>The last journal record to read (a bound fixed at the start when the journal grows meanwhile, as in the service).</summary>
    public long UntilRecordNumber { get; init; } = long.MaxValue;

    /// <summary>The scratch stores' RAM (a small block cache and memtables: the replay reads and writes each key about once).</summary>
    public EntryStoreSettings StoreSettings { get; init; } = new() { BlockCacheBytes = 64L << 20, WriteBufferBytes = 32L << 20, KeyFilterBytes = 64L << 20 };

    public EngineSettings? EngineSettings { get; init; }

    /// <summary>
    /// The service's own entry store (read-only), used for the baseline when its checkpoint fits the journal and the window runs
    /// to the journal's end: then the baseline costs a load of the live state instead of a second replay.
    /// </summary>
    public EntryStore? BaselineStore { get; init; }

    /// <summary>Called for every entry (or DELETE) whose outcome differs, in journal order.</summary>
    public Action<WhatIfChange>? OnChange { get; init; }

    /// <summary>Called every few thousand records with the phase ("baseline" or "candidate") and how far it is.</summary>
    public Action<string, RecoveryProgress>? OnProgress { get; init; }

    /// <summary>Called after every 64 records of either run (a background run paces itself, and may throw to cancel, here).</summary>
    public Action? AfterBatch { get; init; }

    public CancellationToken Cancellation { get; init; }
}
