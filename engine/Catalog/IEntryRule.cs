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

/// <summary>
/// A rule of a history code (or of a catalog domain: then it judges every entry of every code in that domain). Rules
/// are checked in the catalog's order after the engine's own checks, the code's first, then its domain's; the first
/// that does not allow the entry declines it with <c>rule-declined</c> naming <see cref="Name"/>.
/// Add a rule by implementing this and registering it in <see cref="RuleFactory"/>: the engine core does not change.
/// Implementations must be pure and must not allocate.
/// </summary>
public interface IEntryRule
{
    /// <summary>The rule's name as the catalog spells it and the Problem reports it (e.g. <c>maxAmount</c>).</summary>
    string Name { get; }

    bool Allows(in RuleInput input);
}

/// <summary>
/// A rule that needs a per-account, per-business-day counter of its scope's debits (sum and count). The engine keeps
/// that counter only for scopes that have such a rule in the catalog in force (state bounded by accounts × scopes).
/// </summary>
public interface IDailyRule : IEntryRule;

/// <summary>Declines entries above a maximum amount.</summary>
public sealed class MaxAmountRule(long maxAmountMinor) : IEntryRule
{
    public long MaxAmountMinor { get; } = maxAmountMinor;
    public string Name => "maxAmount";
    public bool Allows(in RuleInput input) => input.AmountMinor <= MaxAmountMinor;
}

/// <summary>Declines entries below a minimum amount.</summary>
public sealed class MinAmountRule(long minAmountMinor) : IEntryRule
{
    public long MinAmountMinor { get; } = minAmountMinor;
    public string Name => "minAmount";
    public bool Allows(in RuleInput input) => input.AmountMinor >= MinAmountMinor;
}

/// <summary>Declines entries in currencies other than the listed ones.</summary>
public sealed class CurrenciesRule(CurrencyCode[] currencies) : IEntryRule
{
    public IReadOnlyList<CurrencyCode> Currencies => currencies;
    public string Name => "currencies";
    public bool Allows(in RuleInput input) => Array.IndexOf(currencies, input.Currency) >= 0;
}

/// <summary>Declines an entry that would leave AVAILABLE below a floor (exactly at the floor is allowed; the floor may be negative).</summary>
public sealed class MinBalanceAfterRule(long floorMinor) : IEntryRule
{
    public long FloorMinor { get; } = floorMinor;
    public string Name => "minBalanceAfter";
    public bool Allows(in RuleInput input) => input.AvailableAfterMinor >= FloorMinor;
}

/// <summary>
/// Declines a debit that would take the sum of its scope's debits on this account this business day (by the ledger's
/// clock, UTC) above the limit. Exactly at the limit is allowed; a sum that would overflow is above any limit.
/// </summary>
public sealed class DailyLimitRule(long limitMinor) : IDailyRule
{
    public long LimitMinor { get; } = limitMinor;
    public string Name => "dailyLimit";
    public bool Allows(in RuleInput input)
    {
        long sum = unchecked(input.DailySumMinor + input.AmountMinor);
        bool overflowed = ((input.DailySumMinor ^ sum) & (input.AmountMinor ^ sum)) < 0;
        return !overflowed && sum <= LimitMinor;
    }
}

/// <summary>Declines a debit that would be more than the limit's number of its scope's debits on this account this business day.</summary>
public sealed class DailyCountRule(int countMax) : IDailyRule
{
    public int CountMax { get; } = countMax;
    public string Name => "dailyCount";
    public bool Allows(in RuleInput input) => input.DailyCount < CountMax;
}

/// <summary>Builds rules from their catalog names; unknown names fail at start-up.</summary>
public static class RuleFactory
{
    /// <summary>
    /// Rule names the catalog may use, besides <c>mayOverdraw</c> which is a property of the code. Append only: a
    /// remembered decline stores the rule as its index here (<see cref="State.RuleIds"/>).
    /// </summary>
    public static readonly string[] Known = ["maxAmount", "minAmount", "currencies", "minBalanceAfter", "dailyLimit", "dailyCount"];

    /// <summary>Creates a rule from its name and parameter (a number, or currency codes separated by spaces).</summary>
    public static IEntryRule Create(string name, string parameter) => name switch
    {
        "maxAmount" => new MaxAmountRule(ParseAmount(name, parameter)),
        "minAmount" => new MinAmountRule(ParseAmount(name, parameter)),
        "currencies" => new CurrenciesRule(parameter.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(c => CurrencyCode.TryParse(c, out var code)
                ? code
                : throw new CatalogException($"Rule '{name}' lists '{c}', which is not an ISO-4217 currency code this ledger knows.")).ToArray()),
        "minBalanceAfter" => new MinBalanceAfterRule(ParseSignedAmount(name, parameter)),
        "dailyLimit" => new DailyLimitRule(ParseAmount(name, parameter)),
        "dailyCount" => new DailyCountRule(ParseCount(name, parameter)),
        _ => throw new CatalogException($"Unknown rule '{name}': use one of {string.Join(", ", Known)}."),
    };

    /// <summary>The parameter of a rule as the catalog writes it (inverse of <see cref="Create"/>).</summary>
    public static string ParameterOf(IEntryRule rule) => rule switch
    {
        MaxAmountRule r => r.MaxAmountMinor.ToString(System.Globalization.CultureInfo.InvariantCulture),
        MinAmountRule r => r.MinAmountMinor.ToString(System.Globalization.CultureInfo.InvariantCulture),
        CurrenciesRule r => string.Join(' ', r.Currencies),
        MinBalanceAfterRule r => r.FloorMinor.ToString(System.Globalization.CultureInfo.InvariantCulture),
        DailyLimitRule r => r.LimitMinor.ToString(System.Globalization.CultureInfo.InvariantCulture),
        DailyCountRule r => r.CountMax.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => throw new CatalogException($"Rule '{rule.Name}' has no catalog form."),
    };

    private static long ParseAmount(string name, string parameter) =>
        long.TryParse(parameter, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long v)
            ? v
            : throw new CatalogException($"Rule '{name}' needs a non-negative whole amount in minor units, not '{parameter}'.");

    private static long ParseSignedAmount(string name, string parameter) =>
        long.TryParse(parameter, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out long v) &&
        v >= -Limits.OverdraftLimitMax
            ? v
            : throw new CatalogException($"Rule '{name}' needs a whole amount in minor units (may be negative, at least -{Limits.OverdraftLimitMax}), not '{parameter}'.");

    private static int ParseCount(string name, string parameter) =>
        int.TryParse(parameter, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int v)
            ? v
            : throw new CatalogException($"Rule '{name}' needs a non-negative whole number of entries, not '{parameter}'.");
}
