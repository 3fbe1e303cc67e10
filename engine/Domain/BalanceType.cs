namespace Ledger.Engine.Domain;

/// <summary>Balance types an account reports.</summary>
public enum BalanceType : byte
{
    Available = 1,
    Held = 2,
}
