using System.Diagnostics;
using Ledger.Engine.Domain;
using Ledger.Journal.Storage;
using RocksDbSharp;

namespace Ledger.ReadSide;

/// <summary>The read store's RAM and checkpoint interval. RAM is bounded by these however many entries it holds.</summary>
public sealed record ReadStoreSettings
{
    /// <summary>RocksDB block cache (statement pages, balance history, index and filter blocks). Default 128 MiB.</summary>
    public long BlockCacheBytes { get; init; } = 128L << 20;

    /// <summary>One memtable. Default 64 MiB.</summary>
    public long WriteBufferBytes { get; init; } = 64L << 20;

    /// <summary>Memtables at most. Default 3.</summary>
    public int WriteBuffersMax { get; init; } = 3;

    /// <summary>How the store compacts (see <see cref="StoreCompaction"/>). Default universal.</summary>
    public StoreCompaction Compaction { get; init; } = StoreCompaction.Universal;

    /// <summary>
    /// Write every batch to RocksDB's write-ahead log too (not synced: it survives a killed process, not a power loss).
    /// Off for the ledger's own read store (the journal is its log: it is caught up from there); on for a statements
    /// replica, whose only other source is Kafka (docs/decisions.md, "Statements replicas"). Default off.
    /// </summary>
    public bool WriteAheadLog { get; init; }

    /// <summary>Entries a statement page examines at most when filters skip most of them; past it the page ends early with a cursor. Default 100 000.</summary>
    public int ScanBudget { get; init; } = 100_000;

    internal void Validate()
    {
        if (BlockCacheBytes < 1L << 20) throw new ArgumentException($"The read store's BlockCacheBytes must be at least 1 MiB, not {BlockCacheBytes}.");
        if (WriteBufferBytes < 1L << 20) throw new ArgumentException($"The read store's WriteBufferBytes must be at least 1 MiB, not {WriteBufferBytes}.");
        if (WriteBuffersMax is < 2 or > 16) throw new ArgumentException($"The read store's write buffers must be 2..16, not {WriteBuffersMax}.");
        if (ScanBudget < 1) throw new ArgumentException($"The read store's scan budget must be at least 1, not {ScanBudget}.");
    }

    public long BudgetBytes => BlockCacheBytes + WriteBufferBytes * WriteBuffersMax;
}

/// <summary>
/// The Balance &amp; Statements read store: fed the committed event stream (<see cref="ReadStoreWriter"/>), it answers an
/// account's balances now and at an instant, statement pages (account, time window, cursor, filters) and an entry by
/// its correlation id, from RocksDB on disk with bounded RAM. It stores, atomically with each write batch, the last
/// journal record it applied (<see cref="Watermark"/>), so a restart feeds it only the journal after that. Like the
/// entry store it runs without a WAL: it is durable to its last checkpoint and caught up from the journal after it.
/// Where its events come from (the host's publish stage, the journal at start, Kafka) it does not know.
/// Thread-safe for readers; one writer.
/// Usage: <c>using var store = ReadStore.Open(dir); var writer = store.Writer(); writer.Add(events, record, next); writer.Commit();</c>
/// </summary>
public sealed class ReadStore : IDisposable
{
    public const string DirectoryName = "read";

    private readonly DbOptions _options;
    private readonly ColumnFamilyOptions _family;
    private readonly BlockBasedTableOptions _table;
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
        _family = RocksTuning.Family(_table, settings.WriteBufferBytes, settings.WriteBuffersMax, settings.Compaction);
        _options = RocksTuning.Database(readOnly, 2);
        Db = readOnly
            ? RocksDb.OpenReadOnly(_options, directory, new ColumnFamilies(_family), false)
            : RocksDb.Open(_options, directory, new ColumnFamilies(_family));
        var mark = Db.Get(ReadCodec.WatermarkKey.ToArray());
        _watermark = new WatermarkBox(mark is null ? default : ReadCodec.ReadWatermark(mark));
        _durableRecord = _watermark.Value.RecordNumber;
        foreach (var (partition, position) in ReadPartitions()) _partitions[partition] = position;
    }

    internal RocksDb Db { get; }

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
            throw new IOException($"The read store in '{directory}' does not open ({ex.Message}). Move it away: it is rebuilt from the journal.", ex);
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
            Db.Flush(_flush);
        }
        Volatile.Write(ref _durableRecord, Math.Max(record, Volatile.Read(ref _durableRecord)));
        Volatile.Write(ref _flushedRecord, record);
        Interlocked.Increment(ref _checkpoints);
        return record;
    }

    // ---------------- reads ----------------

    /// <summary>The account and its balances now; false when it was never opened.</summary>
    public bool TryGetAccount(AccountKey account, out ReadAccount result)
    {
        Enter();
        try
        {
            return TryGetAccountInside(account, out result);
        }
        finally
        {
            Exit();
        }
    }

    private bool TryGetAccountInside(AccountKey account, out ReadAccount result)
    {
        Span<byte> key = stackalloc byte[ReadCodec.KeyBytesMax];
        var value = Db.Get(key[..ReadCodec.AccountKey(account.Packed, key)].ToArray());
        if (value is null)
        {
            result = default;
            return false;
        }
        var (currency, overdraft, openedAt) = ReadCodec.ReadAccount(value);
        result = new ReadAccount(account, currency, overdraft, openedAt, BalancesAt(account.Packed, long.MaxValue));
        return true;
    }

    /// <summary>The balances as they stood at <paramref name="atTicks"/> (everything stamped at or before it); false when the account was not open yet (or never).</summary>
    public bool TryGetBalancesAt(AccountKey account, long atTicks, out ReadAccount result)
    {
        Enter();
        try
        {
            if (!TryGetAccountInside(account, out result) || atTicks < result.OpenedAtTicks) return false;
            result = result with { Balances = BalancesAt(account.Packed, atTicks) };
            return true;
        }
        finally
        {
            Exit();
        }
    }

    private void Enter()
    {
        Interlocked.Increment(ref _readers);
        if (!_closing) return;
        Interlocked.Decrement(ref _readers);
        throw new ObjectDisposedException(nameof(ReadStore), "The read store is closing.");
    }

    private void Exit() => Interlocked.Decrement(ref _readers);

    private Balances BalancesAt(long account, long atTicks)
    {
        Span<byte> key = stackalloc byte[ReadCodec.HistoryKeyBytes];
        ReadCodec.HistoryKey(account, atTicks, long.MaxValue, key);
        using var iterator = Db.NewIterator(null, new ReadOptions());
        iterator.SeekForPrev(key.ToArray());
        if (!iterator.Valid()) return default;
        var found = iterator.GetKeySpan();
        if (found.Length != ReadCodec.HistoryKeyBytes || found[0] != ReadCodec.HistoryPrefix || !found.Slice(1, 8).SequenceEqual(key.Slice(1, 8))) return default;
        return ReadCodec.ReadHistory(iterator.GetValueSpan()).Balances;
    }

    /// <summary>The sequence of the account's newest entry here, or 0 (none, or no such account).</summary>
    public long NewestSequence(AccountKey account)
    {
        Enter();
        try
        {
            Span<byte> key = stackalloc byte[17];
            ReadCodec.RowKey(account.Packed, long.MaxValue, key);
            using var iterator = Db.NewIterator(null, new ReadOptions());
            iterator.SeekForPrev(key.ToArray());
            if (!iterator.Valid()) return 0;
            var found = iterator.GetKeySpan();
            return found.Length == 17 && found[..9].SequenceEqual(key[..9]) ? ReadCodec.SequenceOfRowKey(found) : 0;
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>A statement page of an account, oldest first; null when the account does not exist.</summary>
    public StatementPage? Statement(AccountKey account, StatementQuery query)
    {
        Enter();
        try
        {
            return StatementInside(account, query);
        }
        finally
        {
            Exit();
        }
    }

    private StatementPage? StatementInside(AccountKey account, StatementQuery query)
    {
        if (!TryGetAccountInside(account, out var summary)) return null;
        long packed = account.Packed;
        var rows = new List<StatementRow>(Math.Min(query.Limit, 64));
        if (query.CorrelationId is not null)
        {
            if (TryGetSequence(packed, query.CorrelationId, out long sequence) && sequence > query.AfterSequence &&
                TryGetRow(packed, sequence, out var row) && Matches(in row, query))
            {
                rows.Add(ToStatementRow(packed, sequence, in row));
            }
            return new StatementPage(summary, rows, 0);
        }
        long start = Math.Max(query.AfterSequence + 1, query.FromTicks > 0 ? FirstSequenceFrom(packed, query.FromTicks) : 1);
        if (start == long.MaxValue) return new StatementPage(summary, rows, 0);

        Span<byte> key = stackalloc byte[ReadCodec.KeyBytesMax];
        byte[] upper = new byte[9];
        ReadCodec.RowKey(packed, 0, key);
        key[..9].CopyTo(upper);
        Increment(upper);
        var read = new ReadOptions().SetIterateUpperBound(upper);
        using var iterator = Db.NewIterator(null, read);
        iterator.Seek(key[..ReadCodec.RowKey(packed, start, key)].ToArray());
        long next = 0, lastExamined = 0;
        int scanned = 0, keysRead = 0;
        while (iterator.Valid())
        {
            keysRead++;
            long sequence = ReadCodec.SequenceOfRowKey(iterator.GetKeySpan());
            var row = ReadCodec.ReadRow(iterator.GetValueSpan());
            if (row.TimestampTicks >= query.ToTicks) break;
            if (rows.Count == query.Limit)
            {
                next = lastExamined; // a page is full and another row follows inside the window
                break;
            }
            if (++scanned > Settings.ScanBudget)
            {
                next = lastExamined;
                break;
            }
            lastExamined = sequence;
            if (Matches(in row, query)) rows.Add(ToStatementRow(packed, sequence, in row));
            iterator.Next();
        }
        Interlocked.Add(ref _statementKeysRead, keysRead);
        return new StatementPage(summary, rows, next);
    }

    /// <summary>
    /// A page of the whole-ledger statement: every account's entries in sequence order inside the query's time window,
    /// v2 filters applied (not <see cref="StatementQuery.CorrelationId"/>: that names an account's entry). Reads at most
    /// <see cref="ReadStoreSettings.ScanBudget"/> index keys, like an account's statement.
    /// </summary>
    public LedgerStatementPage LedgerStatement(StatementQuery query)
    {
        if (query.CorrelationId is not null) throw new ArgumentException("A correlationId names an account's entry: ask that account's statement.", nameof(query));
        Enter();
        try
        {
            return LedgerStatementInside(query);
        }
        finally
        {
            Exit();
        }
    }

    private LedgerStatementPage LedgerStatementInside(StatementQuery query)
    {
        var rows = new List<LedgerStatementRow>(Math.Min(query.Limit, 64));
        var accounts = new Dictionary<long, CurrencyCode>();
        Span<byte> key = stackalloc byte[ReadCodec.LedgerKeyBytes];
        var after = query.After ?? new LedgerPosition(query.FromTicks, 0);
        if (after.TimestampTicks < query.FromTicks) after = new LedgerPosition(query.FromTicks, 0);
        ReadCodec.LedgerKey(after.TimestampTicks, after.Sequence + 1, key);
        byte[] upper = [(byte)(ReadCodec.LedgerPrefix + 1)];
        using var iterator = Db.NewIterator(null, new ReadOptions().SetIterateUpperBound(upper));
        iterator.Seek(key.ToArray());
        LedgerPosition? next = null;
        var lastExamined = after;
        int scanned = 0;
        while (iterator.Valid())
        {
            var (timestamp, sequence) = ReadCodec.OfLedgerKey(iterator.GetKeySpan());
            if (timestamp >= query.ToTicks) break;
            if (rows.Count == query.Limit || ++scanned > Settings.ScanBudget)
            {
                next = lastExamined; // a page is full (or the budget spent) and another entry follows inside the window
                break;
            }
            lastExamined = new LedgerPosition(timestamp, sequence);
            long account = System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(iterator.GetValueSpan());
            if (!TryGetRow(account, sequence, out var row))
                throw new Ledger.Engine.InvariantViolationException($"Invariant: the whole-ledger index names entry {sequence} of account {AccountKey.FromPacked(account)}, which has no row.");
            if (Matches(in row, query))
            {
                if (!accounts.TryGetValue(account, out var currency))
                {
                    if (!TryGetAccountInside(AccountKey.FromPacked(account), out var summary))
                        throw new Ledger.Engine.InvariantViolationException($"Invariant: entry {sequence} belongs to account {AccountKey.FromPacked(account)}, which the read store does not hold.");
                    accounts[account] = currency = summary.Currency;
                }
                rows.Add(new LedgerStatementRow(AccountKey.FromPacked(account), currency, ToStatementRow(account, sequence, in row)));
            }
            iterator.Next();
        }
        return new LedgerStatementPage(rows, next);
    }

    /// <summary>The first entry sequence of the account stamped at or after <paramref name="fromTicks"/>, or long.MaxValue.</summary>
    private long FirstSequenceFrom(long account, long fromTicks)
    {
        Span<byte> key = stackalloc byte[ReadCodec.HistoryKeyBytes];
        ReadCodec.HistoryKey(account, fromTicks, 0, key);
        byte[] upper = key[..9].ToArray();
        Increment(upper);
        var read = new ReadOptions().SetIterateUpperBound(upper);
        using var iterator = Db.NewIterator(null, read);
        for (iterator.Seek(key.ToArray()); iterator.Valid(); iterator.Next())
        {
            Interlocked.Increment(ref _statementKeysRead);
            long first = ReadCodec.ReadHistory(iterator.GetValueSpan()).FirstSequence;
            if (first != 0) return first;
        }
        return long.MaxValue;
    }

    private static void Increment(byte[] prefix)
    {
        for (int i = prefix.Length - 1; i >= 0; i--)
        {
            if (++prefix[i] != 0) return;
        }
    }

    private static bool Matches(in RowData e, StatementQuery q)
    {
        if (e.TimestampTicks < q.FromTicks || e.TimestampTicks >= q.ToTicks) return false;
        if (!q.HasFilters) return true;
        return (q.EntryType is not { } type || e.EntryType == type)
               && (q.Kind is not { } kind || e.Kind == kind)
               && (q.Status is not { } status || e.Status == status)
               && (q.MinAmountMinor is not { } min || e.AmountMinor >= min)
               && (q.MaxAmountMinor is not { } max || e.AmountMinor <= max);
    }

    private StatementRow ToStatementRow(long account, long sequence, in RowData row) => new()
    {
        Sequence = sequence,
        TimestampTicks = row.TimestampTicks,
        Kind = row.Kind,
        Status = row.Status,
        EntryType = row.EntryType,
        AmountMinor = row.AmountMinor,
        CorrelationId = row.CorrelationId,
        Description = row.Description,
        ExpiresAtTicks = row.ExpiresAtTicks,
        Reference = row.ReferenceSequence == 0 ? null : CorrelationIdOf(account, row.ReferenceSequence),
        ReversedBy = row.ReversedBySequence == 0 ? null : CorrelationIdOf(account, row.ReversedBySequence),
        BalancesAfter = row.BalancesAfter,
    };

    private string? CorrelationIdOf(long account, long sequence) => TryGetRow(account, sequence, out var row) ? row.CorrelationId : null;

    internal bool TryGetRow(long account, long sequence, out RowData row)
    {
        Span<byte> key = stackalloc byte[17];
        ReadCodec.RowKey(account, sequence, key);
        var value = Db.Get(key.ToArray());
        row = value is null ? default : ReadCodec.ReadRow(value);
        return value is not null;
    }

    private bool TryGetSequence(long account, string correlationId, out long sequence)
    {
        Span<byte> key = stackalloc byte[ReadCodec.KeyBytesMax];
        var value = Db.Get(key[..ReadCodec.IdKey(account, correlationId, key)].ToArray());
        sequence = value is { Length: 8 } ? System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(value) : 0;
        return sequence > 0;
    }

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
        var spin = new SpinWait();
        while (Volatile.Read(ref _readers) != 0) spin.SpinOnce();
        lock (_gate)
        {
            _disposed = true;
            Db.Dispose();
        }
    }
}

/// <summary>Read store figures for metrics.</summary>
public readonly record struct ReadStoreStats(long Watermark, long DurableWatermark, long SizeBytes, long BlockCacheBytes, long MemtableBytes, long Checkpoints);
