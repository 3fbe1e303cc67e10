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

/// <summary>
/// Consumers of acknowledged commands (read side, metrics), called on the publish thread in sequence order, behind the
/// answers: <see cref="OnCommitted"/> for each command of a drained batch, then <see cref="EndOfBatch"/>; the batch's
/// commands are let go only after every sink's <see cref="EndOfBatch"/> returned. Reads that must see an answer wait for
/// the sink that serves them (the read store: <c>EngineHost.AcknowledgedRecord</c>).
/// </summary>
public interface ICommittedCommandSink
{
    void OnCommitted(LedgerCommand command);

    /// <summary>The end of a drained batch: make what <see cref="OnCommitted"/> took visible.</summary>
    void EndOfBatch()
    {
    }
}

/// <summary>A journal that keeps nothing: for benchmarks of the engine and ring alone, and tests of them.</summary>
public sealed class NoJournal : ICommandJournal
{
    public void Append(LedgerCommand command) { }
    public void Commit() { }
}
