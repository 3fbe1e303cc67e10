using Ledger.Engine.Catalog;
using Ledger.Engine.Domain;
using Ledger.Engine.State;

namespace Ledger.Engine;

/// <summary>
/// The live state of a ledger at one journal record (the entry store's checkpoint): what RAM must hold to decide the next command without
/// I/O. The entry store keeps it beside the history, in the same atomic write as that record's changes, so a restart
/// is: this state + the journal after <see cref="RecordNumber"/>.
/// </summary>
public sealed class LedgerState
{
    public required long RecordNumber { get; init; }
    public required long LastSequence { get; init; }
    public required long ClockTicks { get; init; }
    public required ulong HistoryHash { get; init; }
    public required HistoryCatalog Catalog { get; init; }
    public required IReadOnlyList<AccountState> Accounts { get; init; }
    /// <summary>Every hold still pending (kind blocking, status PENDING).</summary>
    public required IReadOnlyList<EntryImage> OpenHolds { get; init; }
    /// <summary>The daily rules' counters (<see cref="DailyCounterTable"/>); empty when no catalog ever had a daily rule.</summary>
    public IReadOnlyList<DailyCounter> DailyCounters { get; init; } = [];
}

public sealed partial class LedgerEngine
{
    /// <summary>
    /// An engine in exactly the state of a checkpoint. Checks the state on the way in: balances within their invariants,
    /// every open hold pending on an existing account, and each account's HELD equal to what its open holds hold.
    /// </summary>
    public static LedgerEngine Restore(LedgerState state, EngineSettings? settings = null)
    {
        // More open holds than OpenHoldsMax is not refused: a restart must come up; new holds wait until enough are released.
        settings ??= new EngineSettings();
        var engine = new LedgerEngine(state.Catalog, settings with { AccountCapacity = Math.Max(settings.AccountCapacity, state.Accounts.Count) })
        {
            LastSequence = state.LastSequence,
            ClockTicks = state.ClockTicks,
            RecordNumber = state.RecordNumber,
        };
        engine._historyHash = state.HistoryHash;
        var held = new long[state.Accounts.Count];
        foreach (var account in state.Accounts)
        {
            Invariant.Balances(in account);
            engine._accounts.Add(in account);
        }
        foreach (var hold in state.OpenHolds)
        {
            if (!hold.IsOpenHold) Invariant.Fail($"the checkpoint lists entry {hold.Sequence} as an open hold but it is {hold.Kind} {hold.Status}");
            Invariant.Hold(in hold);
            if (hold.LastChange > state.RecordNumber) Invariant.Fail($"open hold {hold.Sequence} was changed by record {hold.LastChange}, after the checkpoint at {state.RecordNumber}");
            int accountIndex = engine._accounts.Find(AccountKey.FromPacked(hold.AccountPacked));
            if (accountIndex < 0) Invariant.Fail($"open hold {hold.Sequence} is on account {AccountKey.FromPacked(hold.AccountPacked)}, which the checkpoint does not have");
            held[accountIndex] += hold.HeldRemainingMinor;
            int slot = engine._cache.Insert(in hold, EntryKeys.Hash(hold.AccountPacked, hold.KeySpan), state.RecordNumber, state.RecordNumber + 1);
            if (hold.ExpiresAtTicks != 0) engine._expiryQueue.Add(slot, hold.Sequence, hold.ExpiresAtTicks);
        }
        foreach (var counter in state.DailyCounters)
        {
            if (engine._accounts.Find(AccountKey.FromPacked(counter.AccountPacked)) < 0)
                Invariant.Fail($"the checkpoint has a daily counter of account {AccountKey.FromPacked(counter.AccountPacked)}, which it does not have");
            int slot = engine._daily.FindOrAdd(counter.AccountPacked, counter.Scope);
            if (engine._daily[slot].Day != 0) Invariant.Fail($"the checkpoint lists daily counter {counter} twice");
            engine._daily[slot] = counter;
        }
        for (int i = 0; i < engine._accounts.Count; i++)
        {
            ref var account = ref engine._accounts[i];
            if (account.HeldMinor != held[i]) Invariant.Fail($"account {account.Key} holds {account.HeldMinor} but its open holds hold {held[i]}");
        }
        return engine;
    }
}
