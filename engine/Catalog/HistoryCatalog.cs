using Ledger.Engine.Domain;

namespace Ledger.Engine.Catalog;

/// <summary>
/// The history-code catalog: codes 0..<see cref="Limits.HistoryCodeMax"/> looked up by array index, and the rules of
/// whole domains. Built once per catalog (at start, or by a promotion) and journaled, so replay uses the catalog that
/// was in force. The engine stamps the catalog it installs with its <see cref="Version"/> and
/// <see cref="SinceSequence"/>.
/// Usage: <c>var catalog = HistoryCatalog.Create(definitions);</c>
/// </summary>
public sealed class HistoryCatalog
{
    private readonly HistoryCode?[] _byCode;
    private readonly string[] _domains;
    private readonly IEntryRule[][] _domainRules;
    private readonly bool[] _domainTracksDaily;

    private HistoryCatalog(IReadOnlyList<HistoryCodeDefinition> definitions, IReadOnlyList<DomainRulesDefinition> domainRules, string[] domains,
        HistoryCode?[] byCode, IEntryRule[][] rulesByDomain, bool[] domainTracksDaily, string? promotedBy, int version, long sinceSequence)
    {
        Definitions = definitions;
        DomainRules = domainRules;
        _domains = domains;
        _byCode = byCode;
        _domainRules = rulesByDomain;
        _domainTracksDaily = domainTracksDaily;
        HasFees = Array.Exists(byCode, c => c?.Fee is not null);
        PromotedBy = promotedBy;
        Version = version;
        SinceSequence = sinceSequence;
    }

    public IReadOnlyList<HistoryCodeDefinition> Definitions { get; }

    /// <summary>Rules of whole domains, as the catalog file lists them.</summary>
    public IReadOnlyList<DomainRulesDefinition> DomainRules { get; }

    /// <summary>Domain names; bit i of a permitted-domains mask stands for Domains[i].</summary>
    public IReadOnlyList<string> Domains => _domains;

    /// <summary>The client that promoted this catalog live (<c>PUT /v1/history-codes</c>); null for a catalog loaded from the file.</summary>
    public string? PromotedBy { get; }

    /// <summary>How many catalogs the ledger has installed up to this one (1 = its first); 0 for one not installed by a ledger.</summary>
    public int Version { get; }

    /// <summary>The first entry sequence decided under this catalog (0 for one not installed by a ledger).</summary>
    public long SinceSequence { get; }

    /// <summary>True when any code or domain has a daily rule (the engine then keeps daily counters).</summary>
    public bool TracksDaily { get; private init; }

    public HistoryCode? Find(int code) => (uint)code < (uint)_byCode.Length ? _byCode[code] : null;

    /// <summary>The rules of domain <paramref name="bit"/> (empty when it has none).</summary>
    public IEntryRule[] DomainRulesOf(int bit) => _domainRules[bit];

    /// <summary>Whether a rule of domain <paramref name="bit"/> counts the domain's debits per account and business day.</summary>
    public bool DomainTracksDaily(int bit) => _domainTracksDaily[bit];

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

    /// <summary>This catalog as installed by a ledger: version <paramref name="version"/>, in force from <paramref name="sinceSequence"/>.</summary>
    public HistoryCatalog Installed(int version, long sinceSequence) =>
        new(Definitions, DomainRules, _domains, _byCode, _domainRules, _domainTracksDaily, PromotedBy, version, sinceSequence) { TracksDaily = TracksDaily };

    /// <summary>Validates definitions and builds the catalog; throws <see cref="CatalogException"/> saying what to fix.</summary>
    public static HistoryCatalog Create(IReadOnlyList<HistoryCodeDefinition> definitions) => Create(definitions, [], null, null);

    /// <summary>
    /// Validates definitions and builds the catalog; throws <see cref="CatalogException"/> saying what to fix.
    /// <paramref name="domainOrder"/> fixes the mask bits of the domains it lists (a catalog replacing another keeps the
    /// bits of the domains they share, so a partner's mask means the same before and after); domains it lacks follow in
    /// order of first use. A listed domain no code uses keeps its bit.
    /// </summary>
    public static HistoryCatalog Create(IReadOnlyList<HistoryCodeDefinition> definitions, IReadOnlyList<DomainRulesDefinition> domainRules,
        IReadOnlyList<string>? domainOrder, string? promotedBy, int version = 0, long sinceSequence = 0)
    {
        if (definitions.Count == 0) throw new CatalogException("The history-code catalog defines no code.");
        var domains = new List<string>(domainOrder ?? []);
        foreach (var d in definitions)
        {
            if (!domains.Contains(d.Domain)) domains.Add(d.Domain);
        }
        if (domains.Count > Limits.DomainsMax)
            throw new CatalogException($"The catalog has {domains.Count} domains; at most {Limits.DomainsMax} are supported.");
        var byCode = new HistoryCode?[Limits.HistoryCodeMax + 1];
        bool tracksDaily = false;
        foreach (var d in definitions)
        {
            if (d.Code is < 0 or > Limits.HistoryCodeMax)
                throw new CatalogException($"History code {d.Code} is outside 0..{Limits.HistoryCodeMax}.");
            if (byCode[d.Code] is not null)
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
            for (int i = 0; i < rules.Length; i++)
            {
                try
                {
                    rules[i] = RuleFactory.Create(d.Rules[i].Name, d.Rules[i].Parameter);
                }
                catch (CatalogException ex)
                {
                    throw new CatalogException($"History code {d.Code}, rule {i + 1}: {ex.Message}");
                }
                if (rules[i] is IDailyRule && d.Direction == Domain.Direction.Credit && !d.AllowedKinds.Contains(EntryKind.Blocking))
                    throw new CatalogException($"History code {d.Code}, rule {i + 1}: '{rules[i].Name}' counts debits, and code {d.Code} is a credit that allows no hold: it would never count anything.");
            }
            if (Array.FindAll(rules, r => r is FeeRule).Length > 1)
                throw new CatalogException($"History code {d.Code} has more than one 'fee' rule; a code posts at most one fee.");
            var code = new HistoryCode(d, domains.IndexOf(d.Domain), rules);
            tracksDaily |= code.TracksDaily;
            byCode[d.Code] = code;
        }
        foreach (var code in byCode)
        {
            if (code?.Fee is not { } fee) continue;
            int where = 1 + IndexOfFee(code.Definition);
            string at = $"History code {code.Code}, rule {where} (fee)";
            if (!code.Allows(EntryKind.Ledger))
                throw new CatalogException($"{at}: a fee follows a ledger posting, and code {code.Code} allows no 'ledger' entry: it would never post.");
            if (byCode[fee.FeeCode] is not { } feeCode)
                throw new CatalogException($"{at}: the fee's code {fee.FeeCode} is not defined in the catalog.");
            if (feeCode.Direction != Domain.Direction.Debit)
                throw new CatalogException($"{at}: the fee's code {fee.FeeCode} is a credit code; a fee is charged to the account, so its code must be a debit code.");
            if (feeCode.Fee is not null)
                throw new CatalogException($"{at}: the fee's code {fee.FeeCode} has a fee of its own; a fee entry posts no further fee.");
        }
        var rulesByDomain = new IEntryRule[domains.Count][];
        var domainTracksDaily = new bool[domains.Count];
        for (int i = 0; i < rulesByDomain.Length; i++) rulesByDomain[i] = [];
        foreach (var dr in domainRules)
        {
            int bit = domains.IndexOf(dr.Domain);
            if (bit < 0 || !definitions.Any(d => d.Domain == dr.Domain))
                throw new CatalogException($"Rules are given for domain '{dr.Domain}', which no history code of the catalog has.");
            if (rulesByDomain[bit].Length != 0) throw new CatalogException($"Rules are given twice for domain '{dr.Domain}'.");
            if (dr.Rules.Count > Limits.RulesPerCodeMax)
                throw new CatalogException($"Domain '{dr.Domain}' has more than {Limits.RulesPerCodeMax} rules.");
            var rules = new IEntryRule[dr.Rules.Count];
            for (int i = 0; i < rules.Length; i++)
            {
                try
                {
                    rules[i] = RuleFactory.Create(dr.Rules[i].Name, dr.Rules[i].Parameter);
                    if (rules[i] is FeeRule) throw new CatalogException("a 'fee' belongs to a history code (the code whose postings carry it), not to a domain.");
                }
                catch (CatalogException ex)
                {
                    throw new CatalogException($"Domain '{dr.Domain}', rule {i + 1}: {ex.Message}");
                }
            }
            rulesByDomain[bit] = rules;
            domainTracksDaily[bit] = Array.Exists(rules, r => r is IDailyRule);
            tracksDaily |= domainTracksDaily[bit];
        }
        return new HistoryCatalog(definitions, domainRules, domains.ToArray(), byCode, rulesByDomain, domainTracksDaily, promotedBy, version, sinceSequence)
        {
            TracksDaily = tracksDaily,
        };
    }

    private static int IndexOfFee(HistoryCodeDefinition d)
    {
        for (int i = 0; i < d.Rules.Count; i++)
        {
            if (d.Rules[i].Name == "fee") return i;
        }
        return -1;
    }

    /// <summary>True when a code of the catalog posts a fee (worked out once, with the catalog).</summary>
    public bool HasFees { get; }

    /// <summary>
    /// This catalog's definitions as a catalog that replaces <paramref name="previous"/>: the domains both have keep their
    /// mask bits, and <paramref name="promotedBy"/> names who promoted it (null: the catalog file).
    /// </summary>
    public HistoryCatalog Replacing(HistoryCatalog previous, string? promotedBy) =>
        Create(Definitions, DomainRules, previous.Domains, promotedBy);
}
