using Ledger.Engine.Domain;

namespace Ledger.Engine.Catalog;

/// <summary>
/// What a rule sees of an entry it judges: the entry as requested, its account as it stands (simulated: earlier entries
/// of the same command count), the available balance the entry would leave (saturated at <see cref="long.MinValue"/> /
/// <see cref="long.MaxValue"/>), and, for a rule that counts per business day, what the rule's scope (the code, or the
/// domain for a domain's rule) already counted on this account today, before this entry.
/// </summary>
public readonly record struct RuleInput(
    EntryKind Kind,
    long AmountMinor,
    CurrencyCode Currency,
    AccountKey Account,
    Balances Balances,
    long AvailableAfterMinor = 0,
    long DailySumMinor = 0,
    int DailyCount = 0);
