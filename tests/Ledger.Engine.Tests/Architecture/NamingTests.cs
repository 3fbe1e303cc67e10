using System.Text.RegularExpressions;
using NUnit.Framework;

namespace Ledger.Engine.Tests.Architecture;

/// <summary>
/// One name per concept (issue 18): words and shapes the code settled on, held over every C# source of the
/// repository so a leftover or a second name for the same thing fails here, not in a newcomer's head. The chosen
/// names are in docs/decisions.md ("One name per concept").
/// </summary>
public sealed partial class NamingTests
{
    private static readonly string Root = DependencyTests.RepositoryRoot();

    private static readonly string[] ProductFolders = ["engine", "journal", "gateway", "replay-tool", "perf"];

    /// <summary>Every tracked-looking C# source (no build output, no node packages), as (path from the root, text).</summary>
    private static IEnumerable<(string Path, string Text)> Sources(params string[] folders)
    {
        foreach (var folder in folders)
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(Root, folder), "*.cs", SearchOption.AllDirectories))
            {
                string relative = Path.GetRelativePath(Root, file).Replace('\\', '/');
                if (relative.Contains("/bin/", StringComparison.Ordinal) || relative.Contains("/obj/", StringComparison.Ordinal) ||
                    relative.Contains("node_modules", StringComparison.Ordinal)) continue;
                yield return (relative, File.ReadAllText(file));
            }
        }
    }

    [Test]
    public void ShouldCallARecordsNumberRecordNumberEverywhere()
    {
        // One name per concept (issue 18): the engine's command number is the journal record's number.
        string old = "Command" + "Number";
        var offending = Sources([.. ProductFolders, "tests"])
            .SelectMany(s => s.Text.Split('\n').Select((line, i) => (s.Path, Line: i + 1, Text: line)))
            .Where(l => l.Text.Contains(old, StringComparison.OrdinalIgnoreCase))
            .Select(l => $"{l.Path}:{l.Line}");
        Assert.That(offending, Is.Empty);
    }

    [Test]
    public void ShouldNotSaySnapshotForADesignThatIsGone()
    {
        // The entry store keeps a checkpoint, not snapshots; only the refusal of the old Ledger:Snapshot keys may name it.
        var offending = Sources([.. ProductFolders, "tests"])
            .Where(s => !s.Path.EndsWith("NamingTests.cs", StringComparison.Ordinal))
            .SelectMany(s => s.Text.Split('\n').Select((line, i) => (s.Path, Line: i + 1, Text: line)))
            .Where(l => l.Text.Contains("snapshot", StringComparison.OrdinalIgnoreCase) && !l.Text.Contains("Ledger:Snapshot", StringComparison.Ordinal) &&
                        !l.Text.Contains("+ \":Snapshot\"", StringComparison.Ordinal))
            .Select(l => $"{l.Path}:{l.Line}");
        Assert.That(offending, Is.Empty);
    }

    [Test]
    public void ShouldSayCheckpointForWhereTheStoreStandsAndCutOnlyForADamagedJournalTail()
    {
        // "cut" meant both the entry store's checkpoint and a damaged journal tail cut away. Operators see "checkpoint"
        // for the store (Ledger:Checkpoint:*, replay-tool output) and "cut" for the damage (cuts.json, "JOURNAL CUT" in the
        // recovery log line), so the store's one is StoreCheckpoint and "cut" is left to JournalCut alone.
        var lines = Sources([.. ProductFolders, "tests"]).Concat(CurrentDocs())
            .Where(s => !s.Path.EndsWith("NamingTests.cs", StringComparison.Ordinal))
            .SelectMany(s => s.Text.Split('\n').Select((line, i) => (s.Path, Line: i + 1, Text: line)));
        var offending = lines.Where(l => StoreCutInCode().IsMatch(l.Text) || StoreCutInProse().IsMatch(l.Text)).Select(l => $"{l.Path}:{l.Line}: {l.Text.Trim()}");
        Assert.That(offending, Is.Empty);
    }

    /// <summary>The docs that describe the code as it is now (perf-history.md and perf-report/ are records of past runs, kept as written).</summary>
    private static IEnumerable<(string Path, string Text)> CurrentDocs()
    {
        yield return ("README.md", File.ReadAllText(Path.Combine(Root, "README.md")));
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Root, "docs"), "*.md"))
        {
            if (Path.GetFileName(file) == "perf-history.md") continue;
            yield return (Path.GetRelativePath(Root, file).Replace('\\', '/'), File.ReadAllText(file));
        }
    }

    [TestCase("engine")]
    [TestCase("journal")]
    [TestCase("gateway/ReadSide")]
    public void ShouldNameComponentSettingsSettingsNotOptions(string folder)
    {
        // FASTER's convention for a component's knobs; *Options is kept for the gateway's configuration binding (Ledger:*).
        var offending = Sources(folder).SelectMany(s => TypeDeclaration().Matches(s.Text).Select(m => (s.Path, Name: m.Groups["name"].Value)))
            .Where(t => t.Name.EndsWith("Options", StringComparison.Ordinal))
            .Select(t => $"{t.Path}: {t.Name}");
        Assert.That(offending, Is.Empty);
    }

    [Test]
    public void ShouldNotNameATypeAfterTheNamespaceItLivesIn()
    {
        // EntryStore.EntryStore made every outside use ambiguous; the folder is Entries, the type EntryStore.
        var offending = Sources([.. ProductFolders]).SelectMany(s =>
        {
            var ns = Namespace().Match(s.Text);
            string last = ns.Success ? ns.Groups["name"].Value.Split('.')[^1] : "";
            return TypeDeclaration().Matches(s.Text).Where(m => m.Groups["name"].Value == last).Select(m => $"{s.Path}: {ns.Groups["name"].Value}.{last}");
        });
        Assert.That(offending, Is.Empty);
    }

    [Test]
    public void ShouldDeclareTheEngineEnumsOnlyInTheEngine()
    {
        // The Kafka ingress once had its own CommandKind beside the engine's; a door names the wire's symbols otherwise.
        var engineEnums = Sources("engine").SelectMany(s => EnumDeclaration().Matches(s.Text).Select(m => m.Groups["name"].Value)).ToHashSet();
        var offending = Sources("journal", "gateway", "replay-tool", "perf")
            .SelectMany(s => EnumDeclaration().Matches(s.Text).Select(m => (s.Path, Name: m.Groups["name"].Value)))
            .Where(e => engineEnums.Contains(e.Name))
            .Select(e => $"{e.Path}: enum {e.Name}");
        Assert.That(offending, Is.Empty);
    }

    [TestCase("journal")]
    [TestCase("gateway/ReadSide")]
    [TestCase("engine/Hosting")]
    [TestCase("engine/Ring")]
    [TestCase("engine/State")]
    public void ShouldNotNameTheGatewaysConfigurationKeysBelowIt(string folder)
    {
        // Configuration is judged once, in the gateway (ConfigurationCheck); a lower layer says what is wrong in its own terms.
        var offending = Sources(folder).SelectMany(s => GatewayKeyInString().Matches(s.Text).Select(m => $"{s.Path}: {m.Value}"));
        Assert.That(offending, Is.Empty);
    }

    [GeneratedRegex(@"^\s*(?:(?:public|internal|private|protected|sealed|static|abstract|readonly|partial|ref|record)\s+)*(?:class|struct|interface|enum|record)\s+(?<name>[A-Za-z_][A-Za-z0-9_]*)", RegexOptions.Multiline)]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"^\s*(?:(?:public|internal|private|protected)\s+)*enum\s+(?<name>[A-Za-z_][A-Za-z0-9_]*)", RegexOptions.Multiline)]
    private static partial Regex EnumDeclaration();

    [GeneratedRegex(@"^namespace\s+(?<name>[A-Za-z0-9_.]+)", RegexOptions.Multiline)]
    private static partial Regex Namespace();

    // A type or member that calls the store's checkpoint a cut (StoreCut, EntryStore.Cut, CutKey), or a bare Cut property.
    [GeneratedRegex(@"\b\w*(?:Store|Checkpoint)\w*Cut\w*\b|\bCut\w*(?:Store|Checkpoint)\w*\b|\bCutKey\b|\bReadCut\b|\.Cut\b|\bCut\s*\{\s*get")]
    private static partial Regex StoreCutInCode();

    // Prose that calls the store's checkpoint a cut: "the store's cut", "entry store cut", "live state at the cut", "cut record".
    [GeneratedRegex(@"\bstore(?:'s)?\s+(?:durable\s+|last\s+)?cut\b|\b(?:live\s+)?state\s+at\s+(?:the|its|a)\s+cut\b|\bcut\s+(?:record|row|key)\b|\bcheckpoint\s+is\s+the\s+cut\b", RegexOptions.IgnoreCase)]
    private static partial Regex StoreCutInProse();

    [GeneratedRegex("\"[^\"\\n]*Ledger:[A-Z][^\"\\n]*\"")]
    private static partial Regex GatewayKeyInString();
}
