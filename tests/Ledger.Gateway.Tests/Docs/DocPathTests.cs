using System.Text.RegularExpressions;

namespace Ledger.Gateway.Tests.Docs;

/// <summary>
/// Every repository path README.md and docs/*.md write (<c>engine/Limits.cs</c>, <c>gateway/Api/</c>, a relative link)
/// exists, so a newcomer following them (README's "Reading the code") never meets a file that moved. Paths with a
/// placeholder (<c>{…}</c>, <c>&lt;…&gt;</c>, <c>*</c>), build outputs (<c>bin/</c>, <c>obj/</c>) and the git-ignored
/// <c>perf/results/</c> of benchmark runs are not files of the repository and are skipped.
/// </summary>
public partial class DocPathTests
{
    public static IEnumerable<string> Documents() =>
        new[] { "README.md" }.Concat(Directory.GetFiles(Path.Combine(RepoDocs.Root, "docs"), "*.md")
            .Select(f => Path.GetRelativePath(RepoDocs.Root, f)).Order(StringComparer.Ordinal));

    [TestCaseSource(nameof(Documents))]
    public void EveryRepositoryPathItCitesShouldExist(string document)
    {
        string text = RepoDocs.Read(document);
        var missing = new SortedSet<string>(StringComparer.Ordinal);
        int checkedPaths = 0;
        foreach (Match m in RepoPath().Matches(text))
        {
            string path = m.Groups[1].Value.TrimEnd('.', ',', ':', ';', ')');
            int next = m.Index + m.Length;
            if (next < text.Length && text[next] is '{' or '<' or '*' or '…') continue; // a pattern, not a file
            if (path.Contains("/bin/", StringComparison.Ordinal) || path.Contains("/obj/", StringComparison.Ordinal) || path.StartsWith("perf/results/", StringComparison.Ordinal)) continue;
            checkedPaths++;
            if (!Exists(path)) missing.Add(path);
        }
        string directory = Path.GetDirectoryName(document) ?? "";
        foreach (Match m in MarkdownLink().Matches(text))
        {
            string target = m.Groups[1].Value;
            if (target.StartsWith("http", StringComparison.Ordinal) || target.StartsWith('#') || target.StartsWith("mailto:", StringComparison.Ordinal)) continue;
            string file = target.Split('#')[0];
            checkedPaths++;
            if (!Exists(Path.GetRelativePath(RepoDocs.Root, Path.GetFullPath(Path.Combine(RepoDocs.Root, directory, file))))) missing.Add($"link ({target})");
        }
        Assert.That(missing, Is.Empty, $"{document} cites paths that do not exist ({checkedPaths} checked)");
    }

    [Test]
    public void TheReadingRouteShouldCiteTheFilesOfOneRequest()
    {
        string readme = RepoDocs.Read("README.md");
        int start = readme.IndexOf("## Reading the code", StringComparison.Ordinal);
        Assert.That(start, Is.GreaterThanOrEqualTo(0), "README.md has a \"Reading the code\" section");
        var cited = RepoPath().Matches(readme[start..]).Select(m => m.Groups[1].Value).ToList();
        Assert.That(cited, Has.Count.GreaterThanOrEqualTo(15), "the route names the files a request runs through");
        Assert.That(cited, Does.Contain("gateway/Api/BatchesApi.cs").And.Contain("engine/LedgerEngine.cs").And.Contain("journal/JournalWriter.cs"));
    }

    private static bool Exists(string relative) =>
        File.Exists(Path.Combine(RepoDocs.Root, relative)) || Directory.Exists(Path.Combine(RepoDocs.Root, relative));

    [GeneratedRegex(@"(?<![\w./\-:@<])((?:engine|journal|gateway|replay-tool|perf|tests|docs|\.ci)/[A-Za-z0-9_./\-]*)")]
    private static partial Regex RepoPath();

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex MarkdownLink();
}
