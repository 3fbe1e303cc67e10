using System.Diagnostics;
using RocksDbSharp;

namespace Ledger.Journal.Entries;

// Figures for metrics and the replay-tool.
public sealed partial class EntryStore
{
    /// <summary>Size and memory, for metrics (any thread; zeros once closed).</summary>
    public EntryStoreStats Stats
    {
        get
        {
            lock (_gate)
            {
                if (_disposed) return default;
                return new(
                    Watermark,
                    DurableWatermark,
                    Property("rocksdb.total-sst-files-size") + Property("rocksdb.size-all-mem-tables"),
                    Property("rocksdb.estimate-num-keys"),
                    (long)Native.Instance.rocksdb_cache_get_usage(_cache.Handle),
                    Property("rocksdb.cur-size-all-mem-tables"),
                    Property("rocksdb.estimate-table-readers-mem"),
                    Volatile.Read(ref _checkpoints),
                    TimeSpan.FromTicks(Volatile.Read(ref _checkpointTicksMax) * TimeSpan.TicksPerSecond / Stopwatch.Frequency));
            }
        }
    }

    /// <summary>
    /// What RocksDB says of itself, for the perf harness: files per level, index and filter sizes over all files, and
    /// (with <see cref="EntryStoreSettings.Statistics"/>) block-cache and bloom counters.
    /// </summary>
    public string Describe()
    {
        lock (_gate)
        {
            if (_disposed) return "";
            var text = new System.Text.StringBuilder();
            text.AppendLine(Db.GetProperty("rocksdb.levelstats"));
            text.AppendLine("table properties: " + Db.GetProperty("rocksdb.aggregated-table-properties"));
            string? statistics = Settings.Statistics ? _options.GetStatisticsString() : null;
            if (statistics is not null)
            {
                foreach (var line in statistics.Split('\n'))
                {
                    if (line.Contains("block.cache.filter.") || line.Contains("block.cache.index.") || line.Contains("block.cache.data.") ||
                        line.Contains("bloom.filter.useful") || line.Contains("bloom.filter.full") || line.Contains("stall.micros") ||
                        line.Contains("multiget.micros") || line.Contains("rocksdb.compact.write.bytes") || line.Contains("rocksdb.flush.write.bytes"))
                    {
                        text.AppendLine(line.Trim());
                    }
                }
            }
            return text.ToString();
        }
    }

    private long Property(string name) => long.TryParse(Db.GetProperty(name), out long value) ? value : 0;
}
