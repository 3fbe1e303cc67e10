using Ledger.Engine.Domain;

namespace Ledger.Engine.Catalog;

/// <summary>Declines entries in currencies other than the listed ones.</summary>
public sealed class CurrenciesRule(CurrencyCode[] currencies) : IEntryRule
{
    public IReadOnlyList<CurrencyCode> Currencies => currencies;
    public string Name => "currencies";
    public bool Allows(in RuleInput input) => Array.IndexOf(currencies, input.Currency) >= 0;
}
