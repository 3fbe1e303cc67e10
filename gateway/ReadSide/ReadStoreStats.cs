namespace Ledger.ReadSide;

/// <summary>Read store figures for metrics.</summary>
public readonly record struct ReadStoreStats(long Watermark, long DurableWatermark, long SizeBytes, long BlockCacheBytes, long MemtableBytes, long Checkpoints);
