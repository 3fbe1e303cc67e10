using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.State;

namespace Ledger.Engine;

/// <summary>
/// Deciding: each entry of a command is judged, in batch order, against the state as the earlier entries of the same
/// command would leave it (simulated balances and referenced entries), and planned; nothing is mutated here.
/// </summary>
public sealed partial class LedgerEngine
{
    private readonly EntryPlan[] _plans = new EntryPlan[Limits.EntriesPerBatchMax];
    // Simulated state of the accounts and referenced entries a command touches.
    private readonly int[] _simAccount = new int[Limits.EntriesPerBatchMax];
    private readonly long[] _simAvailable = new long[Limits.EntriesPerBatchMax];
    private readonly long[] _simHeld = new long[Limits.EntriesPerBatchMax];
    private int _simAccountCount;
    private readonly int[] _simRecord = new int[Limits.EntriesPerBatchMax];
    private readonly long[] _simRecordHeld = new long[Limits.EntriesPerBatchMax];
    private readonly EntryStatus[] _simRecordStatus = new EntryStatus[Limits.EntriesPerBatchMax];
    private readonly bool[] _simRecordReversed = new bool[Limits.EntriesPerBatchMax];
    private int _simRecordCount;

    /// <summary>
    /// The field of a follow-up entry that disagrees with the entry it refers to, or None: its entryType (when given:
    /// <see cref="EntryRequest.NoEntryType"/> means absent), and with <paramref name="checkAmount"/> (reversal, removal)
    /// its amount. An unblocking's amount is the partial amount to release, so it is not compared.
    /// </summary>
    private static ConflictFields Disagrees(in EntryRequest e, in EntryImage referenced, bool checkAmount)
    {
        if (e.EntryType != EntryRequest.NoEntryType && e.EntryType != referenced.EntryType) return ConflictFields.EntryType;
        if (checkAmount && e.HasAmount && e.AmountMinor != referenced.AmountMinor) return ConflictFields.Amount;
        return ConflictFields.None;
    }

    private ResultCode Decide(LedgerCommand command, int i, ref EntryPlan plan, out byte ruleId)
    {
        ref var e = ref command.Entries[i];
        ruleId = 0;
        plan = default;
        plan.AccountIndex = _accountIndex[i];
        plan.ReferenceSlot = -1;
        int sim = SimAccount(plan.AccountIndex);
        ref var account = ref _accounts[plan.AccountIndex];

        switch (e.Kind)
        {
            case EntryKind.Ledger:
            case EntryKind.Blocking:
            {
                var code = Catalog.Find(e.EntryType);
                if (code is null) return ResultCode.UnknownHistoryCode;
                if (!code.Allows(e.Kind))
                {
                    ruleId = RuleIds.AllowedKinds;
                    return ResultCode.RuleDeclined;
                }
                if (e.Currency != account.Currency) return ResultCode.CurrencyMismatch;
                var input = new RuleInput(e.Kind, e.AmountMinor, e.Currency, account.Key, new Balances(_simAvailable[sim], _simHeld[sim]));
                foreach (var rule in code.Rules)
                {
                    if (!rule.Allows(in input))
                    {
                        ruleId = RuleIds.Of(rule.Name);
                        return ResultCode.RuleDeclined;
                    }
                }
                plan.EntryType = e.EntryType;
                plan.AmountMinor = e.AmountMinor;
                plan.Currency = e.Currency;
                plan.Direction = code.Direction;
                if (e.Kind == EntryKind.Blocking)
                {
                    plan.Status = EntryStatus.Pending;
                    plan.DeltaAvailable = -e.AmountMinor;
                    plan.DeltaHeld = e.AmountMinor;
                    return Debit(sim, e.AmountMinor, code.MayOverdraw, account.OverdraftLimitMinor, heldIncrease: e.AmountMinor);
                }
                plan.Status = EntryStatus.Posted;
                if (code.Direction == Direction.Credit)
                {
                    plan.DeltaAvailable = e.AmountMinor;
                    return Credit(sim, e.AmountMinor);
                }
                plan.DeltaAvailable = -e.AmountMinor;
                return Debit(sim, e.AmountMinor, code.MayOverdraw, account.OverdraftLimitMinor, heldIncrease: 0);
            }
            case EntryKind.Unblocking:
            {
                int target = _refSlot[i];
                if (target < 0) return ResultCode.ReferenceNotFound;
                if (Disagrees(in e, in _cache[target], checkAmount: false) is var field and not ConflictFields.None)
                {
                    ruleId = (byte)field;
                    return ResultCode.ReferenceMismatch;
                }
                int simRec = SimRecord(target);
                if (_simRecordStatus[simRec] != EntryStatus.Pending) return ResultCode.EntryNotPending;
                if (!e.Currency.IsNone && e.Currency != account.Currency) return ResultCode.CurrencyMismatch;
                long amount = e.HasAmount ? e.AmountMinor : _simRecordHeld[simRec];
                if (amount > _simRecordHeld[simRec]) return ResultCode.UnblockExceedsHeld;
                _simRecordHeld[simRec] -= amount;
                if (_simRecordHeld[simRec] == 0) _simRecordStatus[simRec] = EntryStatus.Released;
                _simHeld[sim] -= amount;
                _simAvailable[sim] += amount;
                plan.Status = EntryStatus.Posted;
                FromReference(ref plan, in _cache[target], target, amount);
                plan.DeltaAvailable = amount;
                plan.DeltaHeld = -amount;
                plan.ReferenceHeldReleased = amount;
                plan.ReferenceNewStatus = _simRecordHeld[simRec] == 0 ? EntryStatus.Released : EntryStatus.None;
                return ResultCode.Ok;
            }
            case EntryKind.Reversal:
            {
                int target = _refSlot[i];
                if (target < 0) return ResultCode.ReferenceNotFound;
                if (Disagrees(in e, in _cache[target], checkAmount: true) is var field and not ConflictFields.None)
                {
                    ruleId = (byte)field;
                    return ResultCode.ReferenceMismatch;
                }
                ref var original = ref _cache[target];
                if (original.Kind != EntryKind.Ledger || original.Status != EntryStatus.Posted) return ResultCode.NotReversible;
                if (!e.Currency.IsNone && e.Currency != account.Currency) return ResultCode.CurrencyMismatch;
                int simRec = SimRecord(target);
                if (_simRecordReversed[simRec]) return ResultCode.AlreadyReversed;
                _simRecordReversed[simRec] = true;
                plan.Status = EntryStatus.Posted;
                FromReference(ref plan, in original, target, original.AmountMinor);
                plan.Direction = original.Direction == Direction.Debit ? Direction.Credit : Direction.Debit;
                if (original.Direction == Direction.Debit)
                {
                    plan.DeltaAvailable = original.AmountMinor;
                    return Credit(sim, original.AmountMinor);
                }
                plan.DeltaAvailable = -original.AmountMinor;
                bool mayOverdraw = Catalog.Find(original.EntryType)?.MayOverdraw ?? false;
                return Debit(sim, original.AmountMinor, mayOverdraw, account.OverdraftLimitMinor, heldIncrease: 0);
            }
            case EntryKind.Removal:
            {
                int target = _refSlot[i];
                if (target < 0) return ResultCode.ReferenceNotFound;
                if (Disagrees(in e, in _cache[target], checkAmount: true) is var field and not ConflictFields.None)
                {
                    ruleId = (byte)field;
                    return ResultCode.ReferenceMismatch;
                }
                int simRec = SimRecord(target);
                if (_simRecordStatus[simRec] != EntryStatus.Pending) return ResultCode.EntryNotPending;
                if (!e.Currency.IsNone && e.Currency != account.Currency) return ResultCode.CurrencyMismatch;
                long amount = _simRecordHeld[simRec];
                _simRecordHeld[simRec] = 0;
                _simRecordStatus[simRec] = EntryStatus.Removed;
                _simHeld[sim] -= amount;
                _simAvailable[sim] += amount;
                plan.Status = EntryStatus.Removed;
                FromReference(ref plan, in _cache[target], target, amount);
                plan.DeltaAvailable = amount;
                plan.DeltaHeld = -amount;
                plan.ReferenceHeldReleased = amount;
                plan.ReferenceNewStatus = EntryStatus.Removed;
                return ResultCode.Ok;
            }
            default:
                return ResultCode.InvalidCommand;
        }
    }

    private static void FromReference(ref EntryPlan plan, in EntryImage original, int target, long amount)
    {
        plan.ReferenceSlot = target;
        plan.EntryType = original.EntryType;
        plan.AmountMinor = amount;
        plan.Currency = original.Currency;
        plan.Direction = original.Direction;
    }

    private ResultCode Credit(int sim, long amount)
    {
        if (!TryAdd(_simAvailable[sim], amount, out long available) ||
            !TryAdd(available, _simHeld[sim], out long total) || total > BalanceMaxMinor)
        {
            return ResultCode.AmountOverflow;
        }
        _simAvailable[sim] = available;
        return ResultCode.Ok;
    }

    private ResultCode Debit(int sim, long amount, bool mayOverdraw, long overdraftLimit, long heldIncrease)
    {
        if (!TryAdd(_simAvailable[sim], -amount, out long available)) return ResultCode.AmountOverflow;
        long floor = mayOverdraw ? -overdraftLimit : 0;
        if (available < floor) return ResultCode.InsufficientFunds;
        _simAvailable[sim] = available;
        _simHeld[sim] += heldIncrease; // available + held is unchanged by a hold
        return ResultCode.Ok;
    }

    private int SimAccount(int accountIndex)
    {
        for (int s = 0; s < _simAccountCount; s++)
        {
            if (_simAccount[s] == accountIndex) return s;
        }
        int added = _simAccountCount++;
        _simAccount[added] = accountIndex;
        _simAvailable[added] = _accounts[accountIndex].AvailableMinor;
        _simHeld[added] = _accounts[accountIndex].HeldMinor;
        return added;
    }

    private int SimRecord(int slot)
    {
        for (int s = 0; s < _simRecordCount; s++)
        {
            if (_simRecord[s] == slot) return s;
        }
        int added = _simRecordCount++;
        ref var rec = ref _cache[slot];
        _simRecord[added] = slot;
        _simRecordHeld[added] = rec.HeldRemainingMinor;
        _simRecordStatus[added] = rec.Status;
        _simRecordReversed[added] = rec.ReversedBySequence != 0;
        return added;
    }
}
