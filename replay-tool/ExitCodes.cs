namespace Ledger.ReplayTool;

/// <summary>The tool's exit codes (also listed in <c>--help</c>).</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>Bad arguments (System.CommandLine's own parse errors also exit 1).</summary>
    public const int Usage = 1;
    /// <summary>No journal, no such account, an unreadable file.</summary>
    public const int NotFound = 2;
    /// <summary>The journal is damaged (a sentence names the record, address, file and offset).</summary>
    public const int Damaged = 3;
    /// <summary>Replaying the journal does not give the journaled outcome, or the entry store does not fit the journal.</summary>
    public const int Divergent = 4;
    /// <summary>diff: the two journals hold different records at the same position.</summary>
    public const int Diverged = 5;

    public const string Help =
        "Exit codes: 0 ok; 1 bad arguments; 2 no journal / no such account / unreadable; 3 journal damaged; " +
        "4 replay or the entry store disagrees with the journal; 5 (diff) the journals diverge.";
}
