using System.Diagnostics;
using Ledger.Engine.Catalog;
using Ledger.Journal.Storage;
using RocksDbSharp;

namespace Ledger.Journal.Entries;

/// <summary>
/// The entry store: every entry the ledger ever remembered (its request, first answer, status changes, reversedBy),
/// keyed by (account, correlation id) and by bundle id, plus the live state at its checkpoint (accounts, open holds,
/// catalog, see <see cref="StoreCheckpoint"/>). A materialised index of the journal, never the source of truth: the journal is
/// the only write-ahead log, so the store runs RocksDB without a WAL and is durable up to its last checkpoint (a
/// memtable flush); a restart replays the journal after the checkpoint. Its RAM is bounded by <see cref="EntryStoreSettings"/>
/// however much history it holds; a lookup of a key it lacks is answered by bloom filters, usually without reading a
/// data block.
/// <para>Threads: the prefetch stage reads (<see cref="Prefetcher"/>), the store stage writes (<see cref="Writer"/>),
/// a checkpoint timer flushes. RocksDB is safe for that; the watermark is published after each write.</para>
/// <para>A <see cref="KeyFilter"/> in RAM answers most lookups of keys the store does not hold before RocksDB is asked.</para>
/// <para>This file: opening, writers, checkpoints, closing; EntryStore.Filter.cs the key filter, EntryStore.Reads.cs
/// the lookups and the state at the checkpoint, EntryStore.Stats.cs the figures.</para>
/// Usage: <c>using var store = EntryStore.Open(dir, settings); var checkpoint = store.LastCheckpoint; ...</c>
/// </summary>
public sealed partial class EntryStore : IDisposable
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
        // No memtable bloom filter: once complete, the key filter answers the prefetcher's absent keys before RocksDB is
        // asked, so a memtable bloom cost every insert a random write to spare a few searches (while the filter is topped up
        // after a start, and for TryGet, absent keys search the memtables: decisions.md, "No memtable bloom").
        _family = Storage.RocksTuning.Family(_table, settings.WriteBufferBytes, settings.WriteBuffers, settings.Compaction, settings.CompactionTrigger);
        if (settings.InsertHints) _family.InsertHintByPrefix(StoreCodec.AccountPrefixBytes);
        bool hold = settings.HoldCompactionsAtOpen && !readOnly;
        if (hold) _family.SetDisableAutoCompactions(1);
        _options = Storage.RocksTuning.Database(readOnly, settings.BackgroundJobs);
        if (settings.Statistics) _options.EnableStatistics();
        Db = readOnly
            ? RocksDb.OpenReadOnly(_options, directory, new ColumnFamilies(_family), false)
            : RocksDb.Open(_options, directory, new ColumnFamilies(_family));
        if (hold) _compactionHold = new Storage.CompactionHold(Db, settings.WriteBufferBytes * settings.WriteBuffers, Db.GetDefaultColumnFamily());
        LastCheckpoint = ReadCheckpoint();
        _watermark = LastCheckpoint?.RecordNumber ?? 0;
        _durableWatermark = _watermark;
        Catalog = ReadCatalog();
        if (settings.LookupsOnly)
        {
            Filter = new KeyFilter(64L << 10); // nothing asks it: the store has no prefetcher (EntryStoreSettings.LookupsOnly)
        }
        else if (LastCheckpoint is null)
        {
            Filter = new KeyFilter(settings.KeyFilterBytes, settings.HugePages); // an empty store: nothing to cover
            _filterLive = true;
        }
        else if (KeyFilter.Load(FilterPath, out long filterNext, settings.HugePages) is not { } loaded)
        {
            Filter = new KeyFilter(settings.KeyFilterBytes, settings.HugePages); // lost, damaged or resized: refill it from the store's keys
            FilterRebuiltKeys = RebuildFilter();
        }
        else
        {
            Filter = loaded;
            _filterFileSaved = true;
            FilterNextAddress = filterNext;
            FilterLogApplied = ApplyFilterLog(LastCheckpoint.RecordNumber);
            _filterLive = loaded.Covered >= LastCheckpoint.RecordNumber; // else recovery tops it up from the journal
        }
        if (!readOnly)
        {
            if (FilterLogApplied is null) KeyFilterLog.DeleteAll(directory); // a new or refilled filter covers the store: an old log is of no use
            FilterLog = new KeyFilterLog(directory, FilterLogApplied?.NextSegment ?? 1);
        }
    }

    private volatile bool _filterLive;
    private readonly Storage.CompactionHold? _compactionHold;

    /// <summary>True while automatic compactions are held (<see cref="EntryStoreSettings.HoldCompactionsAtOpen"/>).</summary>
    public bool CompactionsHeld => _compactionHold?.Held ?? false;

    /// <summary>Lets compactions held since the open run (the start is done). Does nothing when none are held or the store is closed.</summary>
    public void ResumeCompactions()
    {
        lock (_gate)
        {
            if (!_disposed) _compactionHold?.Resume();
        }
    }

    /// <summary>The writer wrote <paramref name="batch"/>: a hold lets go past its budget.</summary>
    internal void Wrote(WriteBatch batch) => _compactionHold?.Wrote(batch);

    internal RocksDb Db { get; }

    public string Directory { get; }
    public bool ReadOnly { get; }
    public EntryStoreSettings Settings { get; }

    /// <summary>Where the store stands: the checkpoint it was opened at, then the one of each batch it wrote (null: an empty store, which recovery fills from the whole journal).</summary>
    public StoreCheckpoint? LastCheckpoint { get; private set; }

    /// <summary>The catalog in force at the checkpoint (null for an empty store).</summary>
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
        if (settings.LookupsOnly && !readOnly) throw new ArgumentException("Only a read-only entry store opens for lookups only.", nameof(settings));
        if (!readOnly) System.IO.Directory.CreateDirectory(directory);
        try
        {
            return new EntryStore(directory, readOnly, settings);
        }
        catch (RocksDbException ex)
        {
            throw new IOException(Storage.DiskSpace.IsOutOfSpace(ex)
                ? $"The entry store in '{directory}' cannot write ({ex.Message}): free space on its file system."
                : $"The entry store in '{directory}' does not open ({ex.Message}). Move it away: the service rebuilds it from the journal.", ex);
        }
    }

    public static bool Exists(string directory) => File.Exists(Path.Combine(directory, "CURRENT"));

    /// <summary>Deletes a store (it is rebuilt from the journal). The store must not be open.</summary>
    public static void Delete(string directory)
    {
        if (System.IO.Directory.Exists(directory)) System.IO.Directory.Delete(directory, recursive: true);
    }

    public StorePrefetcher Prefetcher() => Settings.LookupsOnly
        ? throw new InvalidOperationException("An entry store opened for lookups only has no key filter to prefetch with.")
        : new(this);

    /// <summary>A checkpoint thread for this store (start it once the pipeline runs).</summary>
    public Checkpointer Checkpointer(Microsoft.Extensions.Logging.ILogger? logger) =>
        new("entry store", () => DurableWatermark != Watermark, () => Checkpoint(saveFilter: FilterSaveDue), Settings.CheckpointEvery, logger);

    public StoreWriter Writer()
    {
        if (ReadOnly) throw new InvalidOperationException("A read-only entry store has no writer.");
        return new StoreWriter(this);
    }

    internal void Published(long watermark, StoreCheckpoint checkpoint)
    {
        LastCheckpoint = checkpoint;
        Volatile.Write(ref _watermark, watermark);
    }

    internal void CatalogWritten(HistoryCatalog catalog) => Catalog = catalog;

    /// <summary>
    /// Makes everything written so far durable (flushes the memtables and waits), and with it <see cref="LastCheckpoint"/>. Its cost follows one
    /// memtable, not the history; writers go on meanwhile. Returns the watermark now durable. With <paramref name="saveFilter"/>
    /// false (recovery's checkpoint after its replay: a start need not wait for the 128 MiB rewrite) the key filter's file
    /// is left as it is, its log still covering what came after it.
    /// </summary>
    public long Checkpoint(bool saveFilter = true)
    {
        if (ReadOnly) return DurableWatermark;
        var checkpoint = LastCheckpoint; // the watermark and the journal address go together; every key up to it is in the filter already
        long watermark = checkpoint?.RecordNumber ?? 0;
        long started = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Db.Flush(_flush);
            if (checkpoint is not null && saveFilter) SaveFilter(watermark, checkpoint.NextAddress);
        }
        long elapsed = Stopwatch.GetTimestamp() - started;
        Volatile.Write(ref _durableWatermark, watermark);
        Interlocked.Increment(ref _checkpoints);
        Interlocked.Add(ref _checkpointTicksTotal, elapsed);
        if (elapsed > Volatile.Read(ref _checkpointTicksMax)) Volatile.Write(ref _checkpointTicksMax, elapsed);
        return watermark;
    }

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
            FilterLog?.Dispose();
        }
    }

    internal WriteOptions WriteOptions => _write;
}
