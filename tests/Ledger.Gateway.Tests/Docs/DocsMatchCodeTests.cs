using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Ledger.Gateway.Hosting;
using Ledger.Gateway.Problems;

namespace Ledger.Gateway.Tests.Docs;

/// <summary>
/// docs/gateway.md's tables say what the code does: the Problem table lists exactly <see cref="ProblemTypes.All"/> (reason
/// and status), and the configuration tables (gateway.md's and kafka.md's) list exactly the keys of the options classes,
/// each with the default the class has.
/// </summary>
public partial class DocsMatchCodeTests
{
    [Test]
    public void TheProblemTableShouldListEveryProblemKindWithItsStatusAndNothingElse()
    {
        var documented = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var row in RepoDocs.TableAfter(RepoDocs.Read("docs/gateway.md"), "## Errors"))
        {
            foreach (var reason in RepoDocs.CodeSpans(row[0])) documented.Add($"{reason} {row[1]}");
        }
        var inCode = new SortedSet<string>(ProblemTypes.All.Select(k => $"{k.Reason} {k.Status}"), StringComparer.Ordinal);

        Assert.Multiple(() =>
        {
            Assert.That(inCode.Except(documented), Is.Empty, "ProblemTypes.All has these (reason status), docs/gateway.md's \"Errors\" table lacks them");
            Assert.That(documented.Except(inCode), Is.Empty, "docs/gateway.md's \"Errors\" table lists these (reason status), ProblemTypes.All lacks them");
        });
    }

    /// <summary>Keys in gateway.md's table that are not <see cref="LedgerOptions"/> properties, and why.</summary>
    private static readonly HashSet<string> NotOptions = new(StringComparer.Ordinal)
    {
        "urls",               // ASP.NET Core's own --urls, not under Ledger:
        "Perf:NoOpEndpoint",  // read once by PerfApi (PerfApi.Setting), off the options classes on purpose
        "Snapshot:*",         // a key that is refused, documented so an old configuration gets a sentence
        "Kafka:*",            // kafka.md's table, checked below
    };

    [Test]
    public void TheConfigurationTablesShouldListEveryOptionWithItsDefault()
    {
        var documented = new Dictionary<string, string>(StringComparer.Ordinal);
        AddRows(documented, RepoDocs.TableAfter(RepoDocs.Read("docs/gateway.md"), "## Configuration"), prefix: "");
        AddRows(documented, RepoDocs.TableAfter(RepoDocs.Read("docs/kafka.md"), "# Kafka"), prefix: "Kafka:");

        var options = new Dictionary<string, object?>(StringComparer.Ordinal);
        Collect(new LedgerOptions(), "", options);

        var problems = new List<string>();
        foreach (var (key, value) in options)
        {
            if (!documented.TryGetValue(key, out var text)) problems.Add($"Ledger:{key} (default {value ?? "null"}) is not in docs/gateway.md's (or kafka.md's) configuration table");
            else if (!Agrees(value, text)) problems.Add($"Ledger:{key}: the docs say the default is '{text}', the options class says {Show(value)}");
        }
        foreach (var key in documented.Keys.Where(k => !options.ContainsKey(k) && !NotOptions.Contains(k)))
            problems.Add($"the docs list Ledger:{key}, which no options class has");
        Assert.That(problems, Is.Empty);
    }

    private static void AddRows(Dictionary<string, string> documented, List<string[]> rows, string prefix)
    {
        foreach (var row in rows)
        {
            var keys = RepoDocs.CodeSpans(row[0]).Select(k => prefix + TrailingPlaceholder().Replace(k, "")).ToList();
            var defaults = SplitDefaults(row[1]);
            for (int i = 0; i < keys.Count; i++)
            {
                // One default per key when the row gives as many; one default for a whole row belongs to its first key.
                documented[keys[i]] = defaults.Count == keys.Count ? defaults[i] : i == 0 ? row[1] : "";
            }
        }
    }

    /// <summary>"64 MiB, 64 MiB, 3" → three; a comma inside parentheses does not split.</summary>
    private static List<string> SplitDefaults(string cell)
    {
        var parts = new List<string>();
        int depth = 0, start = 0;
        for (int i = 0; i < cell.Length; i++)
        {
            if (cell[i] == '(') depth++;
            else if (cell[i] == ')') depth--;
            else if (cell[i] == ',' && depth == 0)
            {
                parts.Add(cell[start..i].Trim());
                start = i + 1;
            }
        }
        parts.Add(cell[start..].Trim());
        return parts;
    }

    private static void Collect(object section, string prefix, Dictionary<string, object?> into)
    {
        foreach (var p in section.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var value = p.GetValue(section);
            if (p.PropertyType.IsClass && p.PropertyType.Name.EndsWith("Options", StringComparison.Ordinal) && value is not null)
                Collect(value, prefix + p.Name + ":", into);
            else into[prefix + p.Name] = value;
        }
    }

    /// <summary>Whether the documented default means the value the options class starts with.</summary>
    private static bool Agrees(object? value, string text)
    {
        text = text.Replace("`", "", StringComparison.Ordinal).Trim();
        switch (value)
        {
            case null:
            case IEnumerable and not string when !((IEnumerable)value).GetEnumerator().MoveNext():
                return text.Length > 0 && Number(text) is null; // none / unset / derived, said in words
            case bool b:
                return b ? text.StartsWith("true", StringComparison.Ordinal) : text.StartsWith("false", StringComparison.Ordinal) || text.StartsWith("off", StringComparison.Ordinal);
            case string s:
                return text == s || text.StartsWith(s + " ", StringComparison.Ordinal);
            case TimeSpan t:
                return Duration(text) == t;
            case int or long or double:
                return Number(text) == Convert.ToDouble(value, CultureInfo.InvariantCulture);
            default:
                return false;
        }
    }

    private static string Show(object? value) => value switch
    {
        null => "null",
        string s => $"'{s}'",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>"1 048 576", "128 MiB", "1 GiB", "0.25" → the number; anything else null.</summary>
    private static double? Number(string text)
    {
        var m = NumberText().Match(text.Replace('\u00a0', ' ').Replace('\u202f', ' '));
        if (!m.Success) return null;
        double n = double.Parse(m.Groups[1].Value.Replace(" ", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);
        return m.Groups[2].Value switch
        {
            "KiB" => n * 1024,
            "MiB" => n * 1024 * 1024,
            "GiB" => n * 1024 * 1024 * 1024,
            _ => n,
        };
    }

    /// <summary>"00:00:02", "1 h", "30 s", "200 ms" → the duration; anything else null.</summary>
    private static TimeSpan? Duration(string text)
    {
        if (TimeSpan.TryParseExact(text, @"hh\:mm\:ss", CultureInfo.InvariantCulture, out var exact)) return exact;
        var m = DurationText().Match(text);
        if (!m.Success) return null;
        double n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        return m.Groups[2].Value switch
        {
            "h" => TimeSpan.FromHours(n),
            "min" => TimeSpan.FromMinutes(n),
            "s" => TimeSpan.FromSeconds(n),
            _ => TimeSpan.FromMilliseconds(n),
        };
    }

    [GeneratedRegex(@"^(\d[\d ]*(?:\.\d+)?)(?: (KiB|MiB|GiB))?$")]
    private static partial Regex NumberText();

    [GeneratedRegex(@"^(\d+(?:\.\d+)?) (h|min|s|ms)$")]
    private static partial Regex DurationText();

    [GeneratedRegex(@":<[^>]+>$")]
    private static partial Regex TrailingPlaceholder();
}
