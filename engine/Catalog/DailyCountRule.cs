namespace Ledger.Engine.Catalog;

/// <summary>Declines a debit that would be more than the limit's number of its scope's debits on this account this business day.</summary>
public sealed class DailyCountRule(int countMax) : IDailyRule
{
    public int CountMax { get; } = countMax;
    public string Name => "dailyCount";
    public bool Allows(in RuleInput input) => input.DailyCount < CountMax;
}
