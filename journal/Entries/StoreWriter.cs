using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Hosting;
using Ledger.Engine.State;
using Ledger.Journal.Format;
using RocksDbSharp;

namespace Ledger.Journal.Entries;

/// <summary>
/// The store stage's writer (<see cref="IEntryStoreWriter"/>), behind the journal commit: each committed command's
/// changed entries (and open-hold rows), changed accounts and, for a LoadCatalog, the catalog go into one RocksDB
/// write batch per drained batch, together with the new checkpoint; then the watermark is published. A batch is atomic, so
/// the store is always exactly "every change up to the checkpoint's record", on disk as in memory.
/// Usage: <c>new EngineHost(engine, journal, sinks, settings, store.Prefetcher(), store.Writer());</c>
/// </summary>
public sealed class StoreWriter : IEntryStoreWriter, IDisposable
{
    private readonly EntryStore _store;
    private readonly WriteBatch _batch = new();
    private readonly byte[] _key = new byte[StoreCodec.KeyBytesMax];
    private readonly byte[] _value = new byte[StoreCodec.ImageBytesMax];
    private readonly byte[] _checkpoint = new byte[StoreCheckpoint.Bytes];
    private long _next;
    private int _commands;
    private LedgerCommand? _last; // valid until EndOfBatch: the publish stage (which releases it) runs after this stage
    private Engine.Catalog.HistoryCatalog? _pendingCatalog;
    private readonly KeyFilterLog? _log;
    private readonly KeyFilterLog.Hashes _hashes = new();
    private long _chunkFirst; // the first record the filter's log has no chunk for yet
    // The batch's last image of each account it changed, by packed key: an account that several commands of a batch
    // change is written once, at the batch's end (the batch is atomic, so only its last image can ever be read).
    private readonly Dictionary<long, AccountState> _accounts = [];
    private const int AccountsKeptAfterLargeBatch = 4096;

    // Counters (store thread writes, metrics read approximately).
    public long EntriesWritten;
    public long Batches;
    /// <summary>Account images the commands changed, and the rows written for them (fewer: one per account and batch).</summary>
    public long AccountChanges, AccountsWritten;

    internal StoreWriter(EntryStore store)
    {
        _store = store;
        _next = store.Watermark + 1;
        _log = store.FilterLog;
        _chunkFirst = _next;
    }

    /// <summary>Commands added since the last <see cref="EndOfBatch"/>.</summary>
    public int Pending => _commands;

    public void Add(LedgerCommand command)
    {
        // Paired with the engine and the journal: the store takes every journaled command, in order, once.
        if (command.RecordNumber != _next)
            throw new Ledger.Engine.InvariantViolationException($"Invariant: the entry store expected record {_next}, not {command.RecordNumber}.");
        if (command.JournalNextAddress <= 0) throw new Ledger.Engine.InvariantViolationException($"Invariant: record {command.RecordNumber} reached the store without its journal address.");
        var filter = _store.Filter;
        filter.Count(command.ChangeSpan.Length);
        int firstHash = _hashes.Count;
        foreach (ref readonly var image in command.ChangeSpan)
        {
            int keyLength = StoreCodec.EntryKey(image.AccountPacked, image.KeySpan, _key);
            ulong hash = KeyFilter.HashOf(_key.AsSpan(0, keyLength));
            filter.Prefetch(hash); // the command's encodings and Puts overlap the filter's cache misses (its bits are set after)
            int valueLength = StoreCodec.WriteImage(in image, _value);
            _batch.Put(_key.AsSpan(0, keyLength), _value.AsSpan(0, valueLength), null);
            _hashes.Add(hash);
            if (image.IsBundle || image.Kind != EntryKind.Blocking || image.Status == EntryStatus.None) continue;
            int holdKey = StoreCodec.HoldKey(image.Sequence, _key);
            if (image.IsOpenHold) _batch.Put(_key.AsSpan(0, holdKey), _value.AsSpan(0, valueLength), null);
            else _batch.Delete(_key.AsSpan(0, holdKey), null);
        }
        // The filter takes the command's keys before the watermark that covers them is published, and before their log's chunk.
        for (int i = firstHash; i < _hashes.Count; i++) filter.Add(_hashes.At(i));
        foreach (ref readonly var account in command.AccountChangeSpan) _accounts[account.Key.Packed] = account;
        AccountChanges += command.AccountChangeSpan.Length;
        foreach (ref readonly var counter in command.CounterChangeSpan)
        {
            int keyLength = StoreCodec.DailyCounterKey(counter.AccountPacked, counter.Scope, _key);
            StoreCodec.WriteDailyCounter(in counter, _value);
            _batch.Put(_key.AsSpan(0, keyLength), _value.AsSpan(0, StoreCodec.DailyCounterBytes), null);
        }
        if (command.Kind == CommandKind.LoadCatalog && command.Catalog is { } catalog)
        {
            _batch.Put(StoreCodec.CatalogKey, StoreCodec.WriteCatalog(catalog), null);
            _pendingCatalog = catalog;
        }
        EntriesWritten += command.ChangeCount;
        _last = command;
        _next++;
        _commands++;
        if (_hashes.Bytes >= KeyFilterLog.Hashes.ChunkBytes) AppendChunk(command); // a long batch (a replay's) in several writes
    }

    /// <summary>Puts each account the batch changed once, with its last image.</summary>
    private void PutAccounts()
    {
        foreach (var (packed, account) in _accounts)
        {
            int keyLength = StoreCodec.AccountKey(packed, _key);
            StoreCodec.WriteAccount(in account, _value);
            _batch.Put(_key.AsSpan(0, keyLength), _value.AsSpan(0, StoreCodec.AccountBytes), null);
        }
        AccountsWritten += _accounts.Count;
        bool large = _accounts.Count > AccountsKeptAfterLargeBatch;
        _accounts.Clear(); // clears its whole table: after a large batch (a replay's), shrink it back
        if (large) _accounts.TrimExcess(AccountsKeptAfterLargeBatch);
    }

    /// <summary>The filter's log gets the keys of the records since its last chunk, up to <paramref name="last"/>.</summary>
    private void AppendChunk(LedgerCommand last)
    {
        _log?.Append(_chunkFirst, last.RecordNumber, last.JournalNextAddress, _hashes);
        _hashes.Clear();
        _chunkFirst = last.RecordNumber + 1;
    }

    public void EndOfBatch()
    {
        if (_commands == 0) return;
        var c = _last!;
        _last = null;
        var checkpoint = new StoreCheckpoint(c.RecordNumber, c.JournalAddress, c.JournalNextAddress, c.JournalChecksum, c.LastSequenceAfter, c.TimestampTicks,
            c.HistoryHashAfter, c.AccountsAfter, c.OpenHoldsAfter);
        checkpoint.Write(_checkpoint);
        _batch.Put(StoreCodec.CheckpointKey, _checkpoint, null);
        PutAccounts();
        if (_chunkFirst <= c.RecordNumber) AppendChunk(c); // every batch's end is a chunk's end (even without keys): so is every store checkpoint
        _store.Db.Write(_batch, _store.WriteOptions);
        _store.Wrote(_batch);
        _batch.Clear();
        if (_pendingCatalog is not null) _store.CatalogWritten(_pendingCatalog);
        _pendingCatalog = null;
        _store.Published(checkpoint.RecordNumber, checkpoint);
        _commands = 0;
        Batches++;
    }

    /// <summary>
    /// Writes the catalog of a ledger that was built with one rather than given one by a journaled LoadCatalog (tests,
    /// benchmarks): a checkpoint needs the catalog in force. Call it before the first command.
    /// </summary>
    public void WriteInitialCatalog(Engine.Catalog.HistoryCatalog catalog)
    {
        _store.Db.Put(StoreCodec.CatalogKey, StoreCodec.WriteCatalog(catalog), null, _store.WriteOptions);
        _store.CatalogWritten(catalog);
    }

    public void Dispose() => _batch.Dispose();
}
