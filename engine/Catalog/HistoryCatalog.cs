using Ledger.Engine.Domain;

namespace Ledger.Engine.Catalog;

/// <summary>
/// The history-code catalog: codes 0..<see cref="Limits.HistoryCodeMax"/> looked up by array index.
/// Built once at start (and journaled, so replay uses the catalog that was in force).
/// Usage: <c>var catalog = HistoryCatalog.Create(definitions);</c>
/// </summary>
public sealed class HistoryCatalog
{
    private readonly HistoryCode?[] _byCode = new HistoryCode?[Limits.HistoryCodeMax + 1];
    private readonly string[] _domains;

    private HistoryCatalog(IReadOnlyList<HistoryCodeDefinition> definitions, string[] domains)
    {
        Definitions = definitions;
        _domains = domains;
    }

    public IReadOnlyList<HistoryCodeDefinition> Definitions { get; }

    /// <summary>Domain names; bit i of a permitted-domains mask stands for Domains[i].</summary>
    public IReadOnlyList<string> Domains => _domains;

    public HistoryCode? Find(int code) => (uint)code < (uint)_byCode.Length ? _byCode[code] : null;

    /// <summary>
    /// Which way an entry moves its account's available balance: a posting's or a hold's is its code's direction; what
    /// undoes one (reversal, unblocking, removal; they carry the original's code) goes the other way. Null for a code
    /// the catalog lacks.
    /// </summary>
    public Direction? DirectionOf(EntryKind kind, int code)
    {
        if (Find(code) is not { } c) return null;
        bool undoes = kind is EntryKind.Reversal or EntryKind.Unblocking or EntryKind.Removal;
        return undoes ? (c.Direction == Direction.Debit ? Direction.Credit : Direction.Debit) : c.Direction;
    }

    /// <summary>The mask bit of a domain name, or -1 when no code has that domain.</summary>
    public int DomainBit(string domain) => Array.IndexOf(_domains, domain);

    /// <summary>Validates definitions and builds the catalog; throws <see cref="CatalogException"/> saying what to fix.</summary>
    public static HistoryCatalog Create(IReadOnlyList<HistoryCodeDefinition> definitions)
    {
        if (definitions.Count == 0) throw new CatalogException("The history-code catalog defines no code.");
        var domains = new List<string>();
        foreach (var d in definitions)
        {
            if (!domains.Contains(d.Domain)) domains.Add(d.Domain);
        }
        if (domains.Count > Limits.DomainsMax)
            throw new CatalogException($"The catalog has {domains.Count} domains; at most {Limits.DomainsMax} are supported.");
        var catalog = new HistoryCatalog(definitions, domains.ToArray());
        foreach (var d in definitions)
        {
            if (d.Code is < 0 or > Limits.HistoryCodeMax)
                throw new CatalogException($"History code {d.Code} is outside 0..{Limits.HistoryCodeMax}.");
            if (catalog._byCode[d.Code] is not null)
                throw new CatalogException($"History code {d.Code} is defined twice.");
            if (string.IsNullOrWhiteSpace(d.Name)) throw new CatalogException($"History code {d.Code} has no name.");
            if (string.IsNullOrWhiteSpace(d.Domain) || d.Domain.Contains(' ') || d.Domain == "*")
                throw new CatalogException($"History code {d.Code} needs a one-word domain (not '*').");
            if (d.Direction is not (Domain.Direction.Debit or Domain.Direction.Credit))
                throw new CatalogException($"History code {d.Code} needs a direction: debit or credit.");
            if (d.AllowedKinds.Count == 0) throw new CatalogException($"History code {d.Code} allows no entry kind.");
            if (d.Rules.Count > Limits.RulesPerCodeMax)
                throw new CatalogException($"History code {d.Code} has more than {Limits.RulesPerCodeMax} rules.");
            var rules = new IEntryRule[d.Rules.Count];
            for (int i = 0; i < rules.Length; i++) rules[i] = RuleFactory.Create(d.Rules[i].Name, d.Rules[i].Parameter);
            catalog._byCode[d.Code] = new HistoryCode(d, domains.IndexOf(d.Domain), rules);
        }
        return catalog;
    }
}
