using Ledger.Engine.Catalog;
using Ledger.Engine.Domain;
using MessagePack;

namespace Ledger.Journal.Format;

/// <summary>
/// A history-code catalog in MessagePack (journal LoadCatalog records and the entry store's checkpoint). Two forms; readers take
/// both, writers write the second:
/// <code>
/// form 1 (the codes alone):  [[code, name, direction, domain, [kind...], mayOverdraw, [[rule, parameter]...]], ...]
/// form 2 (a map):            { "codes": form 1, "domains": [name...] (mask bit order), "domainRules": [[domain, [[rule, parameter]...]], ...],
///                              "promotedBy": str|nil, and in the store only: "version": int, "since": int64 }
/// </code>
/// The journal leaves version and since out: the engine assigns them when it applies the record, so replay decides them
/// again (and a build that reads only form 1 refuses form 2 as a payload it cannot decode, never guesses).
/// </summary>
internal static class CatalogCodec
{
    /// <summary>Writes <paramref name="catalog"/> in form 2; with <paramref name="provenance"/> also its version and since (the store's checkpoint).</summary>
    public static void Write(ref MessagePackWriter w, HistoryCatalog catalog, bool provenance)
    {
        w.WriteMapHeader(provenance ? 6 : 4);
        w.Write("codes");
        Write(ref w, catalog.Definitions);
        w.Write("domains");
        w.WriteArrayHeader(catalog.Domains.Count);
        foreach (var d in catalog.Domains) w.Write(d);
        w.Write("domainRules");
        w.WriteArrayHeader(catalog.DomainRules.Count);
        foreach (var dr in catalog.DomainRules)
        {
            w.WriteArrayHeader(2);
            w.Write(dr.Domain);
            WriteRules(ref w, dr.Rules);
        }
        w.Write("promotedBy");
        w.Write(catalog.PromotedBy);
        if (!provenance) return;
        w.Write("version");
        w.Write(catalog.Version);
        w.Write("since");
        w.Write(catalog.SinceSequence);
    }

    /// <summary>Reads either form into a catalog (validated: a catalog that does not build throws <see cref="CatalogException"/>).</summary>
    public static HistoryCatalog ReadCatalog(ref MessagePackReader r)
    {
        if (r.NextMessagePackType == MessagePackType.Array) return HistoryCatalog.Create(Read(ref r));
        int items = r.ReadMapHeader();
        List<HistoryCodeDefinition>? codes = null;
        List<string>? domains = null;
        var domainRules = new List<DomainRulesDefinition>();
        string? promotedBy = null;
        int version = 0;
        long since = 0;
        for (int i = 0; i < items; i++)
        {
            string key = r.ReadString() ?? "";
            switch (key)
            {
                case "codes":
                    codes = Read(ref r);
                    break;
                case "domains":
                    int n = r.ReadArrayHeader();
                    domains = new List<string>(n);
                    for (int k = 0; k < n; k++) domains.Add(r.ReadString()!);
                    break;
                case "domainRules":
                    int m = r.ReadArrayHeader();
                    for (int k = 0; k < m; k++)
                    {
                        RecordCodec.Expect(r.ReadArrayHeader(), 2, "domain's rules");
                        string domain = r.ReadString()!;
                        domainRules.Add(new DomainRulesDefinition(domain, ReadRules(ref r)));
                    }
                    break;
                case "promotedBy":
                    promotedBy = r.ReadString();
                    break;
                case "version":
                    version = r.ReadInt32();
                    break;
                case "since":
                    since = r.ReadInt64();
                    break;
                default:
                    throw new MessagePackSerializationException($"a catalog has an item '{key}' this build does not know");
            }
        }
        if (codes is null) throw new MessagePackSerializationException("a catalog has no codes");
        return HistoryCatalog.Create(codes, domainRules, domains, promotedBy, version, since);
    }

    private static void WriteRules(ref MessagePackWriter w, IReadOnlyList<RuleDefinition> rules)
    {
        w.WriteArrayHeader(rules.Count);
        foreach (var r in rules)
        {
            w.WriteArrayHeader(2);
            w.Write(r.Name);
            w.Write(r.Parameter);
        }
    }

    private static RuleDefinition[] ReadRules(ref MessagePackReader r)
    {
        var rules = new RuleDefinition[r.ReadArrayHeader()];
        for (int k = 0; k < rules.Length; k++)
        {
            RecordCodec.Expect(r.ReadArrayHeader(), 2, "rule");
            rules[k] = new RuleDefinition(r.ReadString()!, r.ReadString()!);
        }
        return rules;
    }

    public static void Write(ref MessagePackWriter w, IReadOnlyList<HistoryCodeDefinition> definitions)
    {
        w.WriteArrayHeader(definitions.Count);
        foreach (var d in definitions)
        {
            w.WriteArrayHeader(7);
            w.Write(d.Code);
            w.Write(d.Name);
            w.Write((byte)d.Direction);
            w.Write(d.Domain);
            w.WriteArrayHeader(d.AllowedKinds.Count);
            foreach (var k in d.AllowedKinds) w.Write((byte)k);
            w.Write(d.MayOverdraw);
            WriteRules(ref w, d.Rules);
        }
    }

    public static List<HistoryCodeDefinition> Read(ref MessagePackReader r)
    {
        int n = r.ReadArrayHeader();
        var definitions = new List<HistoryCodeDefinition>(n);
        for (int i = 0; i < n; i++)
        {
            RecordCodec.Expect(r.ReadArrayHeader(), 7, "history code");
            int code = r.ReadInt32();
            string name = r.ReadString()!;
            var direction = (Direction)r.ReadByte();
            string domain = r.ReadString()!;
            var kinds = new EntryKind[r.ReadArrayHeader()];
            for (int k = 0; k < kinds.Length; k++) kinds[k] = (EntryKind)r.ReadByte();
            bool mayOverdraw = r.ReadBoolean();
            var rules = ReadRules(ref r);
            definitions.Add(new HistoryCodeDefinition(code, name, direction, domain, kinds, mayOverdraw, rules));
        }
        return definitions;
    }

    /// <summary>Whether two catalogs define the same codes, domain rules and settings, in the same order.</summary>
    public static bool SameCatalog(HistoryCatalog a, HistoryCatalog b)
    {
        if (!SameDefinitions(a.Definitions, b.Definitions) || a.DomainRules.Count != b.DomainRules.Count) return false;
        for (int i = 0; i < a.DomainRules.Count; i++)
        {
            if (a.DomainRules[i].Domain != b.DomainRules[i].Domain || !a.DomainRules[i].Rules.SequenceEqual(b.DomainRules[i].Rules)) return false;
        }
        return true;
    }

    /// <summary>Whether two catalogs define the same codes with the same settings and rules, in the same order.</summary>
    public static bool SameDefinitions(IReadOnlyList<HistoryCodeDefinition> a, IReadOnlyList<HistoryCodeDefinition> b)
    {
        if (a.Count != b.Count) return false;
        for (int i = 0; i < a.Count; i++)
        {
            var x = a[i];
            var y = b[i];
            if (x.Code != y.Code || x.Name != y.Name || x.Direction != y.Direction || x.Domain != y.Domain ||
                x.MayOverdraw != y.MayOverdraw || !x.AllowedKinds.SequenceEqual(y.AllowedKinds) || !x.Rules.SequenceEqual(y.Rules))
            {
                return false;
            }
        }
        return true;
    }
}
