using Ledger.Engine.Domain;

namespace Ledger.Engine.Catalog;

/// <summary>Builds rules from their catalog names; unknown names fail at start-up.</summary>
public static class RuleFactory
{
    /// <summary>
    /// Rule names the catalog may use, besides <c>mayOverdraw</c> which is a property of the code. Append only: a
    /// remembered decline stores the rule as its index here (<see cref="State.RuleIds"/>).
    /// </summary>
    public static readonly string[] Known = ["maxAmount", "minAmount", "currencies", "minBalanceAfter", "dailyLimit", "dailyCount", "fee"];

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
        "fee" => FeeRule.Parse(parameter),
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
        FeeRule r => r.Parameter,
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
