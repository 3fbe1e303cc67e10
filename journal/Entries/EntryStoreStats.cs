namespace Ledger.Journal.Entries;

/// <summary>Entry store figures for metrics.</summary>
public readonly record struct EntryStoreStats(
    long Watermark,
    long DurableWatermark,
    long SizeBytes,
    long KeysEstimate,
    long BlockCacheBytes,
    long MemtableBytes,
    long TableReaderBytes,
    long Checkpoints,
    TimeSpan CheckpointTimeMax);
