using System.Runtime.CompilerServices;
using Ledger.Engine.State;

namespace Ledger.Engine;

public sealed partial class LedgerEngine
{
    /// <summary>
    /// A deterministic hash of the whole state (accounts, remembered entries with their keys, sequence).
    /// The same commands give the same hash on any machine; replay and recovery compare it. O(state).
    /// The clock is left out: a tick that expired nothing changes no state and is not journaled.
    /// </summary>
    public ulong ComputeStateHash()
    {
        ulong h = 0xCBF29CE484222325UL;
        h = Step(h, (ulong)LastSequence);
        h = Step(h, (ulong)_accounts.Count);
        foreach (ref readonly var a in _accounts.All)
        {
            h = Step(h, (ulong)a.Key.Packed);
            h = Step(h, (ulong)(uint)a.Currency.Packed);
            h = Step(h, (ulong)a.OverdraftLimitMinor);
            h = Step(h, (ulong)a.AvailableMinor);
            h = Step(h, (ulong)a.HeldMinor);
            h = Step(h, (ulong)a.OpenedAtTicks);
        }
        h = Step(h, (ulong)_entries.Count);
        foreach (ref readonly var r in _entries.All)
        {
            h = Step(h, KeyIndex.Hash(r.AccountIndex, _keys.KeyAt(r.KeyOffset, r.KeyLength)));
            h = Step(h, (ulong)r.Kind | (ulong)r.Status << 8 | (ulong)r.AnsweredStatus << 16 | (ulong)r.Decline << 24 |
                        (ulong)r.Direction << 32 | (ulong)r.DeclineRuleId << 40 | (r.InBundle ? 1UL << 48 : 0));
            h = Step(h, (ulong)r.Sequence);
            h = Step(h, (ulong)r.TimestampTicks);
            h = Step(h, (ulong)(uint)r.EntryType << 32 | (uint)r.Currency.Packed);
            h = Step(h, (ulong)r.AmountMinor);
            h = Step(h, (ulong)r.HeldRemainingMinor);
            h = Step(h, (ulong)r.ExpiresAtTicks);
            h = Step(h, (ulong)(uint)r.ReferenceRecord << 32 | (uint)r.ReversedByRecord);
            h = Step(h, (ulong)r.BalancesAfter.AvailableMinor);
            h = Step(h, (ulong)r.BalancesAfter.HeldMinor);
            h = Step(h, (ulong)(uint)r.CommandFirst << 32 | (uint)r.CommandCount);
            h = Step(h, r.DescriptionHash);
            h = Step(h, (ulong)r.RequestedAmountMinor ^ (ulong)r.RequestedExpiresAtTicks);
        }
        return h;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Step(ulong h, ulong v)
    {
        h ^= v + 0x9E3779B97F4A7C15UL + (h << 6) + (h >> 2);
        h *= 0x100000001B3UL;
        return h ^ (h >> 32);
    }
}
