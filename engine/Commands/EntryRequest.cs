using Ledger.Engine.Domain;

namespace Ledger.Engine.Commands;

/// <summary>
/// One entry as a partner asked for it. Which fields apply depends on <see cref="Kind"/>:
/// ledger and blocking carry EntryType, Amount and Currency (blocking optionally ExpiresAt);
/// unblocking carries Reference (the hold) and optionally Amount (the part to release); reversal and removal carry
/// Reference. A follow-up (unblocking, reversal, removal) may also carry EntryType, Currency and (reversal, removal) an
/// amount as checks: each must agree with the referenced entry (else <see cref="ResultCode.ReferenceMismatch"/>).
/// </summary>
public struct EntryRequest
{
    /// <summary><see cref="EntryType"/> of a follow-up that did not send one (journaled so: never change it).</summary>
    public const int NoEntryType = -1;

    public AccountKey Account;
    public EntryKind Kind;
    /// <summary>1..64 chars of [A-Za-z0-9._:-]; unique within the account, forever.</summary>
    public string CorrelationId;
    public string? Description;
    /// <summary>History code; for a follow-up <see cref="NoEntryType"/> when absent (it takes the referenced entry's).</summary>
    public int EntryType;
    public bool HasAmount;
    public long AmountMinor;
    public CurrencyCode Currency;
    /// <summary>The correlation id of the entry this one reverses, unblocks or removes.</summary>
    public string? Reference;
    /// <summary>Hold expiry as UTC ticks; 0 for none.</summary>
    public long ExpiresAtTicks;
    /// <summary>
    /// <c>CorrelationId + ":fee"</c> (<see cref="FeeIds"/>) for a ledger or reversal entry: the id of the fee entry it
    /// may carry, derived by the pipeline's prefetch stage when a fee may be posted with it
    /// (<see cref="LedgerCommand.DeriveLedgerFeeIds"/>, <see cref="LedgerCommand.DeriveReversalFeeIds"/>) so the engine
    /// allocates nothing. Not journaled (derived again when read back).
    /// </summary>
    public string? FeeCorrelationId;
}

/// <summary>One account to open.</summary>
public struct AccountOpening
{
    public AccountKey Account;
    public CurrencyCode Currency;
    public long OverdraftLimitMinor;
}
