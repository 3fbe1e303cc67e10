using System.Diagnostics;
using Ledger.Engine.Commands;
using Ledger.Engine.Events;
using Ledger.Engine.Hosting;
using Ledger.Journal.Format;
using Ledger.Journal.Storage;

namespace Ledger.Journal;

/// <summary>
/// The durable <see cref="ICommandJournal"/>: <see cref="Append"/> encodes a decided command as the next record and
/// enqueues it in FasterLog (memory); <see cref="Commit"/> makes everything appended durable (FasterLog commit, waited
/// for) and returns only then, so one commit covers a whole drained batch (group commit). Any failure throws and
/// leaves the writer failed: <see cref="EngineHost"/> then stops without acknowledging anything (fail-stop).
/// Only the host's journal thread calls it (and <see cref="LedgerStore"/> before the host starts).
/// Usage: <c>var host = new EngineHost(store.Engine, store.Journal, sinks);</c>
/// </summary>
public sealed class JournalWriter : ICommandJournal
{
    private readonly JournalLog _log;
    private RecordBuffer _buffer = new();
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

    public void Append(LedgerCommand command)
    {
        ThrowIfFailed();
        try
        {
            long lastSequence = LastSequence;
            foreach (ref readonly var e in command.EventSpan)
            {
                if (e.Kind == LedgerEventKind.EntryApplied && e.Sequence > lastSequence) lastSequence = e.Sequence;
            }
            RecordCodec.Encode(command, NextRecordNumber, lastSequence, _buffer);
            int payload = _buffer.Length - RecordHeader.Size;
            if (payload > RecordHeader.PayloadLengthMax)
                throw new InvalidOperationException($"A journal record of {_buffer.Length} bytes exceeds the {RecordHeader.PayloadLengthMax}-byte limit.");
            if (payload <= _fragmentPayloadMax) _log.Log.Enqueue(_buffer.Written);
            else EnqueueFragments((byte)command.Kind, lastSequence);
            NextRecordNumber++;
            LastSequence = lastSequence;
            _pending++;
            _records++;
            _bytes += _buffer.Length;
        }
        catch (Exception ex)
        {
            _failure = ex;
            throw;
        }
    }

    /// <summary>Writes the encoded record in <see cref="_buffer"/> as consecutive fragments (see <see cref="RecordHeader"/>).</summary>
    private void EnqueueFragments(byte kind, long lastSequence)
    {
        var payload = _buffer.Written[RecordHeader.Size..];
        for (int offset = 0; offset < payload.Length; offset += _fragmentPayloadMax)
        {
            int length = Math.Min(_fragmentPayloadMax, payload.Length - offset);
            bool last = offset + length == payload.Length;
            var fragment = _fragment.AsSpan(0, RecordHeader.Size + length);
            payload.Slice(offset, length).CopyTo(fragment[RecordHeader.Size..]);
            RecordHeader.Write(fragment, kind, NextRecordNumber, lastSequence, last ? (byte)0 : RecordHeader.MoreFragments);
            _log.Log.Enqueue(fragment);
        }
        if (_buffer.Length > 16 << 20) _buffer = new RecordBuffer(); // do not keep a bulk import's buffer for ever
    }

    public void Commit()
    {
        ThrowIfFailed();
        if (_pending == 0) return;
        try
        {
            long started = Stopwatch.GetTimestamp();
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
