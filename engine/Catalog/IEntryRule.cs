using Ledger.Engine.Domain;

namespace Ledger.Engine.Catalog;

/// <summary>What a rule sees of an entry it judges: the entry as requested and its account as it stands.</summary>
public readonly record struct RuleInput(EntryKind Kind, long AmountMinor, CurrencyCode Currency, AccountKey Account, Balances Balances);

/// <summary>
/// A rule of a history code. Rules are checked in the catalog's order after the engine's own checks;
/// the first that does not allow the entry declines it with <c>rule-declined</c> naming <see cref="Name"/>.
/// Add a rule by implementing this and registering it in <see cref="RuleFactory"/>: the engine core does not change.
/// Implementations must be pure and must not allocate.
/// </summary>
public interface IEntryRule
{
    /// <summary>The rule's name as the catalog spells it and the Problem reports it (e.g. <c>maxAmount</c>).</summary>
    string Name { get; }

    bool Allows(in RuleInput input);
}

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

/// <summary>Builds rules from their catalog names; unknown names fail at start-up.</summary>
public static class RuleFactory
{
    /// <summary>Rule names the catalog may use, besides <c>mayOverdraw</c> which is a property of the code.</summary>
    public static readonly string[] Known = ["maxAmount", "minAmount", "currencies"];

    /// <summary>Creates a rule from its name and parameter (a number, or currency codes separated by spaces).</summary>
    public static IEntryRule Create(string name, string parameter) => name switch
    {
        "maxAmount" => new MaxAmountRule(ParseAmount(name, parameter)),
        "minAmount" => new MinAmountRule(ParseAmount(name, parameter)),
        "currencies" => new CurrenciesRule(parameter.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(c => CurrencyCode.TryParse(c, out var code)
                ? code
                : throw new CatalogException($"Rule '{name}' lists '{c}', which is not an ISO-4217 currency code this ledger knows.")).ToArray()),
        _ => throw new CatalogException($"Unknown rule '{name}': use one of {string.Join(", ", Known)}."),
    };

    /// <summary>The parameter of a rule as the catalog writes it (inverse of <see cref="Create"/>).</summary>
    public static string ParameterOf(IEntryRule rule) => rule switch
    {
        MaxAmountRule r => r.MaxAmountMinor.ToString(System.Globalization.CultureInfo.InvariantCulture),
        MinAmountRule r => r.MinAmountMinor.ToString(System.Globalization.CultureInfo.InvariantCulture),
        CurrenciesRule r => string.Join(' ', r.Currencies),
        _ => throw new CatalogException($"Rule '{rule.Name}' has no catalog form."),
    };

    private static long ParseAmount(string name, string parameter) =>
        long.TryParse(parameter, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long v)
            ? v
            : throw new CatalogException($"Rule '{name}' needs a non-negative whole amount in minor units, not '{parameter}'.");
}
