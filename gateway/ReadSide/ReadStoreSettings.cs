using Ledger.Journal.Storage;

namespace Ledger.ReadSide;

/// <summary>The read store's RAM and checkpoint interval. RAM is bounded by these however many entries it holds.</summary>
public sealed record ReadStoreSettings
{
    /// <summary>RocksDB block cache (statement pages, balance history, index and filter blocks). Default 128 MiB.</summary>
    public long BlockCacheBytes { get; init; } = 128L << 20;

    /// <summary>One memtable. Default 64 MiB.</summary>
    public long WriteBufferBytes { get; init; } = 64L << 20;

    /// <summary>Memtables at most. Default 3.</summary>
    public int WriteBuffers { get; init; } = 3;

    /// <summary>How the store compacts (see <see cref="StoreCompaction"/>). Default universal.</summary>
    public StoreCompaction Compaction { get; init; } = StoreCompaction.Universal;

    /// <summary>Sorted runs (universal) or level-0 files (level) that start a compaction. Default <see cref="RocksTuning.CompactionTriggerDefault"/> (12).</summary>
    public int CompactionTrigger { get; init; } = RocksTuning.CompactionTriggerDefault;

    /// <summary>Memtable inserts of the keys by account start from the last insert of the same account (<see cref="RocksTuning.InsertHintByPrefix"/>). Default <see cref="RocksTuning.InsertHintsDefault"/>.</summary>
    public bool InsertHints { get; init; } = RocksTuning.InsertHintsDefault;

    /// <summary>
    /// Write every batch to RocksDB's write-ahead log too (not synced: it survives a killed process, not a power loss).
    /// Off for the ledger's own read store (the journal is its log: it is caught up from there); on for a statements
    /// replica, whose only other source is Kafka (docs/decisions.md, "Statements replicas"). Default off.
    /// </summary>
    public bool WriteAheadLog { get; init; }

    /// <summary>
    /// Open (writable) with automatic compactions held until <see cref="ReadStore.ResumeCompactions"/> or until the store
    /// has written its memtables' worth (<see cref="CompactionHold"/>): the ledger's start sets it, so a compaction a kill
    /// left undone does not run beside the catch-up and recovery. Default false.
    /// </summary>
    public bool HoldCompactionsAtOpen { get; init; }

    /// <summary>
    /// Keep a key per entry from (account, correlation id) to its sequence, for the statement by correlation id. The
    /// ledger's own read store turns it off: its entry store beside it holds every entry under that key already, so the
    /// read store asks it (<see cref="ReadStore.LookUpIdsIn"/>) and writes one small key per entry fewer. A store written
    /// without them says so on disk; one that kept them may go on without them (the entry store holds every entry), not
    /// back. Default on (a statements replica, the replay-tool: no entry store beside them).
    /// </summary>
    public bool IdKeys { get; init; } = true;

    /// <summary>Entries a statement page examines at most when filters skip most of them; past it the page ends early with a cursor. Default 100 000.</summary>
    public int ScanBudget { get; init; } = 100_000;

    internal void Validate()
    {
        if (BlockCacheBytes < 1L << 20) throw new ArgumentException($"The read store's BlockCacheBytes must be at least 1 MiB, not {BlockCacheBytes}.");
        if (WriteBufferBytes < 1L << 20) throw new ArgumentException($"The read store's WriteBufferBytes must be at least 1 MiB, not {WriteBufferBytes}.");
        if (WriteBuffers is < 2 or > 16) throw new ArgumentException($"The read store's write buffers must be 2..16, not {WriteBuffers}.");
        if (CompactionTrigger is < RocksTuning.CompactionTriggerMin or > RocksTuning.CompactionTriggerMax)
            throw new ArgumentException($"The read store's CompactionTrigger must be {RocksTuning.CompactionTriggerMin}..{RocksTuning.CompactionTriggerMax}, not {CompactionTrigger}.");
        if (ScanBudget < 1) throw new ArgumentException($"The read store's scan budget must be at least 1, not {ScanBudget}.");
    }

    public long BudgetBytes => BlockCacheBytes + WriteBufferBytes * WriteBuffers;
}
