using System.Diagnostics.CodeAnalysis;
using Ledger.Engine.Domain;
using Ledger.Engine.State;

namespace Ledger.Engine;

/// <summary>
/// The engine's invariant checks, asserted in pairs where state changes (simulated before a write, checked on the
/// state after it). A broken invariant is a bug: it throws and stops the pipeline loudly rather than journal a wrong
/// state. Throws live here, out of the hot methods' bodies, so those stay small enough to inline.
/// </summary>
public static class Invariant
{
    /// <summary>HELD ≥ 0, AVAILABLE ≥ −overdraft limit, AVAILABLE + HELD ≤ <see cref="LedgerEngine.BalanceMaxMinor"/>.</summary>
    public static void Balances(in AccountState account)
    {
        if (account.HeldMinor < 0 || account.AvailableMinor < -account.OverdraftLimitMinor ||
            account.AvailableMinor + account.HeldMinor > LedgerEngine.BalanceMaxMinor)
        {
            Fail($"account {account.Key} has AVAILABLE {account.AvailableMinor}, HELD {account.HeldMinor}, overdraft limit {account.OverdraftLimitMinor}");
        }
    }

    /// <summary>A hold holds 0..its amount; an open hold holds more than 0.</summary>
    public static void Hold(in EntryImage hold)
    {
        if (hold.HeldRemainingMinor < 0 || hold.HeldRemainingMinor > hold.AmountMinor || (hold.IsOpenHold && hold.HeldRemainingMinor == 0))
        {
            Fail($"hold {hold.Sequence} holds {hold.HeldRemainingMinor} of {hold.AmountMinor} with status {hold.Status}");
        }
    }

    public static void That([DoesNotReturnIf(false)] bool condition, string what)
    {
        if (!condition) Fail(what);
    }

    [DoesNotReturn]
    public static void Fail(string what) => throw new InvariantViolationException("Invariant: " + what + ".");
}
