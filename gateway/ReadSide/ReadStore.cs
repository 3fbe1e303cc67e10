using Ledger.Journal.Entries;
using Ledger.Journal.Storage;
using RocksDbSharp;

namespace Ledger.ReadSide;

/// <summary>
/// The Balance &amp; Statements read store: fed the committed event stream (<see cref="ReadStoreWriter"/>), it answers an
/// account's balances now and at an instant, statement pages (account, time window, cursor, filters) and an entry by
/// its correlation id, from RocksDB on disk with bounded RAM. It stores, atomically with each write batch, the last
/// journal record it applied (<see cref="Watermark"/>), so a restart feeds it only the journal after that. Like the
/// entry store it runs without a WAL: it is durable to its last checkpoint and caught up from the journal after it.
/// Where its events come from (the host's publish stage, the journal at start, Kafka) it does not know.
/// Thread-safe for readers; one writer. This file: opening, writers, checkpoints, closing; the query families are
/// ReadStore.Accounts.cs, ReadStore.Statements.cs, ReadStore.LedgerStatement.cs and ReadStore.Rows.cs; the tuning
/// is <see cref="ReadStoreSettings"/>.
/// Usage: <c>using var store = ReadStore.Open(dir); var writer = store.Writer(); writer.Add(events, record, next); writer.Commit();</c>
/// </summary>
public sealed partial class ReadStore : IDisposable
{
    public const string DirectoryName = "read";

    private readonly DbOptions _options;
    private readonly ColumnFamilyOptions _family;
    private readonly ColumnFamilyOptions _rowsFamily;
    private readonly BlockBasedTableOptions _table;
    private readonly BlockBasedTableOptions _rowsTable;
    private readonly Cache _cache;
    private readonly WriteOptions _write;
    private readonly Dictionary<int, PartitionPosition> _partitions = [];
    private readonly object _partitionsGate = new(); // the partitions' positions only: never held across a flush
    private readonly FlushOptions _flush = new FlushOptions().SetWaitForFlush(true);
    private readonly object _gate = new(); // checkpoints and stats against Dispose: never touch a closed DB
    // The watermark, published whole (record, address, sequence) without a lock: a checkpoint's flush holds _gate for
    // hundreds of milliseconds, and the writer must not wait for it to publish a batch (it did: profiled in docs/perf.md).
    private volatile WatermarkBox _watermark;

    private sealed class WatermarkBox(ReadWatermark value)
    {
        public readonly ReadWatermark Value = value;
    }
    private long _durableRecord;
    private long _flushedRecord;
    private long _checkpoints;
    private bool _disposed;
    // Readers in flight, so Dispose closes RocksDB only once none is inside it (a request outliving the shutdown timeout
    // gets ObjectDisposedException, never a read of freed native memory).
    private int _readers;
    private volatile bool _closing;
    // Keys read by account statements (rows and the time index), so a test can tell a seek from a scan.
    private long _statementKeysRead;

    private ReadStore(string directory, ReadStoreSettings settings, bool readOnly)
    {
        Directory = directory;
        Settings = settings;
        ReadOnly = readOnly;
        _write = new WriteOptions().DisableWal(settings.WriteAheadLog ? 0 : 1);
        _cache = Cache.CreateLru((ulong)settings.BlockCacheBytes);
        _table = RocksTuning.Table(_cache, 16 * 1024, 10);
        _family = RocksTuning.Family(_table, settings.WriteBufferBytes, settings.WriteBuffers, settings.Compaction, settings.CompactionTrigger);
        if (settings.InsertHints) _family.InsertHintByPrefix(ReadCodec.AccountPrefixBytes); // the rows' keys (time, sequence) append without a hint
        // No bloom filter for the rows: a row is only ever looked up because the index named it (present), and its key
        // (time, sequence) appends, so a lookup finds the one sorted run whose range holds it without a filter; filter
        // blocks of 10 bits per row would only be built at every flush and take block cache from the statements.
        _rowsTable = RocksTuning.Table(_cache, 16 * 1024, bloomBitsPerKey: 0);
        _rowsFamily = RocksTuning.Family(_rowsTable, settings.WriteBufferBytes, settings.WriteBuffers, settings.Compaction, settings.CompactionTrigger);
        bool hold = settings.HoldCompactionsAtOpen && !readOnly;
        if (hold)
        {
            _family.SetDisableAutoCompactions(1);
            _rowsFamily.SetDisableAutoCompactions(1);
        }
        // Two families, no write-ahead log (the ledger's store): every flush must take both at once (atomic flush), or a
        // kill could leave an index key durable without its row (seen in ReadSideCrashTests before it was set).
        _options = RocksTuning.Database(readOnly, 2).SetCreateMissingColumnFamilies(!readOnly).AtomicFlush();
        RefuseAnOlderLayout(directory, _options);
        var families = new ColumnFamilies(_family) { { ReadCodec.RowsFamily, _rowsFamily } };
        Db = readOnly
            ? RocksDb.OpenReadOnly(_options, directory, families, false)
            : RocksDb.Open(_options, directory, families);
        try
        {
            Rows = Db.GetColumnFamily(ReadCodec.RowsFamily);
            // Both families' memtables' worth: what a catch-up after a kill feeds at most.
            if (hold) _compactionHold = new CompactionHold(Db, 2 * settings.WriteBufferBytes * settings.WriteBuffers, Db.GetDefaultColumnFamily(), Rows);
            CheckLayout(readOnly);
            var mark = Db.Get(ReadCodec.WatermarkKey.ToArray());
            _watermark = new WatermarkBox(mark is null ? default : ReadCodec.ReadWatermark(mark));
            _durableRecord = _watermark.Value.RecordNumber;
            foreach (var (partition, position) in ReadPartitions()) _partitions[partition] = position;
        }
        catch
        {
            Db.Dispose();
            throw;
        }
    }

    internal RocksDb Db { get; }

    private readonly CompactionHold? _compactionHold;

    /// <summary>True while automatic compactions are held (<see cref="ReadStoreSettings.HoldCompactionsAtOpen"/>).</summary>
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

    /// <summary>The <c>rows</c> column family: every entry's row once, keyed by (time, sequence).</summary>
    internal ColumnFamilyHandle Rows { get; }

    /// <summary>
    /// A store written by a build before layout 3 (rows by account in the default family) has no <c>rows</c> family:
    /// refused before it is opened (so it is moved aside untouched) and rebuilt from the journal or the topic.
    /// </summary>
    private static void RefuseAnOlderLayout(string directory, DbOptions options)
    {
        if (!File.Exists(Path.Combine(directory, "CURRENT"))) return;
        var names = RocksDb.ListColumnFamilies(options, directory);
        if (!names.Contains(ReadCodec.RowsFamily))
            throw new ReadStoreFormatException($"it is in an older layout (column families {string.Join(", ", names)}; layout {ReadCodec.Version} keeps the rows in '{ReadCodec.RowsFamily}')");
    }

    /// <summary>
    /// The layout marker: written into a new store, checked in any other. It also says where the correlation ids are
    /// (<see cref="ReadStoreSettings.IdKeys"/>): layout <see cref="ReadCodec.Version"/> keeps them, layout
    /// <see cref="ReadCodec.LayoutWithoutIdKeys"/> asks the entry store beside it. A store that kept them goes on without them when
    /// the ledger opens it (the entry store holds every entry; the old keys stay, unused); one without them is refused to
    /// a reader that would look for them, and to builds before the change (they read layout 3 only).
    /// </summary>
    private void CheckLayout(bool readOnly)
    {
        byte wanted = Settings.IdKeys ? ReadCodec.Version : ReadCodec.LayoutWithoutIdKeys;
        var layout = Db.Get(ReadCodec.LayoutKey.ToArray());
        if (layout is null)
        {
            if (Db.Get(ReadCodec.WatermarkKey.ToArray()) is not null) throw new ReadStoreFormatException("it has a watermark and no layout marker");
            if (!readOnly) Db.Put(ReadCodec.LayoutKey.ToArray(), new[] { wanted }, null, _write);
            return;
        }
        switch (layout)
        {
            case [var found] when found == wanted:
                return;
            case [ReadCodec.Version] when !Settings.IdKeys:
                if (!readOnly) Db.Put(ReadCodec.LayoutKey.ToArray(), new[] { wanted }, null, _write); // before the first batch without them
                return;
            case [ReadCodec.LayoutWithoutIdKeys] when Settings.IdKeys:
                throw new ReadStoreFormatException($"its correlation ids are looked up in the entry store beside it (layout {ReadCodec.LayoutWithoutIdKeys}, a ledger's read store), and this reader keeps them in the read store (layout {ReadCodec.Version})");
            default:
                throw new ReadStoreFormatException($"its layout is {(layout.Length == 1 ? layout[0].ToString(System.Globalization.CultureInfo.InvariantCulture) : "unknown")}, this build reads {ReadCodec.Version} and {ReadCodec.LayoutWithoutIdKeys}");
        }
    }

    /// <summary>
    /// The entry store beside a read store kept without id keys (<see cref="ReadStoreSettings.IdKeys"/> off): the
    /// statement by correlation id asks it for the entry's sequence. Set once, before the first such read; the entry
    /// store must stay open until this store is disposed (the ledger closes the read store first).
    /// </summary>
    public void LookUpIdsIn(EntryStore entries)
    {
        if (Settings.IdKeys) throw new InvalidOperationException("This read store keeps its correlation ids itself.");
        if (_entries is not null && !ReferenceEquals(_entries, entries)) throw new InvalidOperationException("The read store already looks its correlation ids up in another entry store.");
        _entries = entries;
    }

    private volatile EntryStore? _entries;

    /// <summary>Keys an account statement has read since open (rows, and the time index for a window's start): a page found by seek reads about its own size.</summary>
    internal long StatementKeysRead => Interlocked.Read(ref _statementKeysRead);
    internal WriteOptions WriteOptions => _write;

    public string Directory { get; }
    public ReadStoreSettings Settings { get; }
    public bool ReadOnly { get; }

    /// <summary>The last journal record whose events the store holds (and where the feed resumes).</summary>
    public ReadWatermark Watermark
    {
        get
        {
            return _watermark.Value;
        }
    }

    /// <summary>Opens (read-write: creating if needed) the read store in <paramref name="directory"/>.</summary>
    public static ReadStore Open(string directory, ReadStoreSettings? settings = null, bool readOnly = false)
    {
        settings ??= new ReadStoreSettings();
        settings.Validate();
        if (!readOnly) System.IO.Directory.CreateDirectory(directory);
        try
        {
            return new ReadStore(directory, settings, readOnly);
        }
        catch (RocksDbException ex)
        {
            throw new IOException(Ledger.Journal.Storage.DiskSpace.IsOutOfSpace(ex)
                ? $"The read store in '{directory}' cannot write ({ex.Message}): free space on its file system."
                : $"The read store in '{directory}' does not open ({ex.Message}). Move it away: it is rebuilt from the journal.", ex);
        }
    }

    public static void Delete(string directory)
    {
        if (System.IO.Directory.Exists(directory)) System.IO.Directory.Delete(directory, recursive: true);
    }

    /// <summary>The writer, continuing at the store's watermark (one writer at a time).</summary>
    public ReadStoreWriter Writer()
    {
        if (ReadOnly) throw new InvalidOperationException("A read-only read store has no writer.");
        return new ReadStoreWriter(this, Watermark, partial: false);
    }

    /// <summary>
    /// A writer for an empty store fed from the middle of a journal (its start archived): the feed begins after
    /// <paramref name="start"/>, and status changes of entries applied before it are skipped. Statements it answers
    /// begin at that point; the caller says so.
    /// </summary>
    public ReadStoreWriter PartialWriter(ReadWatermark start)
    {
        if (ReadOnly || Watermark != default) throw new InvalidOperationException("A partial feed starts only on an empty read store.");
        return new ReadStoreWriter(this, start, partial: true);
    }

    /// <summary>The writer of a statements replica fed from <c>ledger.events</c> (see <see cref="ReadStoreWriter.AddFromPartition"/>).</summary>
    public ReadStoreWriter PartitionedWriter()
    {
        if (ReadOnly) throw new InvalidOperationException("A read-only read store has no writer.");
        return new ReadStoreWriter(this, Watermark, partial: false, partitioned: true);
    }

    /// <summary>How far each ledger.events partition was applied (what a replica's consumer resumes at): a copy, any thread.</summary>
    public Dictionary<int, PartitionPosition> PartitionOffsets()
    {
        lock (_partitionsGate) return new Dictionary<int, PartitionPosition>(_partitions);
    }

    private Dictionary<int, PartitionPosition> ReadPartitions()
    {
        var offsets = new Dictionary<int, PartitionPosition>();
        using var iterator = Db.NewIterator(null, new ReadOptions().SetIterateUpperBound([(byte)(ReadCodec.PartitionPrefix + 1)]));
        for (iterator.Seek([ReadCodec.PartitionPrefix]); iterator.Valid(); iterator.Next())
        {
            var key = iterator.GetKeySpan();
            if (key.Length != 5) continue;
            offsets[System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(key[1..])] = ReadCodec.ReadPartition(iterator.GetValueSpan());
        }
        return offsets;
    }

    internal void Published(ReadWatermark watermark, Dictionary<int, PartitionPosition> partitions)
    {
        _watermark = new WatermarkBox(watermark);
        lock (_partitionsGate)
        {
            foreach (var (partition, position) in partitions) _partitions[partition] = position;
        }
        // With the write-ahead log on, what was written survives a killed process: durable now.
        if (Settings.WriteAheadLog) Volatile.Write(ref _durableRecord, watermark.RecordNumber);
    }

    /// <summary>The watermark at the last memtable flush: with the write-ahead log on, a restart replays the log written after it.</summary>
    public long FlushedRecord => Volatile.Read(ref _flushedRecord);

    /// <summary>Makes everything written durable (memtable flush); a restart then feeds only the journal after it. Returns the record now durable.</summary>
    public long Checkpoint()
    {
        if (ReadOnly) return _durableRecord;
        long record = Watermark.RecordNumber;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            RocksTuning.FlushTogether(Db, _flush, Db.GetDefaultColumnFamily(), Rows);
        }
        Volatile.Write(ref _durableRecord, Math.Max(record, Volatile.Read(ref _durableRecord)));
        Volatile.Write(ref _flushedRecord, record);
        Interlocked.Increment(ref _checkpoints);
        return record;
    }

    private void Enter()
    {
        Interlocked.Increment(ref _readers);
        if (!_closing) return;
        Interlocked.Decrement(ref _readers);
        throw new ObjectDisposedException(nameof(ReadStore), "The read store is closing.");
    }

    private void Exit() => Interlocked.Decrement(ref _readers);

    /// <summary>Size and memory, for metrics (any thread; zeros once closed).</summary>
    public ReadStoreStats Stats
    {
        get
        {
            lock (_gate)
            {
                if (_disposed) return default;
                return new ReadStoreStats(_watermark.Value.RecordNumber, Volatile.Read(ref _durableRecord),
                    Property("rocksdb.total-sst-files-size") + Property("rocksdb.size-all-mem-tables"),
                    (long)Native.Instance.rocksdb_cache_get_usage(_cache.Handle), Property("rocksdb.cur-size-all-mem-tables"), Volatile.Read(ref _checkpoints));
            }
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
                // the journal has everything: the next start catches up from it
            }
        }
        _closing = true;
        Interlocked.MemoryBarrier(); // the write above before the reads below: a reader increments, then reads _closing (Enter)
        var spin = new SpinWait();
        while (Volatile.Read(ref _readers) != 0) spin.SpinOnce();
        lock (_gate)
        {
            _disposed = true;
            Db.Dispose();
        }
    }
}
