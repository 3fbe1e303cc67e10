using System.Runtime.CompilerServices;
using Ledger.Engine.State;

namespace Ledger.Engine;

public sealed partial class LedgerEngine
{
    /// <summary>
    /// A deterministic hash of the ledger: the live state (every account, every open hold, last sequence and record
    /// number) and the running <see cref="HistoryHash"/> of every entry image ever remembered. O(live state), not
    /// O(history). Accounts and holds are combined order-independently, so a ledger restored from the entry store
    /// (which lists them in key order) hashes as the one that built them. The same commands give the same hash on any
    /// machine; recovery, replay and the tools compare it. The clock is left out: a tick that expired nothing changes
    /// no state and is not journaled.
    /// </summary>
    public ulong ComputeStateHash()
    {
        ulong h = 0xCBF29CE484222325UL;
        h = HashStep(h, (ulong)LastSequence);
        h = HashStep(h, (ulong)RecordNumber);
        h = HashStep(h, _historyHash);
        h = HashStep(h, (ulong)_accounts.Count);
        ulong accounts = 0;
        foreach (ref readonly var a in _accounts.All) accounts += HashOf(in a);
        h = HashStep(h, accounts);
        ulong holds = 0;
        int open = 0;
        foreach (int slot in _cache.PinnedSlots())
        {
            holds += HashOf(in _cache[slot]);
            open++;
        }
        h = HashStep(h, (ulong)open);
        h = HashStep(h, holds);
        // Daily counters only when there are any, so a ledger that never had a daily rule hashes as it always did.
        if (_daily.Count == 0) return h;
        h = HashStep(h, (ulong)_daily.Count);
        return HashStep(h, _daily.HashAll(static c => HashOf(in c)));
    }

    private static ulong HashOf(in DailyCounter c)
    {
        ulong h = 0x27D4EB2F165667C5UL;
        h = HashStep(h, (ulong)c.AccountPacked);
        h = HashStep(h, (ulong)(uint)c.Scope << 32 | (uint)c.Day);
        h = HashStep(h, (ulong)(uint)c.Count);
        return HashStep(h, (ulong)c.SumMinor);
    }

    private static ulong HashOf(in AccountState a)
    {
        ulong h = 0x84222325CBF29CE4UL;
        h = HashStep(h, (ulong)a.Key.Packed);
        h = HashStep(h, (ulong)(uint)a.Currency.Packed);
        h = HashStep(h, (ulong)a.OverdraftLimitMinor);
        h = HashStep(h, (ulong)a.AvailableMinor);
        h = HashStep(h, (ulong)a.HeldMinor);
        return HashStep(h, (ulong)a.OpenedAtTicks);
    }

    /// <summary>Every field of an image (what the store keeps of an entry), so any difference in any decision shows.</summary>
    internal static ulong HashOf(in EntryImage r)
    {
        ulong h = EntryKeys.Hash(r.AccountPacked, r.KeySpan);
        h = HashStep(h, (ulong)r.Kind | (ulong)r.Status << 8 | (ulong)r.AnsweredStatus << 16 | (ulong)r.Decline << 24 |
                        (ulong)r.Direction << 32 | (ulong)r.DeclineRuleId << 40 | (ulong)r.Flags << 48);
        h = HashStep(h, (ulong)(uint)r.RequestedEntryType << 32 | (uint)r.RequestedCurrency.Packed);
        h = HashStep(h, (ulong)r.RequestedAmountMinor);
        h = HashStep(h, (ulong)r.RequestedExpiresAtTicks);
        h = HashStep(h, r.DescriptionHash);
        h = HashStep(h, r.ReferenceHash);
        h = HashStep(h, (ulong)(uint)r.EntryType << 32 | (uint)r.Currency.Packed);
        h = HashStep(h, (ulong)r.AmountMinor);
        h = HashStep(h, (ulong)r.Sequence);
        h = HashStep(h, (ulong)r.TimestampTicks);
        h = HashStep(h, (ulong)r.HeldRemainingMinor);
        h = HashStep(h, (ulong)r.ExpiresAtTicks);
        h = HashStep(h, (ulong)r.ReferenceSequence);
        h = HashStep(h, (ulong)r.ReversedBySequence);
        h = HashStep(h, (ulong)r.BalancesAfter.AvailableMinor);
        h = HashStep(h, (ulong)r.BalancesAfter.HeldMinor);
        h = HashStep(h, (ulong)r.RecordNumber);
        h = HashStep(h, (ulong)(uint)r.CommandPosition << 32 | (uint)r.CommandCount);
        h = HashStep(h, (ulong)(uint)r.DeclineEntryIndex);
        return HashStep(h, (ulong)r.LastChange);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong HashStep(ulong h, ulong v)
    {
        h ^= v + 0x9E3779B97F4A7C15UL + (h << 6) + (h >> 2);
        h *= 0x100000001B3UL;
        return h ^ (h >> 32);
    }
}
