using Ledger.Engine.Domain;

namespace Ledger.Engine.Commands;

/// <summary>
/// One entry as a partner asked for it. Which fields apply depends on <see cref="Kind"/>:
/// ledger and blocking carry EntryType, Amount and Currency (blocking optionally ExpiresAt);
/// unblocking carries Reference (the hold) and optionally Amount; reversal and removal carry only Reference.
/// </summary>
public struct EntryRequest
{
    public AccountKey Account;
    public EntryKind Kind;
    /// <summary>1..64 chars of [A-Za-z0-9._:-]; unique within the account, forever.</summary>
    public string CorrelationId;
    public string? Description;
    /// <summary>History code, or -1 when the kind takes it from the referenced entry.</summary>
    public int EntryType;
    public bool HasAmount;
    public long AmountMinor;
    public CurrencyCode Currency;
    /// <summary>The correlation id of the entry this one reverses, unblocks or removes.</summary>
    public string? Reference;
    /// <summary>Hold expiry as UTC ticks; 0 for none.</summary>
    public long ExpiresAtTicks;
}

/// <summary>One account to open.</summary>
public struct AccountOpening
{
    public AccountKey Account;
    public CurrencyCode Currency;
    public long OverdraftLimitMinor;
}
