using Ledger.Engine.Domain;

namespace Ledger.Engine.Commands;

/// <summary>What the ledger answered for one entry (also the stored answer an idempotent replay returns).</summary>
public struct EntryResult
{
    public AccountKey Account;
    public EntryStatus Status;
    public long Sequence;
    public long TimestampTicks;
    public int EntryType;
    public long AmountMinor;
    public CurrencyCode Currency;
    /// <summary>The entry's account balances after the whole command.</summary>
    public Balances BalancesAfter;
    /// <summary>
    /// For a fee entry (a result at or after the command's <see cref="LedgerCommand.EntryCount"/>): the index of the
    /// requested entry that carries it (its id is that entry's <see cref="EntryRequest.FeeCorrelationId"/>, its kind that
    /// entry's: a ledger fee, or the reversal of a fee). 0 for a requested entry.
    /// </summary>
    public int FeeOfIndex;
}

/// <summary>The outcome of a whole command.</summary>
public struct CommandResult
{
    public ResultCode Code;
    /// <summary>Index of the failing entry (or account opening), -1 when none.</summary>
    public int EntryIndex;
    /// <summary>The rule that declined, for <see cref="ResultCode.RuleDeclined"/>; else null.</summary>
    public string? Rule;
    /// <summary>For <see cref="ResultCode.IdempotencyConflict"/>: the fields that differ; for <see cref="ResultCode.ReferenceMismatch"/>: the field that disagrees.</summary>
    public ConflictFields Conflicts;
    /// <summary>True when this is the stored answer of an earlier identical command.</summary>
    public bool Replayed;
    /// <summary>Timestamp the command was applied at (the first answer's, for a replay).</summary>
    public long TimestampTicks;
    /// <summary>Fee entries the command posted (or a replay answers again): results [EntryCount, EntryCount + FeeCount).</summary>
    public int FeeCount;

    public readonly bool IsOk => Code == ResultCode.Ok;
}
