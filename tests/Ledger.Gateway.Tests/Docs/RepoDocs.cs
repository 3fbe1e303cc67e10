using System.Text.RegularExpressions;

namespace Ledger.Gateway.Tests.Docs;

/// <summary>Reads the repository's Markdown (docs/*.md, README.md) for the tests that hold the docs to the code.</summary>
internal static partial class RepoDocs
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Ledger.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"No Ledger.sln above {AppContext.BaseDirectory}: run the tests from the repository.");
    }

    public static string Read(string relativePath) => File.ReadAllText(Path.Combine(Root, relativePath));

    /// <summary>The rows (cells trimmed, header and separator dropped) of the first table after the heading that starts with <paramref name="heading"/>.</summary>
    public static List<string[]> TableAfter(string markdown, string heading)
    {
        var lines = markdown.Split('\n');
        int at = Array.FindIndex(lines, l => l.StartsWith(heading, StringComparison.Ordinal));
        if (at < 0) throw new InvalidOperationException($"No heading '{heading}'.");
        int start = Array.FindIndex(lines, at + 1, l => l.StartsWith('|'));
        if (start < 0) throw new InvalidOperationException($"No table after '{heading}'.");
        var rows = new List<string[]>();
        for (int i = start + 2; i < lines.Length && lines[i].StartsWith('|'); i++)
        {
            rows.Add(lines[i].Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray());
        }
        return rows;
    }

    /// <summary>The `code spans` of a cell, in order.</summary>
    public static List<string> CodeSpans(string cell) => CodeSpan().Matches(cell).Select(m => m.Groups[1].Value).ToList();

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex CodeSpan();
}
