using Ledger.Engine.Commands;
using Ledger.Engine.Domain;

namespace Ledger.Engine.State;

/// <summary>
/// One remembered entry: applied (with a sequence) or declined by the ledger (sticky, no sequence).
/// Holds both what was asked (to judge a replay) and what was decided (to answer it, and for later
/// references: holds, reversals). Entries of one command are contiguous: [CommandFirst, CommandFirst + CommandCount).
/// </summary>
public struct EntryRecord
{
    public int AccountIndex;
    public int KeyOffset;
    public byte KeyLength;
    public EntryKind Kind;
    /// <summary>Current status (None for a declined entry).</summary>
    public EntryStatus Status;
    /// <summary>The status the first answer gave.</summary>
    public EntryStatus AnsweredStatus;

    // what was asked
    public int RequestedEntryType;
    public bool HasRequestedAmount;
    public long RequestedAmountMinor;
    public CurrencyCode RequestedCurrency;
    public long RequestedExpiresAtTicks;
    public ulong DescriptionHash;
    public int ReferenceKeyOffset;
    public byte ReferenceKeyLength;

    // what was decided
    public int EntryType;
    public Direction Direction;
    public long AmountMinor;
    public CurrencyCode Currency;
    public long Sequence;
    public long TimestampTicks;
    /// <summary>For a hold: what is still held.</summary>
    public long HeldRemainingMinor;
    public long ExpiresAtTicks;
    /// <summary>The record this one reverses, unblocks or removes; -1 if none.</summary>
    public int ReferenceRecord;
    /// <summary>For a reversed ledger entry: the reversal's record; -1 if not reversed.</summary>
    public int ReversedByRecord;
    public Balances BalancesAfter;

    // the command it came in
    public int CommandFirst;
    public int CommandCount;
    public ResultCode Decline;
    public int DeclineEntryIndex;
    public byte DeclineRuleId;
    public bool InBundle;
}
