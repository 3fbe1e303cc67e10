using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;

namespace Ledger.Testing;

/// <summary>Catalogs built from the shipped one with rules added, and the command that installs one.</summary>
public static class Catalogs
{
    public static RuleDefinition Rule(string name, object value) =>
        new(name, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!);

    /// <summary>
    /// The shipped catalog with <paramref name="codeRules"/> appended to their codes' rules, the domains' rules
    /// <paramref name="domainRules"/>, and <paramref name="extraCodes"/> added (domain bits kept).
    /// </summary>
    public static HistoryCatalog WithRules(
        IReadOnlyDictionary<int, RuleDefinition[]>? codeRules = null,
        IReadOnlyDictionary<string, RuleDefinition[]>? domainRules = null,
        params HistoryCodeDefinition[] extraCodes)
    {
        var codes = Commands.DefaultCatalog.Definitions
            .Select(d => codeRules is not null && codeRules.TryGetValue(d.Code, out var add) ? d with { Rules = [.. d.Rules, .. add] } : d)
            .Concat(extraCodes)
            .ToArray();
        var domains = (domainRules ?? new Dictionary<string, RuleDefinition[]>()).Select(p => new DomainRulesDefinition(p.Key, p.Value)).ToArray();
        return HistoryCatalog.Create(codes, domains, Commands.DefaultCatalog.Domains, null);
    }

    /// <summary>A LoadCatalog command at <paramref name="at"/> (default <see cref="Commands.T0"/>).</summary>
    public static LedgerCommand Load(HistoryCatalog catalog, long at = 0)
    {
        var c = new LedgerCommand { TimestampTicks = at == 0 ? Commands.T0 : at };
        c.SetLoadCatalog(catalog);
        return c;
    }
}
