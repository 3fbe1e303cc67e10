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
    private readonly EntryPlan[] _plans = new EntryPlan[2 * Limits.EntriesPerBatchMax]; // requested entries, then their fee entries
    // Simulated state of the accounts and referenced entries a command touches.
    private readonly int[] _simAccount = new int[Limits.EntriesPerBatchMax];
    private readonly long[] _simAvailable = new long[Limits.EntriesPerBatchMax];
    private readonly long[] _simHeld = new long[Limits.EntriesPerBatchMax];
    private int _simAccountCount;
    private readonly int[] _simRecord = new int[2 * Limits.EntriesPerBatchMax];
    private readonly long[] _simRecordHeld = new long[2 * Limits.EntriesPerBatchMax];
    private readonly EntryStatus[] _simRecordStatus = new EntryStatus[2 * Limits.EntriesPerBatchMax];
    private readonly bool[] _simRecordReversed = new bool[2 * Limits.EntriesPerBatchMax];
    private int _simRecordCount;
    // Simulated daily counters (a code's, a domain's) of the accounts a command debits: at most two per entry.
    private readonly long[] _simCounterAccount = new long[2 * Limits.EntriesPerBatchMax];
    private readonly int[] _simCounterScope = new int[2 * Limits.EntriesPerBatchMax];
    private readonly long[] _simCounterSum = new long[2 * Limits.EntriesPerBatchMax];
    private readonly int[] _simCounterCount = new int[2 * Limits.EntriesPerBatchMax];
    private int _simCounters;
    // The command's fee entries, k = 0.._feeCount-1 (entry n + k): the requested entry that carries each, its code and
    // amount, and for the reversal of a fee the fee entry it reverses; and per requested entry the k of its fee (-1: none).
    private readonly int[] _feeOf = new int[Limits.EntriesPerBatchMax];
    private readonly int[] _feeCode = new int[Limits.EntriesPerBatchMax];
    private readonly long[] _feeAmount = new long[Limits.EntriesPerBatchMax];
    private readonly int[] _feeReversedSlot = new int[Limits.EntriesPerBatchMax];
    private readonly int[] _feeIndexOf = new int[Limits.EntriesPerBatchMax];
    private readonly byte[] _feeRefScratch = new byte[KeyBytes];
    private int _feeCount;

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

    /// <summary>
    /// Decides one requested entry against the ledger as the command's earlier entries left it (simulated), by kind; a
    /// run of early returns in precedence order (see <see cref="ResultCode"/>). Fills <paramref name="plan"/> when it is Ok.
    /// </summary>
    private ResultCode Decide(LedgerCommand command, int i, ref EntryPlan plan, out byte ruleId)
    {
        ref var e = ref command.Entries[i];
        ruleId = 0;
        plan = default;
        plan.AccountIndex = _accountIndex[i];
        plan.ReferenceSlot = -1;
        plan.CodeCounterScope = -1;
        plan.DomainCounterScope = -1;
        int sim = SimAccount(plan.AccountIndex);
        ref var account = ref _accounts[plan.AccountIndex];
        if (e.Kind is EntryKind.Ledger or EntryKind.Blocking) return DecideNew(in e, sim, ref account, ref plan, out ruleId);
        if (e.Kind is not (EntryKind.Unblocking or EntryKind.Reversal or EntryKind.Removal)) return ResultCode.InvalidCommand;
        int target = _refSlot[i];
        if (target < 0) return ResultCode.ReferenceNotFound;
        if (Disagrees(in e, in _cache[target], checkAmount: e.Kind != EntryKind.Unblocking) is var field and not ConflictFields.None)
        {
            ruleId = (byte)field;
            return ResultCode.ReferenceMismatch;
        }
        return e.Kind switch
        {
            EntryKind.Unblocking => DecideUnblocking(in e, target, sim, ref account, ref plan),
            EntryKind.Reversal => DecideReversal(in e, target, sim, ref account, ref plan),
            _ => DecideRemoval(in e, target, sim, ref account, ref plan),
        };
    }

    /// <summary>A new ledger or blocking entry: its code, allowed kinds, currency, rules, then the balance it needs.</summary>
    private ResultCode DecideNew(in EntryRequest e, int sim, ref AccountState account, ref EntryPlan plan, out byte ruleId)
    {
        ruleId = 0;
        var code = Catalog.Find(e.EntryType);
        if (code is null) return ResultCode.UnknownHistoryCode;
        if (!code.Allows(e.Kind))
        {
            ruleId = RuleIds.AllowedKinds;
            return ResultCode.RuleDeclined;
        }
        if (e.Currency != account.Currency) return ResultCode.CurrencyMismatch;
        if (!PassesRules(in e, code, sim, ref account, ref plan, out ruleId)) return ResultCode.RuleDeclined;
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

    /// <summary>An unblocking: releases all or part of what a pending hold of the same account still holds.</summary>
    private ResultCode DecideUnblocking(in EntryRequest e, int target, int sim, ref AccountState account, ref EntryPlan plan)
    {
        if (CheckPendingHold(in e, target, ref account, out int simRec) is var refused and not ResultCode.Ok) return refused;
        long amount = e.HasAmount ? e.AmountMinor : _simRecordHeld[simRec];
        if (amount > _simRecordHeld[simRec]) return ResultCode.UnblockExceedsHeld;
        _simRecordHeld[simRec] -= amount;
        if (_simRecordHeld[simRec] == 0) _simRecordStatus[simRec] = EntryStatus.Released;
        PlanGiveBack(ref plan, sim, target, amount, EntryStatus.Posted, _simRecordHeld[simRec] == 0 ? EntryStatus.Released : EntryStatus.None);
        return ResultCode.Ok;
    }

    /// <summary>A reversal: moves a posted ledger entry's amount back, once.</summary>
    private ResultCode DecideReversal(in EntryRequest e, int target, int sim, ref AccountState account, ref EntryPlan plan)
    {
        ref var original = ref _cache[target];
        // A fee is reversed with the entry that carried it, never alone.
        if (original.Kind != EntryKind.Ledger || original.Status != EntryStatus.Posted || original.IsFee) return ResultCode.NotReversible;
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

    /// <summary>A removal: cancels a pending hold, giving back all it still holds.</summary>
    private ResultCode DecideRemoval(in EntryRequest e, int target, int sim, ref AccountState account, ref EntryPlan plan)
    {
        if (CheckPendingHold(in e, target, ref account, out int simRec) is var refused and not ResultCode.Ok) return refused;
        long amount = _simRecordHeld[simRec];
        _simRecordHeld[simRec] = 0;
        _simRecordStatus[simRec] = EntryStatus.Removed;
        PlanGiveBack(ref plan, sim, target, amount, EntryStatus.Removed, EntryStatus.Removed);
        return ResultCode.Ok;
    }

    /// <summary>A hold a follow-up may still release or remove: pending as the command's earlier entries left it, in the account's currency.</summary>
    private ResultCode CheckPendingHold(in EntryRequest e, int target, ref AccountState account, out int simRec)
    {
        simRec = SimRecord(target);
        if (_simRecordStatus[simRec] != EntryStatus.Pending) return ResultCode.EntryNotPending;
        if (!e.Currency.IsNone && e.Currency != account.Currency) return ResultCode.CurrencyMismatch;
        return ResultCode.Ok;
    }

    /// <summary>Plans the entry that gives back <paramref name="amount"/> of a hold (from HELD to AVAILABLE) and simulates it.</summary>
    private void PlanGiveBack(ref EntryPlan plan, int sim, int target, long amount, EntryStatus status, EntryStatus referenceNewStatus)
    {
        _simHeld[sim] -= amount;
        _simAvailable[sim] += amount;
        plan.Status = status;
        FromReference(ref plan, in _cache[target], target, amount);
        plan.DeltaAvailable = amount;
        plan.DeltaHeld = -amount;
        plan.ReferenceHeldReleased = amount;
        plan.ReferenceNewStatus = referenceNewStatus;
    }

    /// <summary>
    /// Which entries of a new command carry a fee entry: a ledger posting of a code with a <c>fee</c> (when the fee is not
    /// 0), and the reversal of an entry that carried one (it reverses the fee too, as the fee was first answered). Each fee
    /// gets its derived key (entry i's own followed by <c>:fee</c>); refused, before the ledger, when the carrier's id is
    /// too long to derive one (400) or the derived id is taken, earlier or in this command (409 naming the batch).
    /// Fees are the bank's: the partner's domains, the fee code's rules and the daily counters do not judge them.
    /// </summary>
    private bool PlanFees(LedgerCommand command, int n)
    {
        _feeCount = 0;
        for (int i = 0; i < n; i++)
        {
            _feeIndexOf[i] = -1;
            ref var e = ref command.Entries[i];
            int feeCode, reversedSlot = -1;
            long amount;
            if (e.Kind == EntryKind.Ledger)
            {
                if (Catalog.Find(e.EntryType)?.Fee is not { } fee) continue;
                amount = fee.AmountOf(e.AmountMinor);
                if (amount <= 0) continue;
                feeCode = fee.FeeCode;
            }
            else if (e.Kind == EntryKind.Reversal && _refSlot[i] >= 0 && _cache[_refSlot[i]].HasFee)
            {
                var referenced = _refScratch.AsSpan(i * KeyBytes, e.Reference!.Length);
                referenced.CopyTo(_feeRefScratch);
                FeeIds.SuffixBytes.CopyTo(_feeRefScratch.AsSpan(referenced.Length));
                var key = _feeRefScratch.AsSpan(0, referenced.Length + FeeIds.SuffixBytes.Length);
                long account = e.Account.Packed;
                reversedSlot = Resolve(command, LookupPlan.ReferenceFee(n, i), account, key, EntryKeys.Hash(account, key));
                if (reversedSlot < 0 || !_cache[reversedSlot].IsFee) Invariant.Fail("an entry that carried a fee has no fee entry");
                feeCode = _cache[reversedSlot].EntryType;
                amount = _cache[reversedSlot].AmountMinor;
            }
            else
            {
                continue;
            }
            if (_keyLength[i] > FeeIds.CarrierIdLengthMax)
            {
                Refuse(command, ResultCode.InvalidCommand, i);
                return false;
            }
            int k = _feeCount;
            var feeKey = FeeKeyOf(i, n + k);
            if (IsDuplicateInCommand(n + k) ||
                Resolve(command, LookupPlan.Fee(n, i), e.Account.Packed, feeKey, _keyHash[n + k]) >= 0)
            {
                Refuse(command, ResultCode.IdempotencyConflict, i);
                command.Result.Conflicts = ConflictFields.Batch;
                return false;
            }
            _feeOf[k] = i;
            _feeCode[k] = feeCode;
            _feeAmount[k] = amount;
            _feeReversedSlot[k] = reversedSlot;
            _feeIndexOf[i] = k;
            _feeCount++;
        }
        return true;
    }

    /// <summary>Decides fee entry k (entry n + k) against the simulated state the requested entries left: a debit of the fee code, or the credit that reverses a fee.</summary>
    private ResultCode DecideFee(int k, ref EntryPlan plan)
    {
        plan = default;
        plan.AccountIndex = _accountIndex[_feeOf[k]];
        plan.ReferenceSlot = -1;
        plan.CodeCounterScope = -1;
        plan.DomainCounterScope = -1;
        int sim = SimAccount(plan.AccountIndex);
        ref var account = ref _accounts[plan.AccountIndex];
        long amount = _feeAmount[k];
        plan.Status = EntryStatus.Posted;
        int reversed = _feeReversedSlot[k];
        if (reversed < 0)
        {
            plan.EntryType = _feeCode[k];
            plan.AmountMinor = amount;
            plan.Currency = account.Currency;
            plan.Direction = Direction.Debit;
            plan.DeltaAvailable = -amount;
            bool mayOverdraw = Catalog.Find(_feeCode[k])?.MayOverdraw ?? false;
            return Debit(sim, amount, mayOverdraw, account.OverdraftLimitMinor, heldIncrease: 0);
        }
        int simRec = SimRecord(reversed);
        if (_simRecordReversed[simRec]) return ResultCode.AlreadyReversed;
        _simRecordReversed[simRec] = true;
        FromReference(ref plan, in _cache[reversed], reversed, amount);
        plan.Direction = Direction.Credit;
        plan.DeltaAvailable = amount;
        return Credit(sim, amount);
    }

    /// <summary>
    /// The code's rules, then its domain's, in catalog order. A debit (a posting of a debit code, or any hold) of a code or
    /// domain with a daily rule is judged against what its scope counted on the account today (by the ledger's clock),
    /// earlier entries of this command included, and then counted in the simulation and planned to count.
    /// </summary>
    private bool PassesRules(in EntryRequest e, HistoryCode code, int sim, ref AccountState account, ref EntryPlan plan, out byte ruleId)
    {
        ruleId = 0;
        var domainRules = Catalog.DomainRulesOf(code.DomainBit);
        if (code.Rules.Length == 0 && domainRules.Length == 0) return true;
        bool debit = e.Kind == EntryKind.Blocking || code.Direction == Direction.Debit;
        long before = _simAvailable[sim];
        long after = debit ? SaturatingAdd(before, -e.AmountMinor) : SaturatingAdd(before, e.AmountMinor);
        int day = (int)(ClockTicks / TimeSpan.TicksPerDay);
        plan.Day = day;
        var input = new RuleInput(e.Kind, e.AmountMinor, e.Currency, account.Key, new Balances(before, _simHeld[sim]), after);
        int codeCounter = -1;
        if (debit && code.TracksDaily)
        {
            codeCounter = SimCounter(account.Key.Packed, code.Code, day);
            input = input with { DailySumMinor = _simCounterSum[codeCounter], DailyCount = _simCounterCount[codeCounter] };
        }
        foreach (var rule in code.Rules)
        {
            if (!rule.Allows(in input))
            {
                ruleId = RuleIds.Of(rule.Name);
                return false;
            }
        }
        int domainCounter = -1;
        if (domainRules.Length != 0)
        {
            if (debit && Catalog.DomainTracksDaily(code.DomainBit))
            {
                domainCounter = SimCounter(account.Key.Packed, DailyCounter.DomainScopeBase + code.DomainBit, day);
                input = input with { DailySumMinor = _simCounterSum[domainCounter], DailyCount = _simCounterCount[domainCounter] };
            }
            else
            {
                input = input with { DailySumMinor = 0, DailyCount = 0 };
            }
            foreach (var rule in domainRules)
            {
                if (!rule.Allows(in input))
                {
                    ruleId = RuleIds.Of(rule.Name);
                    return false;
                }
            }
        }
        // Counted only now that every rule allowed it (a later failure declines the whole command anyway).
        if (codeCounter >= 0)
        {
            _simCounterSum[codeCounter] = SaturatingAdd(_simCounterSum[codeCounter], e.AmountMinor);
            _simCounterCount[codeCounter]++;
            plan.CodeCounterScope = code.Code;
        }
        if (domainCounter >= 0)
        {
            _simCounterSum[domainCounter] = SaturatingAdd(_simCounterSum[domainCounter], e.AmountMinor);
            _simCounterCount[domainCounter]++;
            plan.DomainCounterScope = DailyCounter.DomainScopeBase + code.DomainBit;
        }
        return true;
    }

    private static long SaturatingAdd(long a, long b)
    {
        long sum = unchecked(a + b);
        if (((a ^ sum) & (b ^ sum)) >= 0) return sum;
        return a < 0 ? long.MinValue : long.MaxValue;
    }

    /// <summary>The simulated counter of (account, scope) for <paramref name="day"/>: today's from the table, or zero.</summary>
    private int SimCounter(long account, int scope, int day)
    {
        for (int s = 0; s < _simCounters; s++)
        {
            if (_simCounterAccount[s] == account && _simCounterScope[s] == scope) return s;
        }
        int added = _simCounters++;
        _simCounterAccount[added] = account;
        _simCounterScope[added] = scope;
        int slot = _daily.Find(account, scope);
        bool today = slot >= 0 && _daily[slot].Day == day;
        _simCounterSum[added] = today ? _daily[slot].SumMinor : 0;
        _simCounterCount[added] = today ? _daily[slot].Count : 0;
        return added;
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
