using Ledger.Engine.Domain;

namespace Ledger.Gateway.ReadModel;

/// <summary>One applied entry as the statement shows it (72 bytes plus its strings). Currency is the account's.</summary>
internal struct StatementEntry
{
    public long Sequence;
    public long TimestampTicks;
    public long AmountMinor;
    public long ExpiresAtTicks;
    /// <summary>Sequence of the entry this one reverses, unblocks or removes; 0 if none.</summary>
    public long ReferenceSequence;
    /// <summary>Sequence of the reversal of this entry; 0 if not reversed.</summary>
    public long ReversedBySequence;
    public string CorrelationId;
    public string? Description;
    public int EntryType;
    public EntryKind Kind;
    /// <summary>Current status.</summary>
    public EntryStatus Status;
}

/// <summary>Balances from an instant on (the history behind <c>?at=</c>).</summary>
internal readonly record struct BalancePoint(long TimestampTicks, long AvailableMinor, long HeldMinor);

/// <summary>What a statement page asks for. Bounds: <see cref="FromTicks"/> inclusive, <see cref="ToTicks"/> exclusive.</summary>
internal sealed record StatementQuery
{
    public long FromTicks { get; init; }
    public long ToTicks { get; init; } = long.MaxValue;
    /// <summary>Continue after this sequence (from the cursor); 0 from the start.</summary>
    public long AfterSequence { get; init; }
    public int Limit { get; init; } = 100;
    public int? EntryType { get; init; }
    public EntryKind? Kind { get; init; }
    public EntryStatus? Status { get; init; }
    public long? MinAmountMinor { get; init; }
    public long? MaxAmountMinor { get; init; }
    public string? CorrelationId { get; init; }

    public bool HasFilters => EntryType.HasValue || Kind.HasValue || Status.HasValue || MinAmountMinor.HasValue || MaxAmountMinor.HasValue;
}
