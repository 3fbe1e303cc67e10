namespace Ledger.Engine;

/// <summary>
/// Sizes of the engine's RAM. Accounts and open holds are the live state and stay in RAM; the entry cache is bounded
/// (the entry store on disk has everything). Validated at construction with a sentence saying what to fix.
/// </summary>
public sealed record EngineSettings
{
    /// <summary>Accounts the tables hold before growing (they grow by doubling). Default 1 024.</summary>
    public int AccountCapacity { get; init; } = 1_024;

    /// <summary>
    /// Entries the cache holds (recent entries, open holds, and entries changed but not yet in the store). Past it the
    /// least recently used entry the store already holds is evicted. Default 65 536.
    /// </summary>
    public int EntryCacheEntries { get; init; } = 65_536;

    /// <summary>Open holds (pending blocking entries) the ledger keeps at most; past it a new hold is refused (retry later). Default 500 000 (the service's <c>Ledger:Memory:OpenHoldsMax</c>).</summary>
    public int OpenHoldsMax { get; init; } = 500_000;

    /// <summary>
    /// Writes every page of the entry cache at start-up, so the engine thread does not take a page fault each time the
    /// cache first grows into untouched memory (about 1 us per entry on a VM that backs guest memory lazily; see
    /// docs/perf-history.md). Costs start-up time and makes the cache resident at once. Default false: tests build many small engines.
    /// </summary>
    public bool PrefaultTables { get; init; }

    internal void Validate()
    {
        if (AccountCapacity < 1) throw new ArgumentException($"AccountCapacity must be at least 1, not {AccountCapacity}.");
        if (EntryCacheEntries < 16) throw new ArgumentException($"EntryCacheEntries must be at least 16 entries, not {EntryCacheEntries}.");
        if (OpenHoldsMax < 1) throw new ArgumentException($"OpenHoldsMax must be at least 1, not {OpenHoldsMax}.");
    }
}
