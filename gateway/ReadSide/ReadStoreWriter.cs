using System.Buffers.Binary;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using RocksDbSharp;

namespace Ledger.ReadSide;

/// <summary>
/// Applies the committed event stream to the read store: <see cref="Add"/> takes the events of one journal record (in
/// sequence order, as the engine decided them), <see cref="Commit"/> writes everything added since the last commit in
/// one atomic RocksDB write with the new watermark. Status changes (RELEASED, REMOVED, EXPIRED, reversedBy) update the
/// entry's row in place; each record leaves one balance-history row per account it touched (what <c>?at=</c> and the
/// statement's time window read). Each entry is one row in the <c>rows</c> family under (time, sequence), which is also
/// the whole-ledger order, and two small keys by account (its sequence → time, its correlation id → sequence). One writer thread; readers see a batch once it is committed.
/// Usage: <c>writer.Add(record.EventSpan, record.RecordNumber, record.NextAddress); ... writer.Commit();</c>
/// </summary>
public sealed class ReadStoreWriter : IDisposable
{
    private readonly ReadStore _store;
    private readonly WriteBatch _batch = new();
    private readonly byte[] _key = new byte[ReadCodec.KeyBytesMax];
    private readonly byte[] _value = new byte[ReadCodec.RowBytesMax];
    private readonly byte[] _sequenceValue = new byte[8];
    // Rows created or changed since the last commit (a hold created and released in one batch is written once).
    private readonly Dictionary<(long Account, long Sequence), int> _pendingIndex = [];
    private readonly List<(long Account, long Sequence, RowData Row)> _pending = [];
    // Accounts the current record touched: their balances after it, and their first entry sequence in it.
    private readonly Dictionary<long, (Balances After, long FirstSequence)> _touched = [];
    private readonly bool _partial;
    private readonly bool _partitioned;
    private readonly bool _idKeys; // ReadStoreSettings.IdKeys: else the entry store beside it answers by correlation id
    private readonly Dictionary<int, PartitionPosition> _offsets = [];
    // A partitioned feed's history rows of this batch, (account, record) → first entry sequence, for a record given in parts.
    private readonly Dictionary<(long Account, long Record), long> _historyFirst = [];
    private ReadWatermark _watermark;
    private int _records;

    internal ReadStoreWriter(ReadStore store, ReadWatermark start, bool partial, bool partitioned = false)
    {
        _store = store;
        _watermark = start;
        _partial = partial;
        _partitioned = partitioned;
        _idKeys = store.Settings.IdKeys;
    }

    /// <summary>Records added since the last commit.</summary>
    public int Pending => _records;

    public ReadWatermark Watermark => _watermark;

    /// <summary>The events of journal record <paramref name="recordNumber"/> (after which the journal continues at <paramref name="nextAddress"/>).</summary>
    public void Add(ReadOnlySpan<LedgerEvent> events, long recordNumber, long nextAddress)
    {
        if (_partitioned) throw new InvalidOperationException("A partitioned feed adds with AddFromPartition.");
        if (recordNumber != _watermark.RecordNumber + 1)
            throw new Ledger.Engine.InvariantViolationException($"Invariant: the read store expected record {_watermark.RecordNumber + 1}, not {recordNumber}.");
        long lastSequence = Apply(events, recordNumber, continuesRecord: false);
        _watermark = new ReadWatermark(recordNumber, nextAddress, lastSequence);
        _records++;
    }

    /// <summary>
    /// A partitioned feed (a statements replica on <c>ledger.events</c>): the events of journal record
    /// <paramref name="recordNumber"/> that partition <paramref name="partition"/> carries, the last of them at
    /// <paramref name="lastOffset"/> with position <paramref name="lastIndex"/> in its record. Give all of a record's
    /// events of a partition at once (they are consecutive there): its balance-history rows are per (account, record).
    /// When an earlier call already gave part of the same record (the feed flushed a group it could not yet see the end
    /// of), pass <paramref name="continuesRecord"/>: the history rows then keep the first entry sequence written before.
    /// An account's events are all in one partition, in order; records interleave across partitions, so the watermark
    /// is each partition's position (next offset, last record and index applied: what the feed resumes at and drops
    /// duplicates below) and the highest record applied.
    /// </summary>
    public void AddFromPartition(ReadOnlySpan<LedgerEvent> events, long recordNumber, int partition, long lastOffset, int lastIndex, bool continuesRecord = false)
    {
        if (!_partitioned) throw new InvalidOperationException("Only a partitioned writer adds from a partition.");
        long lastSequence = Apply(events, recordNumber, continuesRecord);
        _offsets[partition] = new PartitionPosition(lastOffset + 1, recordNumber, lastIndex);
        _watermark = new ReadWatermark(Math.Max(_watermark.RecordNumber, recordNumber), 0, Math.Max(_watermark.LastSequence, lastSequence));
        _records++;
    }

    /// <summary>
    /// A partitioned feed that holds every event of journal record <paramref name="recordNumber"/> (from all partitions,
    /// in index order): applied whole, so its rows, balance-history rows and whole-ledger keys are in the same commit.
    /// The feed moves each partition's position with <see cref="Advance"/> (never past an event not yet applied).
    /// </summary>
    public void AddRecord(ReadOnlySpan<LedgerEvent> events, long recordNumber)
    {
        if (!_partitioned) throw new InvalidOperationException("Only a partitioned writer adds a record from partitions.");
        long lastSequence = Apply(events, recordNumber, continuesRecord: false);
        _watermark = new ReadWatermark(Math.Max(_watermark.RecordNumber, recordNumber), 0, Math.Max(_watermark.LastSequence, lastSequence));
        _records++;
    }

    /// <summary>Applies one record's events; returns the highest sequence seen (at least the watermark's).</summary>
    private long Apply(ReadOnlySpan<LedgerEvent> events, long recordNumber, bool continuesRecord)
    {
        long lastSequence = _watermark.LastSequence;
        long timestamp = 0;
        foreach (ref readonly var e in events)
        {
            timestamp = e.TimestampTicks;
            long account = e.Account.Packed;
            switch (e.Kind)
            {
                case LedgerEventKind.AccountOpened:
                    ReadCodec.WriteAccount(e.Currency, e.AmountMinor, e.TimestampTicks, _value);
                    _batch.Put(_key.AsSpan(0, ReadCodec.AccountKey(account, _key)), _value.AsSpan(0, 20), null);
                    Touch(account, default, 0);
                    break;
                case LedgerEventKind.EntryApplied:
                {
                    var row = new RowData
                    {
                        TimestampTicks = e.TimestampTicks, Kind = e.EntryKind, Status = e.Status, EntryType = e.EntryType, AmountMinor = e.AmountMinor,
                        ExpiresAtTicks = e.ExpiresAtTicks, ReferenceSequence = e.ReferenceSequence, BalancesAfter = e.BalancesAfter,
                        CorrelationId = e.CorrelationId!, Description = e.Description,
                    };
                    _pendingIndex[(account, e.Sequence)] = _pending.Count;
                    _pending.Add((account, e.Sequence, row));
                    if (_idKeys)
                    {
                        BinaryPrimitives.WriteInt64LittleEndian(_sequenceValue, e.Sequence);
                        _batch.Put(_key.AsSpan(0, ReadCodec.IdKey(account, e.CorrelationId!, _key)), _sequenceValue, null);
                    }
                    BinaryPrimitives.WriteInt64LittleEndian(_sequenceValue, e.TimestampTicks);
                    _batch.Put(_key.AsSpan(0, ReadCodec.IndexKey(account, e.Sequence, _key)), _sequenceValue, null);
                    Touch(account, e.BalancesAfter, e.Sequence);
                    if (e.Sequence > lastSequence) lastSequence = e.Sequence;
                    break;
                }
                case LedgerEventKind.EntryStatusChanged:
                {
                    if (_pendingIndex.TryGetValue((account, e.Sequence), out int at))
                    {
                        var (_, _, row) = _pending[at];
                        Change(ref row, in e);
                        _pending[at] = (account, e.Sequence, row);
                    }
                    else if (_store.TryGetRow(account, e.Sequence, out var row))
                    {
                        Change(ref row, in e);
                        _pendingIndex[(account, e.Sequence)] = _pending.Count;
                        _pending.Add((account, e.Sequence, row));
                    }
                    else if (_partial || _partitioned)
                    {
                        break; // the entry was applied before this feed began (an archived journal's start, a topic's retention)
                    }
                    else
                    {
                        throw new Ledger.Engine.InvariantViolationException($"Invariant: a status change of entry {e.Sequence} on account {e.Account}, which the read store never saw applied.");
                    }
                    Touch(account, e.BalancesAfter, 0);
                    break;
                }
            }
        }
        foreach (var (account, (after, firstOfThese)) in _touched)
        {
            long first = firstOfThese;
            int keyBytes = ReadCodec.HistoryKey(account, timestamp, recordNumber, _key);
            if (continuesRecord && EarlierFirst(account, recordNumber, _key.AsSpan(0, keyBytes)) is var earlier && earlier != 0 && (first == 0 || earlier < first))
            {
                first = earlier; // the record's earlier entries came in an earlier part: the window starts at them
            }
            if (_partitioned) _historyFirst[(account, recordNumber)] = first;
            _batch.Put(_key.AsSpan(0, keyBytes), _value.AsSpan(0, ReadCodec.WriteHistory(after, first, _value)), null);
        }
        _touched.Clear();
        return lastSequence;
    }

    /// <summary>The first entry sequence an earlier part of this record wrote for the account (this batch, else the store), or 0.</summary>
    private long EarlierFirst(long account, long recordNumber, ReadOnlySpan<byte> historyKey)
    {
        if (_historyFirst.TryGetValue((account, recordNumber), out long first)) return first;
        var value = _store.Db.Get(historyKey.ToArray());
        return value is null ? 0 : ReadCodec.ReadHistory(value).FirstSequence;
    }

    private static void Change(ref RowData row, in LedgerEvent e)
    {
        if (e.MarksReversal) row.ReversedBySequence = e.CausedBySequence;
        else row.Status = e.Status;
    }

    private void Touch(long account, Balances after, long sequence)
    {
        if (_touched.TryGetValue(account, out var seen)) _touched[account] = (after, seen.FirstSequence != 0 ? seen.FirstSequence : sequence);
        else _touched[account] = (after, sequence);
    }

    /// <summary>A partitioned feed moves a partition's position: past duplicates it dropped, or past the events of records it added.</summary>
    public void Advance(int partition, PartitionPosition position)
    {
        if (!_partitioned) throw new InvalidOperationException("Only a partitioned writer has partition positions.");
        _offsets[partition] = position;
    }

    /// <summary>Writes what was added, atomically with the watermark; readers see it from then on. False when there was nothing to write.</summary>
    public bool Commit()
    {
        if (_records == 0 && _offsets.Count == 0) return false;
        Span<byte> key = stackalloc byte[ReadCodec.RowKeyBytes];
        foreach (var (account, sequence, row) in _pending)
        {
            // New rows append (time, sequence); a status change rewrites its row in place under the same key.
            ReadCodec.RowKey(row.TimestampTicks, sequence, key);
            _batch.Put(key, _value.AsSpan(0, ReadCodec.WriteStoredRow(account, in row, _value)), _store.Rows);
        }
        foreach (var (partition, position) in _offsets)
        {
            _batch.Put(key[..ReadCodec.PartitionKey(partition, key)], _value.AsSpan(0, ReadCodec.WritePartition(position, _value)), null);
        }
        ReadCodec.WriteWatermark(_watermark, _value);
        _batch.Put(ReadCodec.WatermarkKey, _value.AsSpan(0, 25), null);
        _store.Db.Write(_batch, _store.WriteOptions);
        _store.Wrote(_batch);
        _batch.Clear();
        _pending.Clear();
        _pendingIndex.Clear();
        _historyFirst.Clear();
        _records = 0;
        _store.Published(_watermark, _offsets);
        _offsets.Clear();
        return true;
    }

    public void Dispose() => _batch.Dispose();
}
