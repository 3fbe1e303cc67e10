namespace Ledger.Journal;

/// <summary>
/// A journal or entry store this build cannot read safely (unknown format version, a sound record that does not decode,
/// a journal shorter than the store's checkpoint). Start-up stops with this message instead of guessing or cutting good data.
/// </summary>
public sealed class JournalFormatException : Exception
{
    public JournalFormatException(string message) : base(message) { }
    public JournalFormatException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// Replaying a journaled command gave another outcome than the journal records: the engine's rules are not the ones
/// that wrote the journal. Start-up stops; the ledger never runs on a state it cannot reproduce.
/// </summary>
public sealed class ReplayDivergenceException(string message) : Exception(message);
