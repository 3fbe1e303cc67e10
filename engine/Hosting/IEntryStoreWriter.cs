using Ledger.Engine.Commands;

namespace Ledger.Engine.Hosting;

/// <summary>
/// The store writer's side (its thread only, after the journal commit): <see cref="Add"/> takes each committed command
/// that changed the ledger (its <see cref="LedgerCommand.Changes"/>, <see cref="LedgerCommand.AccountChanges"/>,
/// record number and journal address); <see cref="EndOfBatch"/> writes them in one atomic write with the new
/// watermark, which the prefetcher then reads. A throw stops the host (fail-stop).
/// </summary>
public interface IEntryStoreWriter
{
    void Add(LedgerCommand command);
    void EndOfBatch();
}
