namespace Ledger.Journal;

/// <summary>
/// How the journal's FasterLog is laid out. Defaults suit a single-node ledger on local disk; page and segment size
/// apply only when a journal is created (then <c>layout.json</c> keeps them).
/// Usage: <c>new LedgerStoreSettings { ..., Journal = new JournalSettings { CommitWait = CommitWait.Spin } }</c>
/// </summary>
public sealed record JournalSettings
{
    /// <summary>FasterLog page size as a power of two. Default 22 (4 MB): a group commit flushes the written part of the tail page.</summary>
    public int PageSizeBits { get; init; } = 22;

    /// <summary>In-memory part of the log as a power of two. Default 25 (32 MB, 8 pages): appends wait when it is full of unflushed pages.</summary>
    public int MemorySizeBits { get; init; } = 25;

    /// <summary>Size of one file on disk as a power of two. Default 30 (1 GB per segment file).</summary>
    public int SegmentSizeBits { get; init; } = 30;

    /// <summary>
    /// How a commit waits for the disk. Default <see cref="CommitWait.Block"/>: the journal thread sleeps until the
    /// commit completes, leaving the core to the engine and producers (two cores here); <see cref="CommitWait.Spin"/>
    /// yields in a loop (lower latency on a machine with cores to spare).
    /// </summary>
    public CommitWait CommitWait { get; init; } = CommitWait.Block;

    internal void Validate()
    {
        if (PageSizeBits is < 12 or > 30) throw new ArgumentException($"Journal PageSizeBits must be 12..30, not {PageSizeBits}.");
        if (MemorySizeBits < PageSizeBits + 1) throw new ArgumentException($"Journal MemorySizeBits ({MemorySizeBits}) must hold at least two pages (PageSizeBits + 1).");
        if (SegmentSizeBits < PageSizeBits) throw new ArgumentException($"Journal SegmentSizeBits ({SegmentSizeBits}) must be at least PageSizeBits ({PageSizeBits}).");
    }
}

/// <summary>How <see cref="JournalWriter.Commit"/> waits for FasterLog's commit to complete.</summary>
public enum CommitWait
{
    /// <summary>Block on the commit's completion (no CPU spent waiting).</summary>
    Block,
    /// <summary>FasterLog's own spin-wait (<c>Commit(spinWait: true)</c>, a Thread.Yield loop).</summary>
    Spin,
}
