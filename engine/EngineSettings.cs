namespace Ledger.Engine;

/// <summary>
/// Sizes of the engine's RAM. Accounts and open holds are the live state and stay in RAM; the entry cache is bounded
/// (the entry store on disk has everything). Validated at construction with a sentence saying what to fix.
/// <para>The defaults are the service's (its <c>Ledger:Memory</c> section starts from these: one default per knob), sized
/// for 1 M accounts on a 24 GB machine (docs/decisions.md has the arithmetic). Tests and benches that build many small
/// engines say their sizes.</para>
/// </summary>
public sealed record EngineSettings
{
    /// <summary>Accounts the tables hold before growing (they grow by doubling, on the engine thread: size them). Default 1 048 576.</summary>
    public int AccountCapacity { get; init; } = 1 << 20;

    /// <summary>
    /// Entries the cache holds (recent entries, open holds, and entries changed but not yet in the store). Past it the
    /// least recently used entry the store already holds is evicted. It must hold every open hold and what the pipeline
    /// has in flight (<see cref="Hosting.EngineHostSettings.InFlightEntriesMax"/>; the service checks
    /// <c>OpenHoldsMax + 3 × InFlightEntriesMax</c> at start-up). Default 1 048 576 (about 290 B each).
    /// </summary>
    public int EntryCacheEntries { get; init; } = 1 << 20;

    /// <summary>Open holds (pending blocking entries) the ledger keeps at most; past it a new hold is refused (retry later). Default 500 000.</summary>
    public int OpenHoldsMax { get; init; } = 500_000;

    /// <summary>
    /// Writes every page of the entry cache at start-up, so the engine thread does not take a page fault each time the
    /// cache first grows into untouched memory (about 1 us per entry on a VM that backs guest memory lazily; see
    /// docs/perf-history.md). Costs start-up time and makes the cache resident at once. Default false: tests build many small engines.
    /// </summary>
    public bool PrefaultTables { get; init; }

    /// <summary>
    /// The entry cache's and the account table's arrays on 2 MiB pages where the kernel allows (<see cref="State.HugePages"/>):
    /// each entry reads them at random, and a TLB miss on a VM walks two page tables. Default true.
    /// </summary>
    public bool HugePages { get; init; } = true;

    internal void Validate()
    {
        if (AccountCapacity < 1) throw new ArgumentException($"AccountCapacity must be at least 1, not {AccountCapacity}.");
        if (EntryCacheEntries < 16) throw new ArgumentException($"EntryCacheEntries must be at least 16 entries, not {EntryCacheEntries}.");
        if (OpenHoldsMax < 1) throw new ArgumentException($"OpenHoldsMax must be at least 1, not {OpenHoldsMax}.");
    }
}
