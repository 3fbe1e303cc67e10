namespace Ledger.Engine.Commands;

/// <summary>
/// The outcome of a command. Checks run in this order of precedence, and the first that fails decides:
/// <list type="number">
/// <item>shape (<see cref="InvalidCommand"/>), then every account exists (<see cref="AccountNotFound"/>),</item>
/// <item>every entry's domain is permitted (<see cref="DomainNotPermitted"/>),</item>
/// <item>idempotency: a correlation id or bundle id seen before is a replay (the first answer again) or <see cref="IdempotencyConflict"/>,</item>
/// <item>fees (issue 16): an entry that would carry a fee whose id is too long to derive <c>&lt;id&gt;:fee</c> (<see cref="InvalidCommand"/>),
/// or whose derived id is taken (<see cref="IdempotencyConflict"/>, batch),</item>
/// <item>capacity: a new hold when the ledger already has its limit of open holds (<see cref="OpenHoldsLimit"/>),</item>
/// <item>then entry by entry, in the batch's order, each entry meeting the checks that apply to its kind:
/// <see cref="UnknownHistoryCode"/>, <see cref="RuleDeclined"/> (allowedKinds), <see cref="ReferenceNotFound"/>,
/// <see cref="ReferenceMismatch"/>, <see cref="NotReversible"/>, <see cref="EntryNotPending"/>, <see cref="CurrencyMismatch"/>,
/// <see cref="AlreadyReversed"/>, <see cref="UnblockExceedsHeld"/>, <see cref="RuleDeclined"/> (the code's rules in catalog
/// order), <see cref="AmountOverflow"/>, <see cref="InsufficientFunds"/>; then the fee entries (issue 16: <see cref="AmountOverflow"/>,
/// <see cref="InsufficientFunds"/>), a failure naming the entry that carries the fee. (A reversal's currency is checked before whether
/// it was reversed already: journals hold decisions made in this order, so it is the documented one;
/// <c>PrecedenceTests</c> pins each pair that can meet.)</item>
/// </list>
/// Codes below 100 are refused before the ledger: not remembered, not journaled. Codes from 100 are ledger
/// declines: remembered under every correlation id of the command, so a retry gets the same answer.
/// Values are journaled and kept in the entry store: never renumber.
/// </summary>
public enum ResultCode : byte
{
    Ok = 0,
    InvalidCommand = 1,
    AccountNotFound = 2,
    DomainNotPermitted = 3,
    IdempotencyConflict = 4,
    EntryNotFound = 5,
    AccountExists = 6,
    /// <summary>The ledger holds its configured maximum of open holds; a new hold waits until some are released (retry later).</summary>
    OpenHoldsLimit = 7,

    UnknownHistoryCode = 100,
    RuleDeclined = 101,
    ReferenceNotFound = 102,
    NotReversible = 103,
    AlreadyReversed = 104,
    EntryNotPending = 105,
    CurrencyMismatch = 106,
    UnblockExceedsHeld = 107,
    AmountOverflow = 108,
    InsufficientFunds = 109,
    /// <summary>
    /// A follow-up entry (unblocking, reversal, removal) carries a field that disagrees with the entry it refers to: its
    /// entryType, or (reversal, removal) its amount. <see cref="CommandResult.Conflicts"/> names the field and the
    /// failing entry's <see cref="EntryResult"/> holds the referenced entry's entryType, amount and currency.
    /// </summary>
    ReferenceMismatch = 110,
}

/// <summary>Helpers on <see cref="ResultCode"/>.</summary>
public static class ResultCodes
{
    /// <summary>A ledger decline: remembered (sticky) under the command's correlation ids.</summary>
    public static bool IsLedgerDecline(this ResultCode code) => (byte)code >= 100;
}

/// <summary>Which fields of a replayed request differ from the first one (the 409's detail names them).</summary>
[Flags]
public enum ConflictFields : ushort
{
    None = 0,
    EntryKind = 1 << 0,
    EntryType = 1 << 1,
    Amount = 1 << 2,
    Currency = 1 << 3,
    Description = 1 << 4,
    Reference = 1 << 5,
    ExpiresAt = 1 << 6,
    /// <summary>The correlation id was used in another batch, or at another position, or the batch has another size.</summary>
    Batch = 1 << 7,
    /// <summary>A bundle's leg account differs, or a bundle id was reused for other entries.</summary>
    Account = 1 << 8,
}
