using Ledger.Engine.Commands;

namespace Ledger.Engine.Hosting;

/// <summary>
/// Where decided commands become durable. The host calls it on the journal thread only: <see cref="Append"/>
/// for each command of a drained batch that changed the ledger, then <see cref="Commit"/> once (group commit).
/// A throw from either stops the host (fail-stop): nothing is acknowledged past a failed write.
/// </summary>
public interface ICommandJournal
{
    void Append(LedgerCommand command);

    /// <summary>Returns when everything appended is durable.</summary>
    void Commit();
}
