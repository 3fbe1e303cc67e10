namespace Ledger.Engine.Catalog;

/// <summary>Declines an entry that would leave AVAILABLE below a floor (exactly at the floor is allowed; the floor may be negative).</summary>
public sealed class MinBalanceAfterRule(long floorMinor) : IEntryRule
{
    public long FloorMinor { get; } = floorMinor;
    public string Name => "minBalanceAfter";
    public bool Allows(in RuleInput input) => input.AvailableAfterMinor >= FloorMinor;
}
