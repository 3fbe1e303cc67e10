namespace Ledger.Engine.Domain;

/// <summary>The five kinds of entry of docs/contract.md section 2. Values are journaled: never renumber.</summary>
public enum EntryKind : byte
{
    Ledger = 1,
    Blocking = 2,
    Unblocking = 3,
    Reversal = 4,
    Removal = 5,
}

/// <summary>An entry's status. Values are journaled: never renumber.</summary>
public enum EntryStatus : byte
{
    None = 0,
    Posted = 1,
    Pending = 2,
    Expired = 3,
    Released = 4,
    Removed = 5,
}

/// <summary>The direction of a history code.</summary>
public enum Direction : byte
{
    Debit = 1,
    Credit = 2,
}

/// <summary>Balance types an account reports.</summary>
public enum BalanceType : byte
{
    Available = 1,
    Held = 2,
}
