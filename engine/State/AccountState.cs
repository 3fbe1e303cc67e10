using Ledger.Engine.Domain;

namespace Ledger.Engine.State;

/// <summary>An open account as the engine holds it. Invariants: Held ≥ 0, Available ≥ −OverdraftLimit.</summary>
public struct AccountState
{
    public AccountKey Key;
    public CurrencyCode Currency;
    public long OverdraftLimitMinor;
    public long AvailableMinor;
    public long HeldMinor;
    public long OpenedAtTicks;

    public readonly Balances Balances => new(AvailableMinor, HeldMinor);
}
