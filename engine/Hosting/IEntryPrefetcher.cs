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
