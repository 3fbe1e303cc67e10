using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using Ledger.Engine.State;

namespace Ledger.Engine;

/// <summary>Batches and bundles: validate everything first (there is no rollback on one thread), then apply.</summary>
public sealed partial class LedgerEngine
{
    private void PostEntries(LedgerCommand command)
    {
        int n = command.EntryCount;
        bool bundle = command.BundleId is not null;
        if (n <= 0 || n > (bundle ? Limits.EntriesPerBundleMax : Limits.EntriesPerBatchMax))
        {
            Refuse(command, ResultCode.InvalidCommand, -1);
            return;
        }
        // 1. shape, accounts, keys (normalized once, reused below)
        if (!CheckShapeAndAccounts(command, n, bundle)) return;
        // 2. domains (with references resolved, since reversal/unblock/removal take the original's code)
        for (int i = 0; i < n; i++)
        {
            ref var e = ref command.Entries[i];
            _refRecord[i] = -1;
            int type = e.EntryType;
            if (e.Reference is not null)
            {
                int refLength = NormalizeKey(e.Reference, _refScratch.AsSpan(i * KeyBytes, KeyBytes));
                var refKey = _refScratch.AsSpan(i * KeyBytes, refLength);
                int ns = _accountIndex[i];
                if (_keys.TryGet(ns, refKey, KeyIndex.Hash(ns, refKey), out int found) && _entries[found].Status != EntryStatus.None)
                {
                    _refRecord[i] = found;
                    type = _entries[found].EntryType;
                }
            }
            if (type >= 0 && !IsPermitted(command, type))
            {
                Refuse(command, ResultCode.DomainNotPermitted, i);
                return;
            }
        }
        // 3. idempotency
        if (AnswerFromMemory(command, n, bundle)) return;
        // 4. decide every entry against simulated state; the first failure declines the whole command
        _simAccountCount = 0;
        _simRecordCount = 0;
        for (int i = 0; i < n; i++)
        {
            var code = Decide(command, i, ref _plans[i], out byte ruleId);
            if (code != ResultCode.Ok)
            {
                RememberDecline(command, n, bundle, code, i, ruleId);
                return;
            }
        }
        // 5. apply
        ApplyPlans(command, n, bundle);
    }

    private bool CheckShapeAndAccounts(LedgerCommand command, int n, bool bundle)
    {
        var firstAccount = command.Entries[0].Account;
        if (bundle && NormalizeKey(command.BundleId, _bundleScratch) <= 0)
        {
            Refuse(command, ResultCode.InvalidCommand, -1);
            return false;
        }
        if (unchecked(++_dedupGeneration) == 0)
        {
            // Wrapped after 2^32 commands: 0 is the stamp of never-used slots, and old stamps come round again.
            Array.Clear(_dedupStamp);
            _dedupGeneration = 1;
        }
        for (int i = 0; i < n; i++)
        {
            ref var e = ref command.Entries[i];
            if (!bundle && e.Account != firstAccount)
            {
                Refuse(command, ResultCode.InvalidCommand, i);
                return false;
            }
            if (!IsWellFormed(in e))
            {
                Refuse(command, ResultCode.InvalidCommand, i);
                return false;
            }
            int length = NormalizeKey(e.CorrelationId, _keyScratch.AsSpan(i * KeyBytes, KeyBytes));
            if (length <= 0)
            {
                Refuse(command, ResultCode.InvalidCommand, i);
                return false;
            }
            int accountIndex = _accounts.Find(e.Account);
            if (accountIndex < 0)
            {
                Refuse(command, ResultCode.AccountNotFound, i);
                return false;
            }
            _accountIndex[i] = accountIndex;
            _keyLength[i] = length;
            _keyHash[i] = KeyIndex.Hash(accountIndex, _keyScratch.AsSpan(i * KeyBytes, length));
            if (IsDuplicateInCommand(i))
            {
                Refuse(command, ResultCode.InvalidCommand, i);
                return false;
            }
        }
        return true;
    }

    /// <summary>The engine's own shape check (the edges check first; this keeps a bad command from ever applying).</summary>
    private static bool IsWellFormed(in EntryRequest e)
    {
        if (e.Description is { Length: > Limits.DescriptionLengthMax }) return false;
        switch (e.Kind)
        {
            case EntryKind.Ledger:
            case EntryKind.Blocking:
                return e.EntryType is >= 0 and <= Limits.HistoryCodeMax && e.HasAmount && e.AmountMinor > 0 && !e.Currency.IsNone &&
                       e.Reference is null && (e.ExpiresAtTicks == 0 || e.Kind == EntryKind.Blocking);
            case EntryKind.Unblocking:
                return e.Reference is not null && (!e.HasAmount || e.AmountMinor > 0) && e.ExpiresAtTicks == 0 && IsValidKey(e.Reference);
            case EntryKind.Reversal:
            case EntryKind.Removal:
                return e.Reference is not null && !e.HasAmount && e.ExpiresAtTicks == 0 && IsValidKey(e.Reference);
            default:
                return false;
        }
    }

    /// <summary>Two entries of one command with the same account and correlation id (O(1) per entry, stamped table).</summary>
    private bool IsDuplicateInCommand(int i)
    {
        int mask = _dedupSlots.Length - 1;
        int slot = (int)_keyHash[i] & mask;
        while (_dedupStamp[slot] == _dedupGeneration)
        {
            int j = _dedupSlots[slot];
            if (_keyHash[j] == _keyHash[i] && _accountIndex[j] == _accountIndex[i] &&
                _keyScratch.AsSpan(j * KeyBytes, _keyLength[j]).SequenceEqual(_keyScratch.AsSpan(i * KeyBytes, _keyLength[i])))
            {
                return true;
            }
            slot = (slot + 1) & mask;
        }
        _dedupStamp[slot] = _dedupGeneration;
        _dedupSlots[slot] = i;
        return false;
    }

    // ---------------- idempotency ----------------

    /// <summary>
    /// A command whose ids were seen before: the first answer again if it is the same request, else a conflict.
    /// Returns false when no id is known (a new command).
    /// </summary>
    private bool AnswerFromMemory(LedgerCommand command, int n, bool bundle)
    {
        int firstKnown = -1;
        int bundleFirst = -1;
        if (bundle)
        {
            var bundleKey = _bundleScratch.AsSpan(0, command.BundleId!.Length);
            if (_keys.TryGet(KeyIndex.BundleNamespace, bundleKey, KeyIndex.Hash(KeyIndex.BundleNamespace, bundleKey), out bundleFirst))
            {
                firstKnown = 0;
            }
        }
        for (int i = 0; i < n; i++)
        {
            int ns = _accountIndex[i];
            if (!_keys.TryGet(ns, _keyScratch.AsSpan(i * KeyBytes, _keyLength[i]), _keyHash[i], out _foundRecord[i])) _foundRecord[i] = -1;
            else if (firstKnown < 0) firstKnown = i;
        }
        if (firstKnown < 0) return false;

        // Every id must name the same earlier command, at the same position, and the payloads must match.
        int origin = bundle ? bundleFirst : _foundRecord[0];
        var conflicts = ConflictFields.None;
        int conflictIndex = -1;
        // origin must open its command: entries 2..n of one batch plus entry 1 of the next are not that batch.
        if (origin < 0 || _entries[origin].CommandFirst != origin || _entries[origin].CommandCount != n || _entries[origin].InBundle != bundle)
        {
            conflicts = ConflictFields.Batch;
            conflictIndex = firstKnown;
        }
        else
        {
            for (int i = 0; i < n; i++)
            {
                var differ = _foundRecord[i] == origin + i
                    ? Compare(in command.Entries[i], in _entries[origin + i], _accountIndex[i])
                    : (bundle && _foundRecord[i] < 0 ? ConflictFields.Account | ConflictFields.Batch : ConflictFields.Batch);
                if (differ != ConflictFields.None && conflictIndex < 0) conflictIndex = i;
                conflicts |= differ;
            }
        }
        if (conflicts != ConflictFields.None)
        {
            Refuse(command, ResultCode.IdempotencyConflict, conflictIndex);
            command.Result.Conflicts = conflicts;
            return true;
        }
        // The first answer, exactly.
        ref var first = ref _entries[origin];
        command.Result.Code = first.Decline;
        command.Result.EntryIndex = first.Decline == ResultCode.Ok ? -1 : first.DeclineEntryIndex;
        command.Result.Rule = RuleIds.NameOf(first.DeclineRuleId);
        command.Result.Replayed = true;
        command.Result.TimestampTicks = first.TimestampTicks;
        for (int i = 0; i < n; i++)
        {
            ref var rec = ref _entries[origin + i];
            ref var r = ref command.EntryResults[i];
            r.Account = _accounts[rec.AccountIndex].Key;
            r.Status = rec.AnsweredStatus;
            r.Sequence = rec.Sequence;
            r.TimestampTicks = rec.TimestampTicks;
            r.EntryType = rec.EntryType;
            r.AmountMinor = rec.AmountMinor;
            r.Currency = rec.Currency;
            r.BalancesAfter = rec.BalancesAfter;
        }
        return true;
    }

    private ConflictFields Compare(in EntryRequest e, in EntryRecord rec, int accountIndex)
    {
        var c = ConflictFields.None;
        if (rec.AccountIndex != accountIndex) c |= ConflictFields.Account;
        if (rec.Kind != e.Kind) c |= ConflictFields.EntryKind;
        if (rec.RequestedEntryType != e.EntryType) c |= ConflictFields.EntryType;
        if (rec.HasRequestedAmount != e.HasAmount || rec.RequestedAmountMinor != (e.HasAmount ? e.AmountMinor : 0)) c |= ConflictFields.Amount;
        if (rec.RequestedCurrency != e.Currency) c |= ConflictFields.Currency;
        if (rec.DescriptionHash != HashDescription(e.Description)) c |= ConflictFields.Description;
        if (rec.RequestedExpiresAtTicks != e.ExpiresAtTicks) c |= ConflictFields.ExpiresAt;
        Span<byte> reference = stackalloc byte[KeyBytes];
        int refLength = e.Reference is null ? 0 : NormalizeKey(e.Reference, reference);
        if (refLength != rec.ReferenceKeyLength ||
            (refLength > 0 && !_keys.KeyAt(rec.ReferenceKeyOffset, rec.ReferenceKeyLength).SequenceEqual(reference[..refLength])))
        {
            c |= ConflictFields.Reference;
        }
        return c;
    }

    // ---------------- deciding ----------------

    private ResultCode Decide(LedgerCommand command, int i, ref EntryPlan plan, out byte ruleId)
    {
        ref var e = ref command.Entries[i];
        ruleId = 0;
        plan = default;
        plan.AccountIndex = _accountIndex[i];
        plan.ReferenceRecord = -1;
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
                int target = _refRecord[i];
                if (target < 0) return ResultCode.ReferenceNotFound;
                ref var hold = ref _entries[target];
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
                FromReference(ref plan, in hold, target, amount);
                plan.DeltaAvailable = amount;
                plan.DeltaHeld = -amount;
                plan.ReferenceHeldReleased = amount;
                plan.ReferenceNewStatus = _simRecordHeld[simRec] == 0 ? EntryStatus.Released : EntryStatus.None;
                return ResultCode.Ok;
            }
            case EntryKind.Reversal:
            {
                int target = _refRecord[i];
                if (target < 0) return ResultCode.ReferenceNotFound;
                ref var original = ref _entries[target];
                if (original.Kind != EntryKind.Ledger || original.Status != EntryStatus.Posted) return ResultCode.NotReversible;
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
                int target = _refRecord[i];
                if (target < 0) return ResultCode.ReferenceNotFound;
                ref var hold = ref _entries[target];
                int simRec = SimRecord(target);
                if (_simRecordStatus[simRec] != EntryStatus.Pending) return ResultCode.EntryNotPending;
                long amount = _simRecordHeld[simRec];
                _simRecordHeld[simRec] = 0;
                _simRecordStatus[simRec] = EntryStatus.Removed;
                _simHeld[sim] -= amount;
                _simAvailable[sim] += amount;
                plan.Status = EntryStatus.Removed;
                FromReference(ref plan, in hold, target, amount);
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

    private static void FromReference(ref EntryPlan plan, in EntryRecord original, int target, long amount)
    {
        plan.ReferenceRecord = target;
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

    private int SimRecord(int recordIndex)
    {
        for (int s = 0; s < _simRecordCount; s++)
        {
            if (_simRecord[s] == recordIndex) return s;
        }
        int added = _simRecordCount++;
        ref var rec = ref _entries[recordIndex];
        _simRecord[added] = recordIndex;
        _simRecordHeld[added] = rec.HeldRemainingMinor;
        _simRecordStatus[added] = rec.Status;
        _simRecordReversed[added] = rec.ReversedByRecord >= 0;
        return added;
    }

    // ---------------- remembering and applying ----------------

    /// <summary>A ledger decline: remembered under every id of the command (sticky), nothing else changes.</summary>
    private void RememberDecline(LedgerCommand command, int n, bool bundle, ResultCode code, int entryIndex, byte ruleId)
    {
        Refuse(command, code, entryIndex, RuleIds.NameOf(ruleId));
        int first = _entries.Count;
        for (int i = 0; i < n; i++)
        {
            int index = Remember(command, i, first, n, bundle);
            ref var rec = ref _entries[index];
            rec.Decline = code;
            rec.DeclineEntryIndex = entryIndex;
            rec.DeclineRuleId = ruleId;
            rec.ReferenceRecord = -1;
            rec.ReversedByRecord = -1;
            rec.TimestampTicks = ClockTicks;
        }
        if (bundle) IndexBundle(command, first);
        command.ChangedState = true;
    }

    private void ApplyPlans(LedgerCommand command, int n, bool bundle)
    {
        int first = _entries.Count;
        for (int i = 0; i < n; i++)
        {
            ref var plan = ref _plans[i];
            ref var e = ref command.Entries[i];
            int index = Remember(command, i, first, n, bundle);
            ref var rec = ref _entries[index];
            rec.Status = plan.Status;
            rec.AnsweredStatus = plan.Status;
            rec.EntryType = plan.EntryType;
            rec.Direction = plan.Direction;
            rec.AmountMinor = plan.AmountMinor;
            rec.Currency = plan.Currency;
            rec.Sequence = ++LastSequence;
            rec.TimestampTicks = ClockTicks;
            rec.ReferenceRecord = plan.ReferenceRecord;
            rec.ReversedByRecord = -1;
            if (e.Kind == EntryKind.Blocking)
            {
                rec.HeldRemainingMinor = plan.AmountMinor;
                rec.ExpiresAtTicks = e.ExpiresAtTicks;
                if (e.ExpiresAtTicks != 0) _expiryQueue.Add(index, e.ExpiresAtTicks);
            }

            ref var account = ref _accounts[plan.AccountIndex];
            account.AvailableMinor += plan.DeltaAvailable;
            account.HeldMinor += plan.DeltaHeld;

            long referenceSequence = 0;
            if (plan.ReferenceRecord >= 0)
            {
                ref var target = ref _entries[plan.ReferenceRecord];
                referenceSequence = target.Sequence;
                target.HeldRemainingMinor -= plan.ReferenceHeldReleased;
                if (e.Kind == EntryKind.Reversal) target.ReversedByRecord = index;
                if (plan.ReferenceNewStatus != EntryStatus.None) target.Status = plan.ReferenceNewStatus;
            }

            ref var ev = ref command.AddEvent();
            ev.Kind = LedgerEventKind.EntryApplied;
            ev.Sequence = rec.Sequence;
            ev.TimestampTicks = ClockTicks;
            ev.Account = account.Key;
            ev.Currency = plan.Currency;
            ev.EntryKind = e.Kind;
            ev.Status = plan.Status;
            ev.EntryType = plan.EntryType;
            ev.AmountMinor = plan.AmountMinor;
            ev.CorrelationId = e.CorrelationId;
            ev.Description = e.Description;
            ev.ReferenceSequence = referenceSequence;
            ev.ExpiresAtTicks = e.ExpiresAtTicks;
            ev.BalancesAfter = account.Balances;

            if (plan.ReferenceRecord >= 0 && (e.Kind == EntryKind.Reversal || plan.ReferenceNewStatus != EntryStatus.None))
            {
                ref var target = ref _entries[plan.ReferenceRecord];
                AddStatusChanged(command, in target, in account, target.Status, plan.ReferenceHeldReleased, causedBy: rec.Sequence);
            }
        }
        // Answers carry each account's balances after the whole command.
        for (int i = 0; i < n; i++)
        {
            ref var rec = ref _entries[first + i];
            rec.BalancesAfter = _accounts[rec.AccountIndex].Balances;
            ref var r = ref command.EntryResults[i];
            r.Account = _accounts[rec.AccountIndex].Key;
            r.Status = rec.AnsweredStatus;
            r.Sequence = rec.Sequence;
            r.TimestampTicks = rec.TimestampTicks;
            r.EntryType = rec.EntryType;
            r.AmountMinor = rec.AmountMinor;
            r.Currency = rec.Currency;
            r.BalancesAfter = rec.BalancesAfter;
        }
        if (bundle) IndexBundle(command, first);
        command.Result.Code = ResultCode.Ok;
        command.ChangedState = true;
    }

    /// <summary>Adds the record of entry i (what was asked) and indexes its correlation id.</summary>
    private int Remember(LedgerCommand command, int i, int first, int n, bool bundle)
    {
        ref var e = ref command.Entries[i];
        int index = _entries.Add();
        ref var rec = ref _entries[index];
        int ns = _accountIndex[i];
        rec.AccountIndex = ns;
        rec.KeyLength = (byte)_keyLength[i];
        rec.KeyOffset = _keys.Add(ns, _keyScratch.AsSpan(i * KeyBytes, _keyLength[i]), _keyHash[i], index);
        rec.Kind = e.Kind;
        rec.RequestedEntryType = e.EntryType;
        rec.HasRequestedAmount = e.HasAmount;
        rec.RequestedAmountMinor = e.HasAmount ? e.AmountMinor : 0;
        rec.RequestedCurrency = e.Currency;
        rec.RequestedExpiresAtTicks = e.ExpiresAtTicks;
        rec.DescriptionHash = HashDescription(e.Description);
        if (e.Reference is not null)
        {
            int refLength = e.Reference.Length;
            rec.ReferenceKeyOffset = _keys.StoreBytes(_refScratch.AsSpan(i * KeyBytes, refLength));
            rec.ReferenceKeyLength = (byte)refLength;
        }
        rec.CommandFirst = first;
        rec.CommandCount = n;
        rec.InBundle = bundle;
        return index;
    }

    private void IndexBundle(LedgerCommand command, int first)
    {
        var key = _bundleScratch.AsSpan(0, command.BundleId!.Length);
        _keys.Add(KeyIndex.BundleNamespace, key, KeyIndex.Hash(KeyIndex.BundleNamespace, key), first);
    }
}
