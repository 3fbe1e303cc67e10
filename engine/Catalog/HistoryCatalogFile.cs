using System.Text.Json;
using System.Text.Json.Serialization;
using Ledger.Engine.Domain;

namespace Ledger.Engine.Catalog;

/// <summary>
/// Reads the history-code catalog file (<c>Ledger:HistoryCodes</c>, default <c>catalog/history-codes.json</c>).
/// A bad file fails start-up with a sentence naming the file and what to fix.
/// Usage: <c>var catalog = HistoryCatalogFile.Load(path);</c>
/// </summary>
public static class HistoryCatalogFile
{
    /// <summary>The catalog shipped in the repo, beside the binaries.</summary>
    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "catalog", "history-codes.json");

    public static HistoryCatalog Load(string path)
    {
        if (!File.Exists(path)) throw new CatalogException($"History-code catalog '{path}' does not exist: set Ledger:HistoryCodes to the catalog file.");
        try
        {
            return Parse(File.ReadAllText(path));
        }
        catch (CatalogException ex)
        {
            throw new CatalogException($"History-code catalog '{path}': {ex.Message}");
        }
    }

    public static HistoryCatalog Parse(string json)
    {
        FileModel? model;
        try
        {
            model = JsonSerializer.Deserialize(json, CatalogJsonContext.Default.FileModel);
        }
        catch (JsonException ex)
        {
            throw new CatalogException($"not valid catalog JSON ({ex.Message}).");
        }
        if (model?.HistoryCodes is null) throw new CatalogException("it needs a 'historyCodes' array.");
        var definitions = new List<HistoryCodeDefinition>(model.HistoryCodes.Count);
        foreach (var c in model.HistoryCodes)
        {
            var direction = c.Direction switch
            {
                "debit" => Direction.Debit,
                "credit" => Direction.Credit,
                _ => throw new CatalogException($"code {c.Code}: direction must be 'debit' or 'credit', not '{c.Direction}'."),
            };
            var kinds = (c.AllowedKinds ?? []).Select(k => k switch
            {
                "ledger" => EntryKind.Ledger,
                "blocking" => EntryKind.Blocking,
                _ => throw new CatalogException($"code {c.Code}: allowedKinds lists '{k}'; a partner originates only 'ledger' or 'blocking' entries (unblocking, reversal and removal follow the original)."),
            }).ToArray();
            var rules = (c.Rules ?? []).Select(r => new RuleDefinition(r.Name ?? "", r.Value ?? "")).ToArray();
            definitions.Add(new HistoryCodeDefinition(c.Code, c.Name ?? "", direction, c.Domain ?? "", kinds, c.MayOverdraw, rules));
        }
        var domainRules = new List<DomainRulesDefinition>();
        foreach (var d in model.Domains ?? [])
        {
            if (string.IsNullOrWhiteSpace(d.Domain)) throw new CatalogException("an entry of 'domains' needs a 'domain' name.");
            domainRules.Add(new DomainRulesDefinition(d.Domain, (d.Rules ?? []).Select(r => new RuleDefinition(r.Name ?? "", r.Value ?? "")).ToArray()));
        }
        return HistoryCatalog.Create(definitions, domainRules, null, null);
    }

    /// <summary>The catalog in the file's format (what <see cref="Parse"/> reads back as the same definitions and domain rules).</summary>
    public static string ToJson(HistoryCatalog catalog)
    {
        var model = new FileModel
        {
            HistoryCodes = [.. catalog.Definitions.Select(d => new CodeModel
            {
                Code = d.Code,
                Name = d.Name,
                Direction = d.Direction == Direction.Debit ? "debit" : "credit",
                Domain = d.Domain,
                AllowedKinds = [.. d.AllowedKinds.Select(k => k == EntryKind.Blocking ? "blocking" : "ledger")],
                MayOverdraw = d.MayOverdraw,
                Rules = [.. d.Rules.Select(r => new RuleModel { Name = r.Name, Value = r.Parameter })],
            })],
            Domains = catalog.DomainRules.Count == 0 ? null : [.. catalog.DomainRules.Select(dr => new DomainModel
            {
                Domain = dr.Domain,
                Rules = [.. dr.Rules.Select(r => new RuleModel { Name = r.Name, Value = r.Parameter })],
            })],
        };
        return JsonSerializer.Serialize(model, CatalogJsonContext.Default.FileModel);
    }

    internal sealed class FileModel
    {
        public List<CodeModel>? HistoryCodes { get; set; }
        public List<DomainModel>? Domains { get; set; }
    }

    internal sealed class DomainModel
    {
        public string? Domain { get; set; }
        public List<RuleModel>? Rules { get; set; }
    }

    internal sealed class CodeModel
    {
        public int Code { get; set; }
        public string? Name { get; set; }
        public string? Direction { get; set; }
        public string? Domain { get; set; }
        public List<string>? AllowedKinds { get; set; }
        public bool MayOverdraw { get; set; }
        public List<RuleModel>? Rules { get; set; }
    }

    internal sealed class RuleModel
    {
        public string? Name { get; set; }
        public string? Value { get; set; }
    }
}

// A member given twice is refused (not "the last one wins"): a promoted catalog must say one thing.
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, AllowDuplicateProperties = false,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(HistoryCatalogFile.FileModel))]
internal sealed partial class CatalogJsonContext : JsonSerializerContext;
