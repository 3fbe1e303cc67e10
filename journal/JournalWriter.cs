using System.Diagnostics;
using Ledger.Engine.Commands;
using Ledger.Engine.Events;
using Ledger.Engine.Hosting;
using Ledger.Journal.Format;
using Ledger.Journal.Storage;

namespace Ledger.Journal;

/// <summary>
/// The durable <see cref="ICommandJournal"/>: <see cref="Append"/> encodes a decided command as the next record into
/// the current batch (memory only); <see cref="Commit"/> hands the batch to FasterLog and makes it durable (FasterLog
/// commit, waited for), returning only then, so one commit covers a whole drained batch (group commit). Any failure throws and
/// leaves the writer failed: <see cref="EngineHost"/> then stops without acknowledging anything (fail-stop).
/// Only the host's journal thread calls it (and <see cref="LedgerStore"/> before the host starts).
/// Usage: <c>var host = new EngineHost(store.Engine, store.Journal, sinks);</c>
/// </summary>
public sealed class JournalWriter : ICommandJournal
{
    private readonly JournalLog _log;
    private RecordBuffer _batch = new(1 << 20);
    private readonly List<(int Offset, int Length, LedgerCommand Command)> _entries = new(16_384);
    private readonly EntryBatch _chunk = new();
    private readonly int _chunkBytesMax;
    private readonly byte[] _fragment;
    private readonly int _fragmentPayloadMax;
    private readonly int _segmentShift;
    private long _syncedSegment;
    private int _pending;
    private Exception? _failure;
    private long _records, _bytes, _commits, _commitTicksTotal, _commitTicksMax;

    internal JournalWriter(JournalLog log, long nextRecordNumber, long lastSequence)
    {
        if (log.ReadOnly) throw new InvalidOperationException("A read-only journal has no writer.");
        _log = log;
        NextRecordNumber = nextRecordNumber;
        LastSequence = lastSequence;
        CommittedRecordNumber = nextRecordNumber - 1;
        _segmentShift = log.Settings.SegmentSizeBits;
        // A FasterLog entry must fit in one page: larger records go as fragments, two to a page (each with FasterLog's
        // 4-byte length and our header, 4-byte aligned), so a bulk import wastes little to page padding.
        _fragmentPayloadMax = (1 << (log.Settings.PageSizeBits - 1)) - 8 - RecordHeader.Size;
        _fragment = new byte[RecordHeader.Size + _fragmentPayloadMax];
        _chunkBytesMax = 1 << (log.Settings.PageSizeBits - 1); // a FasterLog batch must fit in one page
        _syncedSegment = log.TailAddress >> _segmentShift;
    }

    /// <summary>The number the next appended record gets.</summary>
    public long NextRecordNumber { get; private set; }

    /// <summary>The last record number known durable.</summary>
    public long CommittedRecordNumber { get; private set; }

    /// <summary>The ledger's last sequence as of the last appended record.</summary>
    public long LastSequence { get; private set; }

    /// <summary>Counters for metrics (read from any thread; values are approximate while the writer runs).</summary>
    public JournalWriterStats Stats => new(
        Volatile.Read(ref _records), Volatile.Read(ref _bytes), Volatile.Read(ref _commits),
        TimeSpan.FromTicks(Volatile.Read(ref _commitTicksTotal) * TimeSpan.TicksPerSecond / Stopwatch.Frequency),
        TimeSpan.FromTicks(Volatile.Read(ref _commitTicksMax) * TimeSpan.TicksPerSecond / Stopwatch.Frequency),
        CommittedRecordNumber);

    /// <summary>
    /// After the pipeline stopped on a failure (this journal's or a store's): marks the writer failed, so what was appended
    /// after the failure (answered as not applied) is never committed, not even by <see cref="LedgerStore.Dispose"/>.
    /// </summary>
    public void Abandon(Exception reason) => Interlocked.CompareExchange(ref _failure, reason, null);

    public void Append(LedgerCommand command)
    {
        ThrowIfFailed();
        try
        {
            // Paired with the engine, which numbers the commands that change the ledger: the journal's record numbers are those numbers.
            if (command.RecordNumber != NextRecordNumber)
                throw new Ledger.Engine.InvariantViolationException($"Invariant: the engine numbered this command {command.RecordNumber}, the journal's next record is {NextRecordNumber}.");
            long lastSequence = LastSequence;
            foreach (ref readonly var e in command.EventSpan)
            {
                if (e.Kind == LedgerEventKind.EntryApplied && e.Sequence > lastSequence) lastSequence = e.Sequence;
            }
            // Records are encoded one after another into the batch and handed to FasterLog together at Commit:
            // one epoch entry and one tail allocation per chunk instead of per record.
            int start = RecordCodec.Append(command, NextRecordNumber, lastSequence, _batch);
            int length = _batch.Length - start;
            if (length - RecordHeader.Size <= _fragmentPayloadMax)
            {
                _entries.Add((start, length, command));
            }
            else
            {
                if (length - RecordHeader.Size > RecordHeader.PayloadLengthMax)
                    throw new InvalidOperationException($"A journal record of {length} bytes exceeds the {RecordHeader.PayloadLengthMax}-byte limit.");
                EnqueueBatch(); // keep record order: what came before goes first
                (command.JournalAddress, command.JournalNextAddress, command.JournalChecksum) = EnqueueFragments(_batch.Written[start..], (byte)command.Kind, lastSequence);
                ResetBatch();
            }
            NextRecordNumber++;
            LastSequence = lastSequence;
            _pending++;
            _records++;
            _bytes += length;
        }
        catch (Exception ex)
        {
            _failure = ex;
            throw;
        }
    }

    /// <summary>
    /// Hands the encoded records of the batch to FasterLog, in chunks that fit a page, and tells each command where the
    /// journal continues after its record (a chunk is allocated contiguously: each entry takes FasterLog's 4-byte length
    /// and its bytes rounded up to 4).
    /// </summary>
    private void EnqueueBatch()
    {
        int from = 0;
        while (from < _entries.Count)
        {
            int to = from, bytes = 0;
            while (to < _entries.Count && (to == from || bytes + _entries[to].Length + 8 <= _chunkBytesMax))
            {
                bytes += _entries[to].Length + 8;
                to++;
            }
            _chunk.Set(_batch, _entries, from, to);
            long address = _log.Log.Enqueue(_chunk);
            for (int i = from; i < to; i++)
            {
                var (offset, length, command) = _entries[i];
                command.JournalAddress = address;
                command.JournalChecksum = RecordHeader.ChecksumOf(_batch.Written.Slice(offset, length));
                address += EntryBytes(length);
                command.JournalNextAddress = address;
            }
            from = to;
        }
        _entries.Clear();
    }

    private static long EntryBytes(int length) => 4 + ((length + 3) & ~3);

    private void ResetBatch()
    {
        _batch.Clear();
        if (_batch.Capacity > 64 << 20) _batch = new RecordBuffer(1 << 20); // do not keep a bulk import's buffer for ever
    }

    /// <summary>
    /// Writes one encoded record (header + payload) as consecutive fragments (see <see cref="RecordHeader"/>); returns
    /// the address of the first, the address after the last, and the last fragment's checksum (what a reader reports).
    /// </summary>
    private (long First, long Next, uint Checksum) EnqueueFragments(ReadOnlySpan<byte> record, byte kind, long lastSequence)
    {
        var payload = record[RecordHeader.Size..];
        long first = -1, next = 0;
        uint checksum = 0;
        for (int offset = 0; offset < payload.Length; offset += _fragmentPayloadMax)
        {
            int length = Math.Min(_fragmentPayloadMax, payload.Length - offset);
            bool last = offset + length == payload.Length;
            var fragment = _fragment.AsSpan(0, RecordHeader.Size + length);
            payload.Slice(offset, length).CopyTo(fragment[RecordHeader.Size..]);
            RecordHeader.Write(fragment, kind, NextRecordNumber, lastSequence, last ? (byte)0 : RecordHeader.MoreFragments);
            long address = _log.Log.Enqueue(fragment);
            if (first < 0) first = address;
            next = address + EntryBytes(fragment.Length);
            checksum = RecordHeader.ChecksumOf(fragment);
        }
        return (first, next, checksum);
    }

    public void Commit()
    {
        ThrowIfFailed();
        if (_pending == 0) return;
        try
        {
            long started = Stopwatch.GetTimestamp();
            EnqueueBatch();
            ResetBatch();
            if (_log.Settings.CommitWait == CommitWait.Spin) _log.Log.Commit(spinWait: true);
            else _log.Log.CommitAsync().AsTask().GetAwaiter().GetResult();
            long segment = _log.TailAddress >> _segmentShift;
            if (segment != _syncedSegment)
            {
                DurableFiles.SyncDirectory(_log.Directory); // FasterLog created a segment file: make its name durable too
                _syncedSegment = segment;
            }
            long elapsed = Stopwatch.GetTimestamp() - started;
            _pending = 0;
            CommittedRecordNumber = NextRecordNumber - 1;
            _commits++;
            _commitTicksTotal += elapsed;
            if (elapsed > _commitTicksMax) _commitTicksMax = elapsed;
        }
        catch (Exception ex)
        {
            _failure = ex;
            throw;
        }
    }

    private void ThrowIfFailed()
    {
        if (_failure is not null) throw new InvalidOperationException("The journal failed earlier; nothing more is written.", _failure);
    }
}

/// <summary>Journal writer counters.</summary>
public readonly record struct JournalWriterStats(
    long RecordsAppended,
    long BytesAppended,
    long Commits,
    TimeSpan CommitTimeTotal,
    TimeSpan CommitTimeMax,
    long CommittedRecordNumber);

/// <summary>A slice of the writer's encoded records, as FasterLog's batch enqueue reads them (no copy until FasterLog's own).</summary>
internal sealed class EntryBatch : FASTER.core.IReadOnlySpanBatch
{
    private RecordBuffer? _buffer;
    private List<(int Offset, int Length, LedgerCommand Command)>? _entries;
    private int _from, _count;

    public void Set(RecordBuffer buffer, List<(int Offset, int Length, LedgerCommand Command)> entries, int from, int to)
    {
        _buffer = buffer;
        _entries = entries;
        _from = from;
        _count = to - from;
    }

    public int TotalEntries() => _count;

    public ReadOnlySpan<byte> Get(int index)
    {
        var (offset, length, _) = _entries![_from + index];
        return _buffer!.Written.Slice(offset, length);
    }
}
