namespace Ledger.Engine.Catalog;

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
