using System.Text.Json;
using System.Text.Json.Serialization;
using Ledger.Journal.Storage;

namespace Ledger.Journal;

/// <summary>
/// A place where recovery cut the journal: the records from <see cref="CutAddress"/> on were damaged and are ignored;
/// records appended after the cut start at <see cref="ResumeAddress"/> (FasterLog cannot shorten its tail, so the
/// damaged bytes stay on disk for inspection and readers jump over them).
/// </summary>
public sealed record JournalCut(
    long CutAddress,
    long ResumeAddress,
    long LastGoodRecordNumber,
    long LastGoodSequence,
    string Reason,
    DateTime AtUtc)
{
    public override string ToString() =>
        $"cut after record {LastGoodRecordNumber} (sequence {LastGoodSequence}) at address {CutAddress}, resumed at {ResumeAddress}, {AtUtc:O}: {Reason}";
}

/// <summary>
/// The journal's list of cuts, kept in <c>cuts.json</c> beside the log (replaced atomically). Every reader honours it,
/// so the service and the replay-tool see the same records.
/// Usage: <c>var cuts = JournalCuts.Load(dir); long resume = cuts.ResumeAfter(address);</c>
/// </summary>
public sealed class JournalCuts
{
    public const string FileName = "cuts.json";
    private readonly string _path;
    private volatile JournalCut[] _cuts; // replaced, never changed in place: a cursor reads it while a start's recovery may add a cut

    private JournalCuts(string path, List<JournalCut> cuts)
    {
        _path = path;
        _cuts = [.. cuts];
    }

    public IReadOnlyList<JournalCut> All => _cuts;

    public static JournalCuts Load(string journalDirectory)
    {
        string path = Path.Combine(journalDirectory, FileName);
        if (!File.Exists(path)) return new JournalCuts(path, []);
        try
        {
            var cuts = JsonSerializer.Deserialize(File.ReadAllText(path), CutsJsonContext.Default.ListJournalCut)
                       ?? throw new JsonException("empty document");
            return new JournalCuts(path, cuts);
        }
        catch (JsonException ex)
        {
            throw new JournalFormatException($"The journal's cut list '{path}' is unreadable ({ex.Message}); it says which damaged bytes to skip, so the journal cannot be read without it.", ex);
        }
    }

    /// <summary>The cut that starts at <paramref name="address"/>, or null.</summary>
    public JournalCut? At(long address)
    {
        foreach (var cut in _cuts)
        {
            if (cut.CutAddress == address) return cut;
        }
        return null;
    }

    /// <summary>Records a new cut durably before anything is appended after it.</summary>
    internal void Add(JournalCut cut)
    {
        var copy = _cuts.Where(c => c.CutAddress != cut.CutAddress).Append(cut).ToList();
        DurableFiles.WriteAtomically(_path, stream => JsonSerializer.Serialize(stream, copy, CutsJsonContext.Default.ListJournalCut));
        _cuts = [.. copy];
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(List<JournalCut>))]
internal sealed partial class CutsJsonContext : JsonSerializerContext;
