using Ledger.Engine.Domain;

namespace Ledger.Engine.Catalog;

/// <summary>One history code (<c>entryType</c>) as the catalog file defines it.</summary>
public sealed record HistoryCodeDefinition(
    int Code,
    string Name,
    Direction Direction,
    string Domain,
    IReadOnlyList<EntryKind> AllowedKinds,
    bool MayOverdraw,
    IReadOnlyList<RuleDefinition> Rules);

/// <summary>A rule of a code as the catalog file defines it: name and parameter.</summary>
public sealed record RuleDefinition(string Name, string Parameter);

/// <summary>
/// Rules of a whole domain (catalog file: <c>"domains": [{ "domain": "cards", "rules": [...] }]</c>): they judge every
/// entry a partner originates with any code of the domain, after the code's own rules. A daily rule here counts the
/// domain's debits together.
/// </summary>
public sealed record DomainRulesDefinition(string Domain, IReadOnlyList<RuleDefinition> Rules);

/// <summary>A history code ready for the engine: domain resolved to a bit, rules instantiated.</summary>
public sealed class HistoryCode
{
    internal HistoryCode(HistoryCodeDefinition definition, int domainBit, IEntryRule[] rules)
    {
        Definition = definition;
        Code = definition.Code;
        Direction = definition.Direction;
        DomainBit = domainBit;
        MayOverdraw = definition.MayOverdraw;
        Fee = Array.Find(rules, r => r is FeeRule) as FeeRule;
        Rules = Array.FindAll(rules, r => r is not FeeRule); // a fee never declines: the engine reads it from Fee
        TracksDaily = Array.Exists(rules, r => r is IDailyRule);
        foreach (var kind in definition.AllowedKinds) _allowedKinds |= 1 << (int)kind;
    }

    private readonly int _allowedKinds;

    public HistoryCodeDefinition Definition { get; }
    public int Code { get; }
    public Direction Direction { get; }
    public string Domain => Definition.Domain;
    /// <summary>Index of the domain in the catalog's domain list; a command's permitted domains are a mask of these bits.</summary>
    public int DomainBit { get; }
    public bool MayOverdraw { get; }
    /// <summary>The checks of the code, in catalog order (a <c>fee</c> is not among them: see <see cref="Fee"/>).</summary>
    public IEntryRule[] Rules { get; }
    /// <summary>The fee a ledger posting of this code also posts (null: none).</summary>
    public FeeRule? Fee { get; }
    /// <summary>True when a rule of the code counts its debits per account and business day (the engine keeps that counter).</summary>
    public bool TracksDaily { get; }

    /// <summary>Whether a partner may originate an entry of this kind with this code (ledger, blocking).</summary>
    public bool Allows(EntryKind kind) => (_allowedKinds & (1 << (int)kind)) != 0;
}
