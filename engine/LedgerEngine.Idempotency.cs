using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.State;

namespace Ledger.Engine;

/// <summary>Finding the entries a command names (cache first, then what the prefetch stage read), and idempotency.</summary>
public sealed partial class LedgerEngine
{
    // Scratch, sized once for the largest command (no allocation per command).
    // Entry i's key at i; a fee entry's (the k-th of the command) at n + k: twice the largest command.
    private readonly byte[] _keyScratch = new byte[2 * Limits.EntriesPerBatchMax * KeyBytes];
    private readonly byte[] _refScratch = new byte[Limits.EntriesPerBatchMax * KeyBytes];
    private readonly byte[] _bundleScratch = new byte[KeyBytes];
    private readonly int[] _keyLength = new int[2 * Limits.EntriesPerBatchMax];
    private readonly ulong[] _keyHash = new ulong[2 * Limits.EntriesPerBatchMax];
    private readonly int[] _accountIndex = new int[2 * Limits.EntriesPerBatchMax];
    private readonly int[] _foundSlot = new int[Limits.EntriesPerBatchMax];
    private readonly int[] _refSlot = new int[Limits.EntriesPerBatchMax];
    private readonly int[] _dedupSlots = new int[4096];
    private readonly int[] _dedupStamp = new int[4096];
    private int _dedupGeneration;

    /// <summary>
    /// The cache slot of the entry (account, key), loading it from the command's prefetched lookup at
    /// <paramref name="position"/> when the cache lacks it; -1 when the ledger has no such entry. See
    /// <see cref="EntryCache"/> for why the cache, then the prefetched image, is the truth.
    /// </summary>
    private int Resolve(LedgerCommand command, int position, long account, ReadOnlySpan<byte> key, ulong hash)
    {
        int slot = _cache.Find(account, key, hash);
        if (slot >= 0)
        {
            _cache.Hits++;
            _cache.Touch(slot, _current);
            return slot;
        }
        if (!command.Prefetched) return -1;
        ref var lookup = ref command.Lookups[position];
        if (lookup.KeyHash != hash) Invariant.Fail("a prefetched lookup names another key than the engine looks for");
        if (!lookup.Found) return -1;
        ref readonly var image = ref lookup.Image;
        if (image.AccountPacked != account || !image.KeySpan.SequenceEqual(key)) Invariant.Fail("the store answered a lookup with another entry");
        if (image.LastChange > command.StoreWatermark) Invariant.Fail("the store holds a change past its own watermark");
        if (image.IsOpenHold) Invariant.Fail("an open hold was not in RAM (open holds are never evicted)");
        _cache.Loads++;
        return _cache.Insert(in image, hash, _watermark, _current);
    }

    private bool CheckShapeAndAccounts(LedgerCommand command, int n, bool bundle)
    {
        var firstAccount = command.Entries[0].Account;
        if (bundle && EntryKeys.Normalize(command.BundleId, _bundleScratch) <= 0)
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
            int length = EntryKeys.Normalize(e.CorrelationId, _keyScratch.AsSpan(i * KeyBytes, KeyBytes));
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
            _keyHash[i] = EntryKeys.Hash(e.Account.Packed, _keyScratch.AsSpan(i * KeyBytes, length));
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
                // Any entry type: one the catalog lacks is declined (UnknownHistoryCode), not malformed.
                return e.HasAmount && e.AmountMinor > 0 && !e.Currency.IsNone &&
                       e.Reference is null && (e.ExpiresAtTicks == 0 || e.Kind == EntryKind.Blocking);
            case EntryKind.Unblocking:
                return e.Reference is not null && (!e.HasAmount || e.AmountMinor > 0) && e.ExpiresAtTicks == 0 && IsValidKey(e.Reference);
            case EntryKind.Reversal:
            case EntryKind.Removal:
                // An amount is allowed as a check (it must be the referenced entry's), never as a partial amount.
                return e.Reference is not null && (!e.HasAmount || e.AmountMinor > 0) && e.ExpiresAtTicks == 0 && IsValidKey(e.Reference);
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

    /// <summary>
    /// Resolves every reference (an entry that already exists; not one of the same command) and checks each entry's
    /// domain, which for a follow-up kind is the referenced entry's code.
    /// </summary>
    private bool ResolveReferencesAndDomains(LedgerCommand command, int n)
    {
        for (int i = 0; i < n; i++)
        {
            ref var e = ref command.Entries[i];
            _refSlot[i] = -1;
            int type = e.EntryType;
            if (e.Reference is not null)
            {
                int refLength = EntryKeys.Normalize(e.Reference, _refScratch.AsSpan(i * KeyBytes, KeyBytes));
                var refKey = _refScratch.AsSpan(i * KeyBytes, refLength);
                long account = e.Account.Packed;
                int found = Resolve(command, 2 * i + 1, account, refKey, EntryKeys.Hash(account, refKey));
                if (found >= 0 && _cache[found].Status != EntryStatus.None && !_cache[found].IsBundle)
                {
                    _refSlot[i] = found;
                    type = _cache[found].EntryType;
                }
            }
            if (type >= 0 && !IsPermitted(command, type))
            {
                Refuse(command, ResultCode.DomainNotPermitted, i);
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// A command whose ids were seen before: the first answer again if it is the same request, else a conflict.
    /// Returns false when no id is known (a new command).
    /// </summary>
    private bool AnswerFromMemory(LedgerCommand command, int n, bool bundle)
    {
        int firstKnown = -1;
        int bundleSlot = -1;
        if (bundle)
        {
            var bundleKey = _bundleScratch.AsSpan(0, command.BundleId!.Length);
            bundleSlot = Resolve(command, 2 * n, EntryKeys.BundleAccount, bundleKey, EntryKeys.Hash(EntryKeys.BundleAccount, bundleKey));
            if (bundleSlot >= 0) firstKnown = 0;
        }
        for (int i = 0; i < n; i++) _cache.Prefetch(_keyHash[i]); // the index slots miss together, not one per Resolve
        for (int i = 0; i < n; i++)
        {
            _foundSlot[i] = Resolve(command, 2 * i, command.Entries[i].Account.Packed, _keyScratch.AsSpan(i * KeyBytes, _keyLength[i]), _keyHash[i]);
            if (_foundSlot[i] >= 0 && firstKnown < 0) firstKnown = i;
        }
        if (firstKnown < 0) return false;

        // Every id must name the same earlier command, at the same position, and the payloads must match.
        var conflicts = ConflictFields.None;
        int conflictIndex = -1;
        long origin = OriginOf(n, bundle, bundleSlot);
        if (origin <= 0)
        {
            conflicts = ConflictFields.Batch;
            conflictIndex = firstKnown;
        }
        else
        {
            for (int i = 0; i < n; i++)
            {
                int slot = _foundSlot[i];
                // A fee entry's id is the ledger's derivation, never a partner's request: naming one is another batch.
                var differ = slot >= 0 && _cache[slot].RecordNumber == origin && _cache[slot].CommandPosition == i && !_cache[slot].IsBundle && !_cache[slot].IsFee
                    ? Compare(in command.Entries[i], in _cache[slot])
                    : (bundle && slot < 0 ? ConflictFields.Account | ConflictFields.Batch : ConflictFields.Batch);
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
        ref var first = ref _cache[_foundSlot[0]];
        command.Result.Code = first.Decline;
        command.Result.EntryIndex = first.Decline == ResultCode.Ok ? -1 : first.DeclineEntryIndex;
        command.Result.Rule = first.Decline == ResultCode.RuleDeclined ? RuleIds.NameOf(first.DeclineRuleId) : null;
        command.Result.Conflicts = first.Decline == ResultCode.ReferenceMismatch ? (ConflictFields)first.DeclineRuleId : ConflictFields.None;
        command.Result.Replayed = true;
        command.Result.TimestampTicks = first.TimestampTicks;
        for (int i = 0; i < n; i++) WriteResult(ref command.EntryResults[i], in _cache[_foundSlot[i]]);
        // The fee entries the first answer listed, after the requested ones, as they were answered then (whatever the catalog says now).
        int fees = 0;
        for (int i = 0; i < n; i++)
        {
            if (!_cache[_foundSlot[i]].HasFee) continue;
            int j = n + fees;
            int slot = Resolve(command, LookupPlan.Fee(n, i), command.Entries[i].Account.Packed, FeeKeyOf(i, j), _keyHash[j]);
            if (slot < 0 || !_cache[slot].IsFee) Invariant.Fail("an entry that carried a fee has no fee entry");
            ref var r = ref ResultAt(command, j);
            WriteResult(ref r, in _cache[slot]);
            r.FeeOfIndex = i;
            fees++;
        }
        command.Result.FeeCount = fees;
        return true;
    }

    /// <summary>Writes entry i's fee key (its own followed by <c>:fee</c>) at scratch position j, with its length and hash; returns it.</summary>
    private ReadOnlySpan<byte> FeeKeyOf(int i, int j)
    {
        int length = _keyLength[i];
        var to = _keyScratch.AsSpan(j * KeyBytes, KeyBytes);
        _keyScratch.AsSpan(i * KeyBytes, length).CopyTo(to);
        FeeIds.SuffixBytes.CopyTo(to[length..]);
        length += FeeIds.SuffixBytes.Length;
        _keyLength[j] = length;
        _accountIndex[j] = _accountIndex[i];
        _keyHash[j] = EntryKeys.Hash(_accounts[_accountIndex[i]].Key.Packed, to[..length]);
        return to[..length];
    }

    /// <summary>The result at <paramref name="j"/>; producers size results for a fee per entry (<see cref="LedgerCommand.EnsureEntryCapacity"/>), so this grows only a hand-made command's.</summary>
    private static ref EntryResult ResultAt(LedgerCommand command, int j)
    {
        if (j >= command.EntryResults.Length) Array.Resize(ref command.EntryResults, Math.Max(j + 1, 2 * command.EntryResults.Length));
        return ref command.EntryResults[j];
    }

    /// <summary>
    /// The record number of the earlier command a replayed request must be: the bundle's, or for a batch the command
    /// whose first entry is entry 0 (entries 2..n of one batch plus entry 1 of the next are not that batch); 0 when
    /// there is no such command of the same size and kind.
    /// </summary>
    private long OriginOf(int n, bool bundle, int bundleSlot)
    {
        if (bundle)
        {
            if (bundleSlot < 0) return 0;
            ref var b = ref _cache[bundleSlot];
            return b.CommandCount == n ? b.RecordNumber : 0;
        }
        int first = _foundSlot[0];
        if (first < 0) return 0;
        ref var f = ref _cache[first];
        return f.CommandPosition == 0 && f.CommandCount == n && !f.InBundle && !f.IsBundle ? f.RecordNumber : 0;
    }

    private static ConflictFields Compare(in EntryRequest e, in EntryImage rec)
    {
        var c = ConflictFields.None;
        if (rec.AccountPacked != e.Account.Packed) c |= ConflictFields.Account;
        if (rec.Kind != e.Kind) c |= ConflictFields.EntryKind;
        if (rec.RequestedEntryType != e.EntryType) c |= ConflictFields.EntryType;
        if (rec.HasRequestedAmount != e.HasAmount || rec.RequestedAmountMinor != (e.HasAmount ? e.AmountMinor : 0)) c |= ConflictFields.Amount;
        if (rec.RequestedCurrency != e.Currency) c |= ConflictFields.Currency;
        if (rec.DescriptionHash != HashDescription(e.Description)) c |= ConflictFields.Description;
        if (rec.RequestedExpiresAtTicks != e.ExpiresAtTicks) c |= ConflictFields.ExpiresAt;
        if (rec.ReferenceHash != HashReference(e.Reference)) c |= ConflictFields.Reference;
        return c;
    }

    /// <summary>What a remembered entry answers for itself (a replay, or the first answer).</summary>
    private static void WriteResult(ref EntryResult r, in EntryImage rec)
    {
        r.Account = AccountKey.FromPacked(rec.AccountPacked);
        r.Status = rec.AnsweredStatus;
        r.Sequence = rec.Sequence;
        r.TimestampTicks = rec.TimestampTicks;
        r.EntryType = rec.EntryType;
        r.AmountMinor = rec.AmountMinor;
        r.Currency = rec.Currency;
        r.BalancesAfter = rec.BalancesAfter;
        r.FeeOfIndex = 0;
    }

    private static ulong HashReference(string? reference)
    {
        if (reference is null) return 0;
        Span<byte> key = stackalloc byte[KeyBytes];
        int length = EntryKeys.Normalize(reference, key);
        return length <= 0 ? 0 : EntryKeys.Hash(0, key[..length]);
    }
}
