using Ledger.Engine.Commands;
using Ledger.Engine.Hosting;
using Ledger.ReadSide;

namespace Ledger.Gateway.Hosting;

/// <summary>
/// Feeds the read store from the publish stage: each committed command's events as one journal record, one store write
/// per drained batch, before the batch's producers are released (so a read after a 201 sees the entry).
/// </summary>
internal sealed class ReadStoreSink(ReadStoreWriter writer) : ICommittedCommandSink
{
    public void OnCommitted(LedgerCommand command)
    {
        if (command.ChangedState) writer.Add(command.EventSpan, command.CommandNumber, command.JournalNextAddress);
    }

    public void EndOfBatch() => writer.Commit();
}
