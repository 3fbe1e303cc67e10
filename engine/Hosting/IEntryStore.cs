using Ledger.Engine.Commands;

namespace Ledger.Engine.Hosting;

/// <summary>
/// The prefetch stage's side of the entry store (its thread only): before the engine decides a command, fill
/// <see cref="LedgerCommand.Lookups"/> with what the store holds for every key the command names (<see cref="LookupPlan"/>),
/// stamp <see cref="LedgerCommand.StoreWatermark"/> with the store's watermark read before the lookups, and set
/// <see cref="LedgerCommand.Prefetched"/>. The host calls <see cref="Add"/> for each command of a drained batch, then
/// <see cref="EndOfBatch"/>, which must complete every lookup of the batch (so reads can be issued together).
/// </summary>
public interface IEntryPrefetcher
{
    void Add(LedgerCommand command);
    void EndOfBatch();
}

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
