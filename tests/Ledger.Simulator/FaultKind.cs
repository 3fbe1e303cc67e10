namespace Ledger.Simulator;

/// <summary>What the simulator does to the ledger between two steps. Each crash kind restarts the ledger on a copy of its data directory.</summary>
public enum FaultKind
{
    /// <summary>Power cut between steps: the data directory as the disk holds it (stores without WAL keep only their last flush).</summary>
    CrashIdle,
    /// <summary>Power cut right after a command's journal commit, before its answer and before the store writes: the command survives, unanswered.</summary>
    CrashAfterCommit,
    /// <summary>As above, and the commit's metadata slot was torn: the commit never completed, the command is lost.</summary>
    TornCommitSlot,
    /// <summary>As above, and the last record was torn (the segment file ends inside it): detected, cut and reported.</summary>
    TornLastRecord,
    /// <summary>As above, and a bit of the last record flipped: detected by its checksum, cut and reported.</summary>
    FlippedBitInLastRecord,
    /// <summary>The entry store deleted before the restart (rebuilt from the journal).</summary>
    EntryStoreDeleted,
    /// <summary>The read store deleted before the restart (rebuilt from the journal).</summary>
    ReadStoreDeleted,
    /// <summary>The entry store replaced by an older copy of itself (replayed forward from its checkpoint).</summary>
    EntryStoreOlder,
    /// <summary>The read store replaced by an older copy of itself (fed forward from its watermark).</summary>
    ReadStoreOlder,
    /// <summary>The journal's commit fails (the disk full): the command is refused 503, the runtime probes and restarts the ledger in process.</summary>
    JournalWriteFailed,
    /// <summary>The entry store's write fails after the command was acknowledged: the runtime restarts the ledger in process, nothing acknowledged is lost.</summary>
    EntryStoreWriteFailed,
    /// <summary>The read store's write fails after the command was acknowledged: as above, and the read store catches up from the journal.</summary>
    ReadStoreWriteFailed,
    /// <summary>Power cut during an entry-store checkpoint: mid-flush (the disk before it, with a prefix of each new SST file), or flushed with the key filter's rewrite torn (the old filter file and a partial temp file).</summary>
    CrashDuringEntryCheckpoint,
    /// <summary>Power cut during a read-store checkpoint: the disk before it, with a prefix of each SST file the flush wrote.</summary>
    CrashDuringReadCheckpoint,
    /// <summary>Power cut while the read store catches up from the journal at start (after a crash left it behind): restarted again from there.</summary>
    CrashDuringCatchUp,
    /// <summary>The journal's commit is slow (held until the simulator has read everything): nothing is answered or readable before it returns.</summary>
    SlowCommit,
    /// <summary>A slow commit that then fails: as above, then refused and restarted in process like <see cref="JournalWriteFailed"/>.</summary>
    SlowFailingCommit,
    /// <summary>The entry store's read fails in the prefetch stage: the ledger refuses the command and stops (never decides without what the store holds); restarted.</summary>
    PrefetchReadFailed,
}
