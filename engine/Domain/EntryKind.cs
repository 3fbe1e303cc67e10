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
