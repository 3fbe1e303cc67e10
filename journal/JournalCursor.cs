using System.Reflection;
using FASTER.core;
using Ledger.Engine.Events;
using Ledger.Journal.Format;

namespace Ledger.Journal;

/// <summary>
/// Reads committed journal records in order, checking each one: FasterLog framing, our header's magic, length and
/// CRC-32C, contiguous record numbers and non-decreasing sequences; it jumps over recorded cuts. After the last record
/// it checks that the records reach the committed end of the log (a truncated or zeroed tail shows up there).
/// A sound record of an unknown format version throws <see cref="JournalFormatException"/>: that is refused, not cut.
/// Usage: <c>using var cursor = new JournalCursor(log, from, 1, 0, follow: false); while (cursor.TryRead(record) == ReadOutcome.Record) ...</c>
/// </summary>
public sealed class JournalCursor : IDisposable
{
    private readonly JournalLog _log;
    private readonly bool _follow;
    private FasterLogScanIterator _iterator;
    private long _endAddress;
    private byte[] _payload = new byte[4096];

    /// <param name="log">An open journal.</param>
    /// <param name="fromAddress">Address of the first record to read (a record start: <see cref="JournalLog.BeginAddress"/> or a record's <see cref="JournalRecord.NextAddress"/>).</param>
    /// <param name="expectedRecordNumber">The number the first record must have.</param>
    /// <param name="lastSequence">The ledger's last sequence before that record.</param>
    /// <param name="follow">Keep reading as new commits arrive (a tailing reader) instead of stopping at today's committed end.</param>
    public JournalCursor(JournalLog log, long fromAddress, long expectedRecordNumber, long lastSequence, bool follow)
    {
        _log = log;
        _follow = follow;
        NextAddress = Math.Max(fromAddress, log.BeginAddress);
        ExpectedRecordNumber = expectedRecordNumber;
        LastSequence = lastSequence;
        _iterator = NewIterator(NextAddress);
    }

    /// <summary>Where the next record starts (the end of the last sound record read).</summary>
    public long NextAddress { get; private set; }

    public long ExpectedRecordNumber { get; private set; }

    /// <summary>The ledger's last sequence after the last sound record read.</summary>
    public long LastSequence { get; private set; }

    /// <summary>Set once <see cref="TryRead"/> has returned <see cref="ReadOutcome.Damage"/>.</summary>
    public JournalDamage? Damage { get; private set; }

    private FasterLogScanIterator NewIterator(long from)
    {
        _endAddress = _follow ? long.MaxValue : _log.CommittedUntilAddress;
        return _log.Log.Scan(from, _endAddress, scanBufferingMode: ScanBufferingMode.DoublePageBuffering);
    }

    /// <summary>Reads the next record into <paramref name="into"/> (reassembling a fragmented one).</summary>
    public ReadOutcome TryRead(JournalRecord into) => TryRead(into, decode: true);

    /// <summary>
    /// Reads the next record, checking framing, checksum, record number and sequence as <see cref="TryRead(JournalRecord)"/>
    /// does; with <paramref name="decode"/> false it leaves the payload undecoded (only the header fields, addresses and
    /// checksum are set: a scan for integrity at disk speed).
    /// </summary>
    public unsafe ReadOutcome TryRead(JournalRecord into, bool decode)
    {
        if (Damage is not null) return ReadOutcome.Damage;
        SkipCuts();
        long first = -1; // address of the record's first fragment
        int assembled = 0;
        RecordHeader header = default;
        while (true)
        {
            byte* entry;
            int length;
            long address, next;
            try
            {
                if (!_iterator.UnsafeGetNext(out entry, out length, out address, out next)) return AtEnd(first);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                ReleaseEpochIfHeld();
                return Fail(first >= 0 ? first : NextAddress, $"FasterLog cannot read past here ({FirstLine(ex.Message)})");
            }

            string? problem;
            try
            {
                problem = Assemble(new ReadOnlySpan<byte>(entry, length), first >= 0, ref assembled, ref header);
            }
            finally
            {
                _iterator.UnsafeRelease(); // keep FasterLog's epoch protection short: decode from our copy
            }
            if (problem is not null) return Fail(first >= 0 ? first : address, problem);
            if (first < 0) first = address;
            if ((header.Flags & ~RecordHeader.MoreFragments) != 0)
                throw new JournalFormatException($"journal record {header.RecordNumber} has flags {header.Flags:x2}; this build knows only fragment continuation. Use a build that knows them.");
            if ((header.Flags & RecordHeader.MoreFragments) != 0) continue;
            return Deliver(header with { PayloadLength = assembled }, first, next, into, decode);
        }
    }

    /// <summary>Jumps over the journal's cuts. A loop, not an if: damage found right where an earlier cut resumed is cut there too, so cuts chain.</summary>
    private void SkipCuts()
    {
        while (_log.Cuts.At(NextAddress) is { } cut)
        {
            _iterator.Dispose();
            NextAddress = cut.ResumeAddress;
            _iterator = NewIterator(NextAddress);
        }
    }

    /// <summary>No fragment follows: the end of the journal, a record a tailing reader is early for, or a torn or truncated tail.</summary>
    private ReadOutcome AtEnd(long first)
    {
        if (first >= 0)
        {
            if (_follow)
            {
                // Commits never split a record; a tailing reader can only be early. Read it again later.
                _iterator.Dispose();
                _iterator = NewIterator(NextAddress);
                return ReadOutcome.End;
            }
            return Fail(first, "the record's last fragment is missing (torn)");
        }
        if (!_follow && NextAddress < _endAddress)
        {
            return Fail(NextAddress, $"the log is committed up to address {_endAddress} but its records end at {NextAddress} (a truncated or zeroed tail)");
        }
        return ReadOutcome.End;
    }

    /// <summary>Checks one fragment (header, record number, sequence, agreement with the fragments before it) and appends its payload; null when it fits, else what is wrong.</summary>
    private string? Assemble(ReadOnlySpan<byte> bytes, bool continues, ref int assembled, ref RecordHeader header)
    {
        if (RecordHeader.TryRead(bytes, out var fragment) is { } problem) return problem;
        if (fragment.RecordNumber != ExpectedRecordNumber)
            return $"found record number {fragment.RecordNumber} where {ExpectedRecordNumber} was expected";
        if (fragment.LastSequence < LastSequence)
            return $"its last sequence {fragment.LastSequence} is below the previous record's {LastSequence}";
        if (continues && (fragment.Kind != header.Kind || fragment.LastSequence != header.LastSequence || fragment.Version != header.Version))
            return "a fragment does not match the record it continues";
        int total = assembled + fragment.PayloadLength;
        if (total > RecordHeader.PayloadLengthMax) return $"the record's fragments exceed {RecordHeader.PayloadLengthMax} bytes";
        if (_payload.Length < total) Array.Resize(ref _payload, Math.Max(total, _payload.Length * 2));
        bytes[RecordHeader.Size..].CopyTo(_payload.AsSpan(assembled));
        assembled = total;
        header = fragment;
        return null;
    }

    /// <summary>A whole record: decode it (or only its header fields) into <paramref name="into"/> and move past it.</summary>
    private ReadOutcome Deliver(in RecordHeader header, long first, long next, JournalRecord into, bool decode)
    {
        int assembled = header.PayloadLength;
        if (decode)
        {
            RecordCodec.Decode(in header, _payload.AsMemory(0, assembled), into);
        }
        else
        {
            if (header.Version != RecordHeader.CurrentVersion)
                throw new JournalFormatException($"journal record {header.RecordNumber} has format version {header.Version}; this build reads version {RecordHeader.CurrentVersion}. Use a build that knows that version.");
            into.RecordNumber = header.RecordNumber;
            into.LastSequence = header.LastSequence;
        }
        into.Address = first;
        into.NextAddress = next;
        into.Checksum = header.Checksum;
        into.Payload = _payload.AsMemory(0, assembled);
        NextAddress = next;
        ExpectedRecordNumber++;
        LastSequence = header.LastSequence;
        if (_payload.Length > 16 << 20 && assembled < 1 << 20) _payload = new byte[4096]; // after a bulk import, give the memory back
        return ReadOutcome.Record;
    }

    private ReadOutcome Fail(long address, string reason)
    {
        Damage = new JournalDamage(address, ExpectedRecordNumber, reason);
        return ReadOutcome.Damage;
    }

    // FasterLog 2.6.5 takes a length with the sign bit set for one of its own commit records and parses the bytes
    // after it; when they are garbage that parse throws while the iterator still holds the log's epoch, and the next
    // read on this thread fails. Damage can set any bit, so after a failed read we release the epoch if it is held.
    private static readonly FieldInfo EpochField =
        typeof(FasterLogScanIterator).BaseType!.GetField("epoch", BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new InvalidOperationException("Invariant: FasterLog's scan iterator has an 'epoch' field (checked against 2.6.5).");

    private void ReleaseEpochIfHeld()
    {
        if (EpochField.GetValue(_iterator) is LightEpoch epoch && epoch.ThisInstanceProtected()) _iterator.UnsafeRelease();
    }

    private static string FirstLine(string text)
    {
        int end = text.IndexOf('\n', StringComparison.Ordinal);
        return (end < 0 ? text : text[..end]).TrimEnd();
    }

    /// <summary>For a following cursor: completes when more may be readable (false when the log is closing).</summary>
    public ValueTask<bool> WaitAsync(CancellationToken cancellationToken) => _iterator.WaitAsync(cancellationToken);

    public void Dispose() => _iterator.Dispose();
}
