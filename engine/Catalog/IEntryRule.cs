namespace Ledger.Engine.Catalog;

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
