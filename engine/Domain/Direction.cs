namespace Ledger.Engine.Domain;

/// <summary>The direction of a history code.</summary>
public enum Direction : byte
{
    Debit = 1,
    Credit = 2,
}
