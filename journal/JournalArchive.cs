using System.Text.Json;
using System.Text.Json.Serialization;
using Ledger.Journal.Storage;

namespace Ledger.Journal;

/// <summary>
/// What <c>replay-tool archive</c> moved out of the journal: the journal now begins at <see cref="FirstAddress"/> with
/// record <see cref="FirstRecordNumber"/> (the ledger's last sequence before it: <see cref="LastSequenceBefore"/>); the
/// older segment files are in <see cref="ArchivedTo"/>. Kept in <c>archive.json</c> beside the log (replaced
/// atomically); absent while nothing was archived (the journal begins at record 1). Readers that start at the
/// journal's beginning expect that record number; tools say which range they cover and refuse outside it.
/// </summary>
public sealed record JournalArchive(long FirstRecordNumber, long FirstAddress, long LastSequenceBefore, long FirstTimestampTicks, string? ArchivedTo, DateTime? AtUtc)
{
    public const string FileName = "archive.json";

    public static readonly JournalArchive None = new(1, 0, 0, 0, null, null);

    public bool IsArchived => FirstRecordNumber > 1;

    public static JournalArchive Load(string journalDirectory)
    {
        string path = Path.Combine(journalDirectory, FileName);
        if (!File.Exists(path)) return None;
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), ArchiveJsonContext.Default.JournalArchive)
                   ?? throw new JournalFormatException($"'{path}' is empty.");
        }
        catch (JsonException ex)
        {
            throw new JournalFormatException($"'{path}' is not a readable archive record ({ex.Message}); restore it from the archive directory's copy.");
        }
    }

    /// <summary>Writes the record atomically (temp, fsync, rename, fsync directory).</summary>
    public void Save(string journalDirectory) =>
        DurableFiles.WriteAtomically(Path.Combine(journalDirectory, FileName), file => file.Write(JsonSerializer.SerializeToUtf8Bytes(this, ArchiveJsonContext.Default.JournalArchive)));
}

[JsonSerializable(typeof(JournalArchive))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class ArchiveJsonContext : JsonSerializerContext;
