namespace Ledger.Journal;

/// <summary>
/// Plain reads of a journal: every committed record in order, with the journaled events, no engine involved.
/// Usage: <c>using var log = JournalLog.Open(dir, readOnly: true); JournalReader.ReadAll(log, r =&gt; ...);</c>
/// </summary>
public static class JournalReader
{
    /// <summary>Calls <paramref name="onRecord"/> for each record; throws <see cref="JournalDamagedException"/> at damage.</summary>
    public static long ReadAll(JournalLog log, Action<JournalRecord> onRecord)
    {
        using var cursor = new JournalCursor(log, log.StartAddress, log.Archive.FirstRecordNumber, log.Archive.LastSequenceBefore, follow: false);
        return Drain(cursor, onRecord, damageBeforeAnyIsMisfit: false);
    }

    /// <summary>
    /// How a store derived from the journal catches up from its watermark: the records after record
    /// <paramref name="recordNumber"/> (which ended at <paramref name="nextAddress"/>, sequence <paramref name="lastSequence"/>;
    /// 0 for the journal's start), up to record <paramref name="untilRecord"/>; a watermark past it or past
    /// <paramref name="untilAddress"/> does not fit.
    /// Returns the number read (0 when the watermark is there already), or -1 when the journal does not continue at the
    /// watermark (another journal's, or ahead of the bound).
    /// </summary>
    internal static long ReadAfter(JournalLog log, long recordNumber, long nextAddress, long lastSequence, long untilRecord, long untilAddress,
        Action<JournalRecord> onRecord)
    {
        if (recordNumber == 0)
        {
            using var whole = new JournalCursor(log, log.StartAddress, log.Archive.FirstRecordNumber, log.Archive.LastSequenceBefore, follow: false);
            return Drain(whole, onRecord, damageBeforeAnyIsMisfit: false, untilRecord);
        }
        if (recordNumber > untilRecord || nextAddress < log.StartAddress || nextAddress > untilAddress) return -1;
        using var cursor = new JournalCursor(log, nextAddress, recordNumber + 1, lastSequence, follow: false);
        return Drain(cursor, onRecord, damageBeforeAnyIsMisfit: true, untilRecord);
    }

    /// <summary>
    /// Reads <paramref name="cursor"/> to its end, calling <paramref name="onRecord"/> for each record, and returns how
    /// many; throws <see cref="JournalDamagedException"/> at damage, or with <paramref name="damageBeforeAnyIsMisfit"/>
    /// returns -1 when the very first read fails (the cursor did not start at a record: its caller's position does not fit).
    /// It stops after record <paramref name="untilRecord"/> (default: the end).
    /// </summary>
    internal static long Drain(JournalCursor cursor, Action<JournalRecord> onRecord, bool damageBeforeAnyIsMisfit, long untilRecord = long.MaxValue)
    {
        var record = new JournalRecord();
        long n = 0;
        while (cursor.ExpectedRecordNumber <= untilRecord)
        {
            switch (cursor.TryRead(record))
            {
                case ReadOutcome.Record:
                    onRecord(record);
                    n++;
                    break;
                case ReadOutcome.End:
                    return n;
                default:
                    return n == 0 && damageBeforeAnyIsMisfit ? -1 : throw new JournalDamagedException(cursor.Damage!);
            }
        }
        return n;
    }
}

/// <summary>A read met a damaged journal record (recovery cuts these; a plain read reports them).</summary>
public sealed class JournalDamagedException(JournalDamage damage) : Exception($"The journal is damaged at {damage}.")
{
    public JournalDamage Damage { get; } = damage;
}
