namespace Ledger.Journal;

/// <summary>What <see cref="JournalCursor.TryRead"/> found.</summary>
public enum ReadOutcome
{
    /// <summary>A sound record was read into the caller's <see cref="JournalRecord"/>.</summary>
    Record,
    /// <summary>No more committed records (a following cursor may get more after <see cref="JournalCursor.WaitAsync"/>).</summary>
    End,
    /// <summary>The next record is damaged or missing; see <see cref="JournalCursor.Damage"/>. The cursor stays stopped there.</summary>
    Damage,
}
