using System.Text.Json;
using System.Text.Json.Serialization;
using Ledger.Journal.Storage;

namespace Ledger.Journal;

/// <summary>
/// The FasterLog layout a journal was created with (<c>layout.json</c> beside the log). FasterLog reads its files
/// only with the page and segment size that wrote them, so every opener (service, shadow, tools) takes them from here.
/// </summary>
internal sealed record JournalLayout(int Format, int PageSizeBits, int SegmentSizeBits)
{
    public const string FileName = "layout.json";

    public static JournalSettings Apply(string directory, JournalSettings settings, bool readOnly)
    {
        string path = Path.Combine(directory, FileName);
        if (File.Exists(path))
        {
            JournalLayout layout;
            try
            {
                layout = JsonSerializer.Deserialize(File.ReadAllText(path), LayoutJsonContext.Default.JournalLayout) ?? throw new JsonException("empty");
            }
            catch (JsonException ex)
            {
                throw new JournalFormatException($"The journal layout file '{path}' is unreadable ({ex.Message}).", ex);
            }
            if (layout.Format != 1) throw new JournalFormatException($"The journal in '{directory}' has layout format {layout.Format}; this build reads format 1.");
            return settings with
            {
                PageSizeBits = layout.PageSizeBits,
                SegmentSizeBits = layout.SegmentSizeBits,
                MemorySizeBits = Math.Max(settings.MemorySizeBits, layout.PageSizeBits + 1),
            };
        }
        if (!readOnly)
        {
            var layout = new JournalLayout(1, settings.PageSizeBits, settings.SegmentSizeBits);
            DurableFiles.WriteAtomically(path, stream => JsonSerializer.Serialize(stream, layout, LayoutJsonContext.Default.JournalLayout));
        }
        return settings;
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(JournalLayout))]
internal sealed partial class LayoutJsonContext : JsonSerializerContext;
