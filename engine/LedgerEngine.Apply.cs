using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using Ledger.Engine.State;

namespace Ledger.Engine;

/// <summary>Remembering and applying: a declined command is remembered (sticky), a decided one applied from its plans.</summary>
public sealed partial class LedgerEngine
{
    private readonly int[] _newSlot = new int[2 * Limits.EntriesPerBatchMax];
    private EntryImage _scratch; // the image being built before it enters the cache (inserting pins an open hold)

    /// <summary>
    /// A ledger decline: remembered under every id of the command (sticky), nothing else changes. <paramref name="detail"/>
    /// is the rule's id for <see cref="ResultCode.RuleDeclined"/>, the disagreeing field (a <see cref="ConflictFields"/>
    /// bit) for <see cref="ResultCode.ReferenceMismatch"/>, whose failing entry's image also keeps the referenced entry's
    /// entryType, amount and currency in its decided fields (a replay answers with them again).
    /// </summary>
    private void RememberDecline(LedgerCommand command, int n, bool bundle, ResultCode code, int entryIndex, byte detail)
    {
        Refuse(command, code, entryIndex, code == ResultCode.RuleDeclined ? RuleIds.NameOf(detail) : null);
        if (code == ResultCode.ReferenceMismatch) command.Result.Conflicts = (ConflictFields)detail;
        for (int i = 0; i < n; i++)
        {
            ref var image = ref NewImage(command, i, n, bundle);
            image.Decline = code;
            image.DeclineEntryIndex = entryIndex;
            image.DeclineRuleId = detail;
            if (code == ResultCode.ReferenceMismatch && i == entryIndex)
            {
                ref readonly var referenced = ref _cache[_refSlot[i]];
                image.EntryType = referenced.EntryType;
                image.AmountMinor = referenced.AmountMinor;
                image.Currency = referenced.Currency;
            }
            WriteResult(ref command.EntryResults[i], in image);
            Remember(i);
        }
        if (bundle) RememberBundle(command, n);
        command.ChangedState = true;
    }

    private void ApplyPlans(LedgerCommand command, int n, bool bundle)
    {
        int total = n + _feeCount;
        for (int j = 0; j < total; j++)
        {
            ref var plan = ref _plans[j];
            bool fee = j >= n;
            int carrier = fee ? _feeOf[j - n] : j;
            ref var e = ref command.Entries[carrier];
            var kind = e.Kind; // a fee entry takes its carrier's kind: a ledger fee, or the reversal of one
            ref var image = ref fee ? ref NewFeeImage(command, j - n, n, bundle) : ref NewImage(command, j, n, bundle);
            if (!fee && HasFeeEntry(j)) image.Flags |= EntryFlags.HasFee;
            image.Status = plan.Status;
            image.AnsweredStatus = plan.Status;
            image.EntryType = plan.EntryType;
            image.Direction = plan.Direction;
            image.AmountMinor = plan.AmountMinor;
            image.Currency = plan.Currency;
            image.Sequence = ++LastSequence;
            if (kind == EntryKind.Blocking)
            {
                image.HeldRemainingMinor = plan.AmountMinor;
                image.ExpiresAtTicks = e.ExpiresAtTicks;
            }
            if (plan.ReferenceSlot >= 0) image.ReferenceSequence = _cache[plan.ReferenceSlot].Sequence;
            long sequence = image.Sequence;
            long referenceSequence = image.ReferenceSequence;
            int slot = Remember(j); // may grow the cache: take no ref into it across this call
            if (kind == EntryKind.Blocking && e.ExpiresAtTicks != 0) _expiryQueue.Add(slot, sequence, e.ExpiresAtTicks);

            ref var account = ref _accounts[plan.AccountIndex];
            account.AvailableMinor += plan.DeltaAvailable;
            account.HeldMinor += plan.DeltaHeld;
            AccountChanged(plan.AccountIndex);
            if (plan.CodeCounterScope >= 0) Count(account.Key.Packed, plan.CodeCounterScope, plan.Day, plan.AmountMinor);
            if (plan.DomainCounterScope >= 0) Count(account.Key.Packed, plan.DomainCounterScope, plan.Day, plan.AmountMinor);

            if (plan.ReferenceSlot >= 0)
            {
                ref var target = ref _cache[plan.ReferenceSlot];
                target.HeldRemainingMinor -= plan.ReferenceHeldReleased;
                if (kind == EntryKind.Reversal) target.ReversedBySequence = sequence;
                if (plan.ReferenceNewStatus != EntryStatus.None) target.Status = plan.ReferenceNewStatus;
                _cache.UpdatePin(plan.ReferenceSlot);
                EntryChanged(plan.ReferenceSlot);
            }

            ref var ev = ref command.AddEvent();
            ev.Kind = LedgerEventKind.EntryApplied;
            ev.Sequence = sequence;
            ev.TimestampTicks = ClockTicks;
            ev.Account = account.Key;
            ev.Currency = plan.Currency;
            ev.EntryKind = kind;
            ev.Status = plan.Status;
            ev.EntryType = plan.EntryType;
            ev.AmountMinor = plan.AmountMinor;
            // The prefetch stage derived the fee id (LedgerCommand.DeriveLedgerFeeIds / DeriveReversalFeeIds): the engine allocates none.
            ev.CorrelationId = fee ? e.FeeCorrelationId ?? MissingFeeId() : e.CorrelationId;
            ev.Description = fee ? null : e.Description;
            ev.ReferenceSequence = referenceSequence;
            ev.ExpiresAtTicks = fee ? 0 : e.ExpiresAtTicks;
            ev.BalancesAfter = account.Balances;
            if (fee) ev.FeeOfSequence = _cache[_newSlot[carrier]].Sequence;

            if (plan.ReferenceSlot >= 0 && (kind == EntryKind.Reversal || plan.ReferenceNewStatus != EntryStatus.None))
            {
                ref var target = ref _cache[plan.ReferenceSlot];
                // ENTRY_REVERSED carries the reversed entry's amount (issue 18); a release or removal the amount that moved.
                long amount = kind == EntryKind.Reversal ? target.AmountMinor : plan.ReferenceHeldReleased;
                AddStatusChanged(command, in target, in account, target.Status, amount, causedBy: sequence);
            }
            _newSlot[j] = slot;
        }
        // Answers carry each account's balances after the whole command.
        for (int j = 0; j < total; j++)
        {
            ref var image = ref _cache[_newSlot[j]];
            image.BalancesAfter = _accounts[_accountIndex[j]].Balances;
            ref var r = ref ResultAt(command, j);
            WriteResult(ref r, in image);
            if (j >= n) r.FeeOfIndex = _feeOf[j - n];
        }
        if (bundle) RememberBundle(command, n);
        command.Result.Code = ResultCode.Ok;
        command.Result.FeeCount = _feeCount;
        FeesPosted += _feeCount;
        command.ChangedState = true;
    }

    private static string MissingFeeId() =>
        throw new InvariantViolationException("Invariant: a fee is posted for an entry whose fee id the prefetch stage did not derive.");

    private bool HasFeeEntry(int i) => _feeIndexOf[i] >= 0;

    /// <summary>Starts the image of fee entry k (entry n + k: the ledger's own, flagged <see cref="EntryFlags.Fee"/>, at position n + k of the command) in the scratch image.</summary>
    private ref EntryImage NewFeeImage(LedgerCommand command, int k, int n, bool bundle)
    {
        int j = n + k;
        ref var carrier = ref command.Entries[_feeOf[k]];
        ref var image = ref _scratch;
        image = default;
        image.AccountPacked = carrier.Account.Packed;
        image.SetKey(_keyScratch.AsSpan(j * KeyBytes, _keyLength[j]));
        image.Kind = carrier.Kind;
        image.RequestedEntryType = _feeCode[k];
        image.Flags = EntryFlags.Fee | EntryFlags.HasRequestedAmount | (bundle ? EntryFlags.InBundle : EntryFlags.None);
        image.RequestedAmountMinor = _feeAmount[k];
        image.RequestedCurrency = _accounts[_accountIndex[j]].Currency;
        image.TimestampTicks = ClockTicks;
        image.RecordNumber = _current;
        image.CommandPosition = j;
        image.CommandCount = n;
        return ref image;
    }

    /// <summary>Starts the image of entry i (what was asked, and the command it came in) in the scratch image.</summary>
    private ref EntryImage NewImage(LedgerCommand command, int i, int n, bool bundle)
    {
        ref var e = ref command.Entries[i];
        ref var image = ref _scratch;
        image = default;
        image.AccountPacked = e.Account.Packed;
        image.SetKey(_keyScratch.AsSpan(i * KeyBytes, _keyLength[i]));
        image.Kind = e.Kind;
        image.RequestedEntryType = e.EntryType;
        image.Flags = (e.HasAmount ? EntryFlags.HasRequestedAmount : EntryFlags.None) | (bundle ? EntryFlags.InBundle : EntryFlags.None);
        image.RequestedAmountMinor = e.HasAmount ? e.AmountMinor : 0;
        image.RequestedCurrency = e.Currency;
        image.RequestedExpiresAtTicks = e.ExpiresAtTicks;
        image.DescriptionHash = HashDescription(e.Description);
        image.ReferenceHash = e.Reference is null ? 0 : EntryKeys.Hash(0, _refScratch.AsSpan(i * KeyBytes, e.Reference.Length));
        image.TimestampTicks = ClockTicks;
        image.RecordNumber = _current;
        image.CommandPosition = i;
        image.CommandCount = n;
        return ref image;
    }

    /// <summary>Caches the scratch image as entry i's record (a new key: entry i was not found) and lists it as changed.</summary>
    private int Remember(int i)
    {
        int slot = _cache.Insert(in _scratch, _keyHash[i], _watermark, _current);
        EntryChanged(slot);
        return slot;
    }

    private void RememberBundle(LedgerCommand command, int n)
    {
        var key = _bundleScratch.AsSpan(0, command.BundleId!.Length);
        ref var image = ref _scratch;
        image = default;
        image.AccountPacked = EntryKeys.BundleAccount;
        image.SetKey(key);
        image.Flags = EntryFlags.Bundle;
        image.TimestampTicks = ClockTicks;
        image.RecordNumber = _current;
        image.CommandCount = n;
        int slot = _cache.Insert(in _scratch, EntryKeys.Hash(EntryKeys.BundleAccount, key), _watermark, _current);
        EntryChanged(slot);
    }
}
