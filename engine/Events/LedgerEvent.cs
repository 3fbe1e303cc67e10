using Ledger.Engine.Domain;

namespace Ledger.Engine.Events;

/// <summary>What happened. Values are part of the output contract (read model, Kafka): never renumber.</summary>
public enum LedgerEventKind : byte
{
    None = 0,
    /// <summary>A new entry applied (any kind); <see cref="LedgerEvent.Status"/> is its status.</summary>
    EntryApplied = 1,
    /// <summary>An existing entry changed status (RELEASED, REMOVED, EXPIRED) or was reversed (<see cref="LedgerEvent.CausedBySequence"/> set).</summary>
    EntryStatusChanged = 2,
    AccountOpened = 3,
}

/// <summary>
/// The engine's output contract: one fact decided by the ledger, with the account's balances right after it.
/// For <see cref="LedgerEventKind.EntryApplied"/>, <see cref="Sequence"/> is the new entry's; for
/// <see cref="LedgerEventKind.EntryStatusChanged"/>, it is the changed entry's and <see cref="CausedBySequence"/>
/// the entry that changed it: 0 for expiry by the clock and for a removal by command (REMOVE_ENTRY, REST DELETE),
/// which creates no entry and so has no sequence (the journal record of the command is its position). Strings are the request's own (never copied).
/// </summary>
public struct LedgerEvent
{
    public LedgerEventKind Kind;
    public long Sequence;
    public long CausedBySequence;
    public long TimestampTicks;
    public AccountKey Account;
    public CurrencyCode Currency;
    public EntryKind EntryKind;
    public EntryStatus Status;
    public int EntryType;
    /// <summary>
    /// Amount of the entry; for a status change, the amount that moved (released/removed/expired), for the mark of a
    /// reversal (<see cref="MarksReversal"/>) the reversed entry's amount; for AccountOpened, the overdraft limit.
    /// </summary>
    public long AmountMinor;
    public string? CorrelationId;
    public string? Description;
    /// <summary>Sequence of the entry this one reverses, unblocks or removes; 0 if none.</summary>
    public long ReferenceSequence;
    public long ExpiresAtTicks;
    public Balances BalancesAfter;
    /// <summary>
    /// For a fee entry the ledger posted with another (<see cref="Commands.FeeIds"/>): the sequence of the entry that
    /// carried it (the posting, or for the reversal of a fee the reversal of that posting); 0 for any other entry.
    /// </summary>
    public long FeeOfSequence;

    /// <summary>
    /// True for the status change a reversal emits: the original stays POSTED and <see cref="CausedBySequence"/>
    /// names its reversal (read as <c>reversedBy</c>); any other status change moves the entry's status.
    /// </summary>
    public readonly bool MarksReversal => Kind == LedgerEventKind.EntryStatusChanged && Status == EntryStatus.Posted && CausedBySequence != 0;
}
