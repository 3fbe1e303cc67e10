using Ledger.Engine.Domain;

namespace Ledger.Engine;

/// <summary>What one entry of a command will do, decided before anything is mutated.</summary>
internal struct EntryPlan
{
    public int AccountIndex;
    public EntryStatus Status;
    public int EntryType;
    public long AmountMinor;
    public CurrencyCode Currency;
    public Direction Direction;
    public long DeltaAvailable;
    public long DeltaHeld;
    public int ReferenceSlot;
    /// <summary>The referenced entry's status after this entry (None: unchanged).</summary>
    public EntryStatus ReferenceNewStatus;
    public long ReferenceHeldReleased;
    /// <summary>Daily counters this debit adds to (a code's, a domain's; -1: none), on business day <see cref="Day"/>.</summary>
    public int CodeCounterScope;
    public int DomainCounterScope;
    public int Day;
}
