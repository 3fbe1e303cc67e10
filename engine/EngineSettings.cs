namespace Ledger.Engine;

/// <summary>
/// Start-up sizes of the engine's tables. The tables grow by doubling past them, which allocates once;
/// size them for the expected book so the hot path never does.
/// </summary>
public sealed record EngineSettings
{
    /// <summary>Accounts the tables hold before growing. Default 1 024.</summary>
    public int AccountCapacity { get; init; } = 1_024;
    /// <summary>Remembered entries (applied and declined) before growing. Default 65 536.</summary>
    public int EntryCapacity { get; init; } = 65_536;

    /// <summary>
    /// Writes every page of the presized entry table and idempotency index at start-up, so the engine thread does
    /// not take a page fault each time the ledger grows into untouched memory (about 1 us per entry on a VM that
    /// backs guest memory lazily; see docs/perf.md). Costs start-up time and makes the tables resident at once.
    /// Default false: tests build many small engines.
    /// </summary>
    public bool PrefaultTables { get; init; }
}
