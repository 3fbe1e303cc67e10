using System.Diagnostics;
using Ledger.Engine;
using Ledger.Engine.Catalog;
using Ledger.Engine.Domain;
using Ledger.Engine.State;
using Ledger.Journal.Format;
using MessagePack;
using RocksDbSharp;

namespace Ledger.Journal.EntryStore;

/// <summary>
/// The entry store: every entry the ledger ever remembered (its request, first answer, status changes, reversedBy),
/// keyed by (account, correlation id) and by bundle id, plus the live state at its cut (accounts, open holds,
/// catalog, see <see cref="StoreCut"/>). A materialised index of the journal, never the source of truth: the journal is
/// the only write-ahead log, so the store runs RocksDB without a WAL and is durable up to its last checkpoint (a
/// memtable flush); a restart replays the journal after the cut. Its RAM is bounded by <see cref="EntryStoreSettings"/>
/// however much history it holds; a lookup of a key it lacks is answered by bloom filters, usually without reading a
/// data block.
/// <para>Threads: the prefetch stage reads (<see cref="Prefetcher"/>), the store stage writes (<see cref="Writer"/>),
/// a checkpoint timer flushes. RocksDB is safe for that; the watermark is published after each write.</para>
/// <para>A <see cref="KeyFilter"/> in RAM answers most lookups of keys the store does not hold before RocksDB is asked.</para>
/// Usage: <c>using var store = EntryStore.Open(dir, settings); var cut = store.Cut; ...</c>
/// </summary>
public sealed class EntryStore : IDisposable
{
    public const string DirectoryName = "store";

    private readonly DbOptions _options;
    private readonly ColumnFamilyOptions _family;
    private readonly BlockBasedTableOptions _table;
    private readonly Cache _cache;
    private readonly WriteOptions _write = new WriteOptions().DisableWal(1);
    private readonly FlushOptions _flush = new FlushOptions().SetWaitForFlush(true);
    private readonly ReadOptions _scan = new ReadOptions().SetFillCache(false);
    private long _watermark;
    private long _durableWatermark;
    private long _checkpoints, _checkpointTicksTotal, _checkpointTicksMax;
    private readonly object _gate = new(); // Stats and Checkpoint (any thread) against Dispose: never touch a closed DB
    private bool _disposed;

    private EntryStore(string directory, bool readOnly, EntryStoreSettings settings)
    {
        Directory = directory;
        ReadOnly = readOnly;
        Settings = settings;
        _cache = Cache.CreateLru((ulong)settings.BlockCacheBytes);
        _table = Storage.RocksTuning.Table(_cache, 8 * 1024, settings.BloomBitsPerKey);
        _family = Storage.RocksTuning.Family(_table, settings.WriteBufferBytes, settings.WriteBuffersMax, settings.Compaction)
            .SetMemtablePrefixBloomSizeRatio(0.05);
        Native.Instance.rocksdb_options_set_memtable_whole_key_filtering(_family.Handle, 1);
        _options = Storage.RocksTuning.Database(readOnly, settings.BackgroundJobs);
        if (settings.Statistics) _options.EnableStatistics();
        Db = readOnly
            ? RocksDb.OpenReadOnly(_options, directory, new ColumnFamilies(_family), false)
            : RocksDb.Open(_options, directory, new ColumnFamilies(_family));
        Cut = ReadCut();
        _watermark = Cut?.RecordNumber ?? 0;
        _durableWatermark = _watermark;
        Catalog = ReadCatalog();
        var loaded = KeyFilter.Load(FilterPath, out long filterNext);
        if (Cut is null)
        {
            Filter = new KeyFilter(settings.KeyFilterBytes); // an empty store: nothing to cover
            _filterLive = true;
        }
        else if (loaded is null)
        {
            Filter = new KeyFilter(settings.KeyFilterBytes); // lost, damaged or resized: refill it from the store's keys
            FilterRebuiltKeys = RebuildFilter();
        }
        else
        {
            Filter = loaded;
            FilterNextAddress = filterNext;
            _filterLive = loaded.Covered >= Cut.RecordNumber; // else recovery tops it up from the journal
        }
    }

    private volatile bool _filterLive;

    internal RocksDb Db { get; }

    /// <summary>The key filter in front of the store; complete (it may answer "absent") once <see cref="KeyFilter.Covered"/> reaches the watermark.</summary>
    public KeyFilter Filter { get; }

    /// <summary>Where the journal continues after the filter's coverage (to top it up from the journal at start).</summary>
    internal long FilterNextAddress { get; private set; }

    private string FilterPath => Path.Combine(Directory, KeyFilter.FileName);

    /// <summary>Whether the filter holds every key the store holds (it then answers for absent keys); from then on the writer keeps it so.</summary>
    public bool FilterComplete => _filterLive;

    /// <summary>Keys the filter was refilled with from the store at open (0: it was loaded from its file, or the store is new).</summary>
    public long FilterRebuiltKeys { get; }

    /// <summary>Refills the filter from every key the store holds (O(history): only when its file is lost or does not fit).</summary>
    public long RebuildFilter()
    {
        long keys = 0;
        foreach (byte prefix in new[] { StoreCodec.EntryPrefix, StoreCodec.BundlePrefix })
        {
            Scan(prefix, (key, _) =>
            {
                Filter.Add(KeyFilter.HashOf(key));
                keys++;
            });
        }
        Filter.Covered = Watermark;
        _filterLive = true;
        return keys;
    }

    /// <summary>Marks the filter complete up to <paramref name="record"/> (recovery topped it up from the journal).</summary>
    internal void FilterCovers(long record)
    {
        Filter.Covered = Math.Max(Filter.Covered, record);
        if (Filter.Covered >= Watermark) _filterLive = true;
    }

    public string Directory { get; }
    public bool ReadOnly { get; }
    public EntryStoreSettings Settings { get; }

    /// <summary>The cut the store was opened at (null: an empty store, which recovery fills from the whole journal).</summary>
    public StoreCut? Cut { get; private set; }

    /// <summary>The catalog in force at the cut (null for an empty store).</summary>
    public HistoryCatalog? Catalog { get; private set; }

    /// <summary>The last journal record whose changes the store holds (readable now). Published after each write.</summary>
    public long Watermark => Volatile.Read(ref _watermark);

    /// <summary>The last journal record whose changes are on disk (as of the last checkpoint).</summary>
    public long DurableWatermark => Volatile.Read(ref _durableWatermark);

    /// <summary>Opens (read-write: creating if needed) the store in <paramref name="directory"/>.</summary>
    public static EntryStore Open(string directory, EntryStoreSettings? settings = null, bool readOnly = false)
    {
        settings ??= new EntryStoreSettings();
        settings.Validate();
        if (readOnly && !Exists(directory)) throw new DirectoryNotFoundException($"There is no entry store in '{directory}'.");
        if (!readOnly) System.IO.Directory.CreateDirectory(directory);
        try
        {
            return new EntryStore(directory, readOnly, settings);
        }
        catch (RocksDbException ex)
        {
            throw new IOException($"The entry store in '{directory}' does not open ({ex.Message}). Move it away: the service rebuilds it from the journal.", ex);
        }
    }

    public static bool Exists(string directory) => File.Exists(Path.Combine(directory, "CURRENT"));

    /// <summary>Deletes a store (it is rebuilt from the journal). The store must not be open.</summary>
    public static void Delete(string directory)
    {
        if (System.IO.Directory.Exists(directory)) System.IO.Directory.Delete(directory, recursive: true);
    }

    public StorePrefetcher Prefetcher() => new(this);

    /// <summary>A checkpoint thread for this store (start it once the pipeline runs).</summary>
    public Checkpointer Checkpointer(Microsoft.Extensions.Logging.ILogger? logger) =>
        new("entry store", () => DurableWatermark != Watermark, () => Checkpoint(), Settings.CheckpointEvery, logger);

    public StoreWriter Writer()
    {
        if (ReadOnly) throw new InvalidOperationException("A read-only entry store has no writer.");
        return new StoreWriter(this);
    }

    internal void Published(long watermark, StoreCut cut)
    {
        Cut = cut;
        Volatile.Write(ref _watermark, watermark);
    }

    internal void CatalogWritten(HistoryCatalog catalog) => Catalog = catalog;

    /// <summary>
    /// Makes everything written so far durable (flushes the memtables and waits): the checkpoint. Its cost follows one
    /// memtable, not the history; writers go on meanwhile. Returns the watermark now durable.
    /// </summary>
    public long Checkpoint()
    {
        if (ReadOnly) return DurableWatermark;
        var cut = Cut; // the watermark and the journal address go together; every key up to it is in the filter already
        long watermark = cut?.RecordNumber ?? 0;
        long started = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Db.Flush(_flush);
            if (cut is not null) Filter.Save(FilterPath, watermark, cut.NextAddress);
        }
        long elapsed = Stopwatch.GetTimestamp() - started;
        Volatile.Write(ref _durableWatermark, watermark);
        Interlocked.Increment(ref _checkpoints);
        Interlocked.Add(ref _checkpointTicksTotal, elapsed);
        if (elapsed > Volatile.Read(ref _checkpointTicksMax)) Volatile.Write(ref _checkpointTicksMax, elapsed);
        return watermark;
    }

    /// <summary>
    /// The live state at the cut: accounts and open holds (a scan of each, O(live state)), checked against the cut's
    /// counts. Null for an empty store.
    /// </summary>
    public LedgerState? LoadState()
    {
        var cut = Cut;
        if (cut is null) return null;
        var catalog = Catalog ?? throw new StoreFormatException("it has a cut but no catalog");
        var accounts = new List<AccountState>((int)Math.Min(cut.Accounts, int.MaxValue));
        Scan(StoreCodec.AccountPrefix, (_, value) => accounts.Add(StoreCodec.ReadAccount(value)));
        var holds = new List<EntryImage>((int)Math.Min(cut.OpenHolds, int.MaxValue));
        Scan(StoreCodec.HoldPrefix, (_, value) =>
        {
            StoreCodec.ReadImage(value, out var hold);
            holds.Add(hold);
        });
        var counters = new List<DailyCounter>();
        Scan(StoreCodec.DailyCounterPrefix, (_, value) => counters.Add(StoreCodec.ReadDailyCounter(value)));
        if (accounts.Count != cut.Accounts || holds.Count != cut.OpenHolds)
            throw new StoreFormatException($"its cut at {cut} lists {cut.Accounts} accounts and {cut.OpenHolds} open holds, but it holds {accounts.Count} and {holds.Count}");
        return new LedgerState
        {
            CommandNumber = cut.RecordNumber,
            LastSequence = cut.LastSequence,
            ClockTicks = cut.ClockTicks,
            HistoryHash = cut.HistoryHash,
            Catalog = catalog,
            Accounts = accounts,
            OpenHolds = holds,
            DailyCounters = counters,
        };
    }

    /// <summary>One entry (or, in <see cref="EntryKeys.BundleAccount"/>, one bundle) as the store holds it, for tools and tests.</summary>
    public bool TryGet(long account, ReadOnlySpan<byte> key, out EntryImage image)
    {
        Span<byte> storeKey = stackalloc byte[StoreCodec.KeyBytesMax];
        int length = StoreCodec.EntryKey(account, key, storeKey);
        var value = Db.Get(storeKey[..length].ToArray());
        if (value is null)
        {
            image = default;
            return false;
        }
        StoreCodec.ReadImage(value, out image);
        return true;
    }

    /// <summary>An account as it stood at the store's cut, for tools.</summary>
    public bool TryGetAccount(AccountKey account, out AccountState state)
    {
        Span<byte> key = stackalloc byte[9];
        StoreCodec.AccountKey(account.Packed, key);
        var value = Db.Get(key.ToArray());
        state = value is null ? default : StoreCodec.ReadAccount(value);
        return value is not null;
    }

    private void Scan(byte prefix, Action<ReadOnlySpan<byte>, ReadOnlySpan<byte>> onRow)
    {
        using var iterator = Db.NewIterator(null, _scan);
        for (iterator.Seek([prefix]); iterator.Valid(); iterator.Next())
        {
            var key = iterator.GetKeySpan();
            if (key.Length == 0 || key[0] != prefix) break;
            onRow(key, iterator.GetValueSpan());
        }
    }

    private StoreCut? ReadCut()
    {
        var value = Db.Get(StoreCodec.CutKey.ToArray());
        return value is null ? null : StoreCut.Read(value);
    }

    private HistoryCatalog? ReadCatalog()
    {
        var value = Db.Get(StoreCodec.CatalogKey.ToArray());
        if (value is null) return null;
        var reader = new MessagePackReader(value);
        return CatalogCodec.ReadCatalog(ref reader);
    }

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

    public void Dispose()
    {
        if (_disposed) return;
        if (!ReadOnly)
        {
            try
            {
                Checkpoint();
            }
            catch (Exception ex) when (ex is RocksDbException or IOException)
            {
                // closing after a failure: the journal has everything, the next start replays it (and refills the key filter)
            }
        }
        lock (_gate)
        {
            _disposed = true;
            Db.Dispose(); // the filter policy belongs to the table options (RocksDB took it over)
        }
    }

    internal WriteOptions WriteOptions => _write;
}

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
