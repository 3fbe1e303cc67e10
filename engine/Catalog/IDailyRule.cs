namespace Ledger.Engine.Catalog;

/// <summary>
/// A rule that needs a per-account, per-business-day counter of its scope's debits (sum and count). The engine keeps
/// that counter only for scopes that have such a rule in the catalog in force (state bounded by accounts × scopes).
/// </summary>
public interface IDailyRule : IEntryRule;
