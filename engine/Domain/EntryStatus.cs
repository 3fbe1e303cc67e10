namespace Ledger.Engine.Domain;

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
