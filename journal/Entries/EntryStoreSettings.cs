namespace Ledger.Journal.Entries;

/// <summary>
/// How much RAM the entry store may use and how often it checkpoints. Its RAM is bounded by these however many
/// entries it holds: block cache + write buffers + table readers (index and filter blocks live in the block cache).
/// Usage: <c>new LedgerStoreSettings { ..., EntryStore = new EntryStoreSettings { BlockCacheBytes = 512L &lt;&lt; 20 } }</c>
/// </summary>
public sealed record EntryStoreSettings
{
    /// <summary>RocksDB block cache: data, index and bloom-filter blocks (lookups are rare behind the key filter). Default 64 MiB.</summary>
    public long BlockCacheBytes { get; init; } = 64L << 20;

    /// <summary>One memtable (written entries before they are flushed to a file). Default 64 MiB.</summary>
    public long WriteBufferBytes { get; init; } = 64L << 20;

    /// <summary>Memtables at most (one filling, the others flushing). Default 3.</summary>
    public int WriteBuffers { get; init; } = 3;

    /// <summary>
    /// RAM for the key filter in front of the store (<see cref="KeyFilter"/>): a new correlation id is answered there,
    /// without RocksDB. Fixed however many entries the store holds; its false-positive rate grows instead (about 0.05 %
    /// at 50 M entries, 1 % at 100 M, 25 % at 300 M with the default). Default 128 MiB.
    /// </summary>
    public long KeyFilterBytes { get; init; } = 128L << 20;

    /// <summary>The key filter's bits on 2 MiB pages where the kernel allows (<see cref="Engine.State.HugePages"/>). Default true.</summary>
    public bool HugePages { get; init; } = true;

    /// <summary>Bloom filter bits per key: a lookup of a new correlation id reads no data block with probability about 99 % at 10. Default 10.</summary>
    public int BloomBitsPerKey { get; init; } = 10;

    /// <summary>How the store compacts (see <see cref="Storage.StoreCompaction"/>). Default universal.</summary>
    public Storage.StoreCompaction Compaction { get; init; } = Storage.StoreCompaction.Universal;

    /// <summary>Sorted runs (universal) or level-0 files (level) that start a compaction. Default <see cref="Storage.RocksTuning.CompactionTriggerDefault"/> (12).</summary>
    public int CompactionTrigger { get; init; } = Storage.RocksTuning.CompactionTriggerDefault;

    /// <summary>Memtable inserts of the keys by account start from the last insert of the same account (<see cref="Storage.RocksTuning.InsertHintByPrefix"/>). Default <see cref="Storage.RocksTuning.InsertHintsDefault"/>.</summary>
    public bool InsertHints { get; init; } = Storage.RocksTuning.InsertHintsDefault;

    /// <summary>Background threads for flushes and compactions. Default 2.</summary>
    public int BackgroundJobs { get; init; } = 2;

    /// <summary>
    /// How often the store checkpoints (flushes its memtable, which makes its checkpoint durable): the journal tail a restart
    /// replays is at most this old (and at most one memtable's worth). Default 30 s.
    /// </summary>
    public TimeSpan CheckpointEvery { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The periodic checkpoint rewrites the key filter's file (<see cref="KeyFilterBytes"/>, 128 MiB by default) only once
    /// the filter's log holds this many bytes after it (8 a key): a start applies at most about this much log (64 MiB,
    /// 8 M keys: ~0.45 s). Below the 100-entry peak this saves most rewrites (at 45 K entries/s the log takes about
    /// 2.5 min to fill it, against one rewrite every 30 s before). 0: at every checkpoint. An explicit checkpoint (the
    /// one a clean close takes) always rewrites it.
    /// </summary>
    public long KeyFilterSaveAfterLogBytes { get; init; } = 64L << 20;

    /// <summary>
    /// Open (writable) with automatic compactions held until <see cref="EntryStore.ResumeCompactions"/> or until the store
    /// has written its memtables' worth (<see cref="Storage.CompactionHold"/>): the ledger's start sets it, so a compaction
    /// a kill left undone does not run beside the replay. Default false (compactions run from the open).
    /// </summary>
    public bool HoldCompactionsAtOpen { get; init; }

    /// <summary>Keep RocksDB's statistics (block cache and bloom counters; costs a few per cent). Default false; the perf harness turns it on.</summary>
    public bool Statistics { get; init; }

    /// <summary>
    /// Opened read-only only to look entries up (<see cref="EntryStore.TryGet"/>): the key filter is neither loaded nor
    /// rebuilt (a 128 MiB read, or a scan of every key when its file is lost), and the store has no prefetcher. The
    /// reads of a ledger that started read-only use it (the read store asks it for correlation ids). Default false.
    /// </summary>
    public bool LookupsOnly { get; init; }

    internal void Validate()
    {
        if (BlockCacheBytes < 8L << 20) throw new ArgumentException($"The entry store's BlockCacheBytes must be at least 8 MiB, not {BlockCacheBytes}.");
        if (WriteBufferBytes < 4L << 20) throw new ArgumentException($"The entry store's WriteBufferBytes must be at least 4 MiB, not {WriteBufferBytes}.");
        if (WriteBuffers is < 2 or > 16) throw new ArgumentException($"The entry store's WriteBuffers must be 2..16, not {WriteBuffers}.");
        if (KeyFilterBytes < 64L << 10) throw new ArgumentException($"The entry store's KeyFilterBytes must be at least 64 KiB (65536), not {KeyFilterBytes}.");
        if (KeyFilterSaveAfterLogBytes is < 0 or > KeyFilterLog.SegmentBytesMax / 2)
            throw new ArgumentException($"The entry store's KeyFilterSaveAfterLogBytes must be 0..{KeyFilterLog.SegmentBytesMax / 2} (half a log segment), not {KeyFilterSaveAfterLogBytes}.");
        if (BloomBitsPerKey is < 1 or > 32) throw new ArgumentException($"The entry store's bloom bits per key must be 1..32, not {BloomBitsPerKey}.");
        if (CompactionTrigger is < Storage.RocksTuning.CompactionTriggerMin or > Storage.RocksTuning.CompactionTriggerMax)
            throw new ArgumentException($"The entry store's CompactionTrigger must be {Storage.RocksTuning.CompactionTriggerMin}..{Storage.RocksTuning.CompactionTriggerMax}, not {CompactionTrigger}.");
        if (BackgroundJobs is < 1 or > 16) throw new ArgumentException($"The entry store's background jobs must be 1..16, not {BackgroundJobs}.");
        if (CheckpointEvery <= TimeSpan.Zero) throw new ArgumentException($"The entry store's CheckpointEvery must be positive, not {CheckpointEvery}.");
    }

    /// <summary>The most RAM the store itself should take: cache + memtables + key filter (plus RocksDB's small fixed overhead).</summary>
    public long BudgetBytes => BlockCacheBytes + WriteBufferBytes * WriteBuffers + KeyFilterBytes;
}
