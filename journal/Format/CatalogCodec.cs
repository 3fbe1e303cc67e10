using Ledger.Engine.Catalog;
using Ledger.Engine.Domain;
using MessagePack;

namespace Ledger.Journal.Format;

/// <summary>
/// A history-code catalog in MessagePack (journal LoadCatalog records and snapshot manifests):
/// <c>[[code, name, direction, domain, [kind...], mayOverdraw, [[rule, parameter]...]], ...]</c>.
/// </summary>
internal static class CatalogCodec
{
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
            w.WriteArrayHeader(d.Rules.Count);
            foreach (var r in d.Rules)
            {
                w.WriteArrayHeader(2);
                w.Write(r.Name);
                w.Write(r.Parameter);
            }
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
            var rules = new RuleDefinition[r.ReadArrayHeader()];
            for (int k = 0; k < rules.Length; k++)
            {
                RecordCodec.Expect(r.ReadArrayHeader(), 2, "rule");
                rules[k] = new RuleDefinition(r.ReadString()!, r.ReadString()!);
            }
            definitions.Add(new HistoryCodeDefinition(code, name, direction, domain, kinds, mayOverdraw, rules));
        }
        return definitions;
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
