using Ledger.Journal.Entries;

namespace Ledger.Journal.Recovery;

/// <summary>
/// The part of the journal a start need not verify again: every record up to the entry store's checkpoint (the start
/// checked that record against the store's, <see cref="LedgerRecovery.CheckStore"/>; a damaged tail is only ever cut
/// after what recovery replays, which begins after it). A store derived from the journal (the read store) catches up
/// on it on its own thread while recovery replays the rest (<see cref="LedgerStoreSettings.AlongsideReplay"/>), instead
/// of after it: a restart then pays for the longer of the two catch-ups, not their sum.
/// Usage: <c>long fed = prefix.ReadAfter(mark.RecordNumber, mark.NextAddress, mark.LastSequence, record =&gt; ...);</c>
/// </summary>
public sealed class VerifiedJournalPrefix
{
    private readonly JournalLog _log;
    private readonly StoreCheckpoint _checkpoint;

    internal VerifiedJournalPrefix(JournalLog log, StoreCheckpoint checkpoint)
    {
        _log = log;
        _checkpoint = checkpoint;
    }

    /// <summary>The prefix's last record (the entry store's checkpoint).</summary>
    public long LastRecordNumber => _checkpoint.RecordNumber;

    /// <summary>
    /// Reads the records after record <paramref name="recordNumber"/> (which ended at <paramref name="nextAddress"/>,
    /// sequence <paramref name="lastSequence"/>; 0 for the journal's start) up to <see cref="LastRecordNumber"/>, in
    /// order, events as journaled. Returns the number read (0 when the caller is there or past it), or -1 when the journal
    /// does not continue at the caller's position (its caller decides after recovery, as without this prefix). The record
    /// passed in is reused: copy what you keep.
    /// </summary>
    public long ReadAfter(long recordNumber, long nextAddress, long lastSequence, Action<JournalRecord> onRecord) =>
        recordNumber >= LastRecordNumber
            ? 0 // there already, or ahead: the catch-up after recovery decides
            : JournalReader.ReadAfter(_log, recordNumber, nextAddress, lastSequence, LastRecordNumber, _checkpoint.RecordAddress, onRecord);
}
