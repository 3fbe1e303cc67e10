using Ledger.Engine.Commands;
using Ledger.Engine.Hosting;
using Ledger.ReadSide;

namespace Ledger.Gateway.Hosting;

/// <summary>
/// Feeds the read store from the publish stage (behind the answers): each committed command's events as one journal
/// record, one store write per drained batch, then the reads waiting for those records are let through
/// (<see cref="ReadYourWrites"/>: a read after a 201 sees the entry).
/// </summary>
internal sealed class ReadStoreSink(ReadStoreWriter writer, ReadYourWrites progress) : ICommittedCommandSink
{
    public void OnCommitted(LedgerCommand command)
    {
        if (command.ChangedState) writer.Add(command.EventSpan, command.RecordNumber, command.JournalNextAddress);
    }

    public void EndOfBatch()
    {
        writer.Commit();
        progress.Advance(writer.Watermark.RecordNumber);
    }
}
