namespace Ledger.Engine.Catalog;

/// <summary>Declines entries below a minimum amount.</summary>
public sealed class MinAmountRule(long minAmountMinor) : IEntryRule
{
    public long MinAmountMinor { get; } = minAmountMinor;
    public string Name => "minAmount";
    public bool Allows(in RuleInput input) => input.AmountMinor >= MinAmountMinor;
}
