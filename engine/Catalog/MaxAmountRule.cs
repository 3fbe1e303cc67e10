namespace Ledger.Engine.Catalog;

/// <summary>Declines entries above a maximum amount.</summary>
public sealed class MaxAmountRule(long maxAmountMinor) : IEntryRule
{
    public long MaxAmountMinor { get; } = maxAmountMinor;
    public string Name => "maxAmount";
    public bool Allows(in RuleInput input) => input.AmountMinor <= MaxAmountMinor;
}
