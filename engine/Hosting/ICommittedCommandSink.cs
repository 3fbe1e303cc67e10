using Ledger.Engine.Commands;

namespace Ledger.Engine.Hosting;

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
