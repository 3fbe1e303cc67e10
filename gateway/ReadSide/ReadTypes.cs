using Ledger.Engine.Domain;

namespace Ledger.ReadSide;

/// <summary>An account as the read side knows it: what it was opened with, and its balances now.</summary>
public readonly record struct ReadAccount(AccountKey Key, CurrencyCode Currency, long OverdraftLimitMinor, long OpenedAtTicks, Balances Balances);

/// <summary>One applied entry as a statement shows it, with its current status. Currency is the account's.</summary>
public sealed record StatementRow
{
    public required long Sequence { get; init; }
    public required long TimestampTicks { get; init; }
    public required EntryKind Kind { get; init; }
    public required EntryStatus Status { get; init; }
    public required int EntryType { get; init; }
    public required long AmountMinor { get; init; }
    public required string CorrelationId { get; init; }
    public string? Description { get; init; }
    public long ExpiresAtTicks { get; init; }
    /// <summary>correlationId of the entry this one reverses, unblocks or removes (its sequence resolved); null if none.</summary>
    public string? Reference { get; init; }
    /// <summary>correlationId of the reversal of this entry; null if not reversed.</summary>
    public string? ReversedBy { get; init; }
    /// <summary>The account's balances right after this entry's command.</summary>
    public required Balances BalancesAfter { get; init; }
}

/// <summary>What a statement page asks for. Bounds: <see cref="FromTicks"/> inclusive, <see cref="ToTicks"/> exclusive.</summary>
public sealed record StatementQuery
{
    public long FromTicks { get; init; }
    public long ToTicks { get; init; } = long.MaxValue;
    /// <summary>Continue after this sequence (from the cursor); 0 from the start.</summary>
    public long AfterSequence { get; init; }
    /// <summary>The whole-ledger statement continues after this place (from its cursor); null from the start.</summary>
    public LedgerPosition? After { get; init; }
    public int Limit { get; init; } = 100;
    public int? EntryType { get; init; }
    public EntryKind? Kind { get; init; }
    public EntryStatus? Status { get; init; }
    public long? MinAmountMinor { get; init; }
    public long? MaxAmountMinor { get; init; }
    public string? CorrelationId { get; init; }

    public bool HasFilters => EntryType.HasValue || Kind.HasValue || Status.HasValue || MinAmountMinor.HasValue || MaxAmountMinor.HasValue;
}

/// <summary>A statement page, oldest first; <see cref="NextAfterSequence"/> is 0 when nothing may follow.</summary>
public sealed record StatementPage(ReadAccount Account, IReadOnlyList<StatementRow> Rows, long NextAfterSequence);

/// <summary>An entry of the whole-ledger statement, with the account it belongs to.</summary>
public readonly record struct LedgerStatementRow(AccountKey Account, CurrencyCode Currency, StatementRow Row);

/// <summary>
/// A whole-ledger statement page: the entries of every account in sequence order (which is time order: the engine's
/// clock never goes back). <see cref="Next"/> is where the next page starts, null when nothing may follow.
/// </summary>
public sealed record LedgerStatementPage(IReadOnlyList<LedgerStatementRow> Rows, LedgerPosition? Next);

/// <summary>A place in the whole-ledger statement: after the entry with this timestamp and sequence.</summary>
public readonly record struct LedgerPosition(long TimestampTicks, long Sequence);

/// <summary>Where the read side stands: every event of journal records 1..<see cref="RecordNumber"/> applied; the feed resumes at <see cref="NextAddress"/>.</summary>
public readonly record struct ReadWatermark(long RecordNumber, long NextAddress, long LastSequence);

/// <summary>
/// How far a statements replica applied one <c>ledger.events</c> partition: the next offset to read, and the position
/// (journal record, index in it) of the last event applied; an event at or below it is a duplicate (the publisher
/// re-produces after a crash) and is dropped.
/// </summary>
public readonly record struct PartitionPosition(long NextOffset, long Record, int Index)
{
    /// <summary>True when an event at (<paramref name="record"/>, <paramref name="index"/>) was applied already.</summary>
    public bool Holds(long record, int index) => record < Record || (record == Record && index <= Index);
}
