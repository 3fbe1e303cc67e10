using System.Text.Json;
using Ledger.Engine.Domain;

namespace Ledger.ReadSide;

/// <summary>
/// The wire names of entry kinds, statuses and directions: one table for every reader and writer (batch JSON, bundles,
/// statements, OpenAPI enums, query filters, the replay-tool's CSV). The gateway's schema enums (EntryKindName,
/// EntryStatusName, DirectionName) spell the same names for OpenAPI; a test holds them to this table.
/// </summary>
public static class WireNames
{
    public static readonly IReadOnlyList<EntryKind> Kinds = [EntryKind.Ledger, EntryKind.Blocking, EntryKind.Unblocking, EntryKind.Reversal, EntryKind.Removal];
    public static readonly IReadOnlyList<EntryStatus> Statuses = [EntryStatus.Posted, EntryStatus.Pending, EntryStatus.Expired, EntryStatus.Released, EntryStatus.Removed];

    // Indexed by the enum's value (0 is no value).
    private static readonly string[] KindNames = ["", "ledger", "blocking", "unblocking", "reversal", "removal"];
    private static readonly string[] StatusNames = ["", "POSTED", "PENDING", "EXPIRED", "RELEASED", "REMOVED"];
    private static readonly string[] DirectionNames = ["", "DEBIT", "CREDIT"];
    // The same names encoded once for JSON writers, which then copy them without an escaping check per value.
    private static readonly JsonEncodedText[] StatusJsonNames = [.. StatusNames.Select(n => JsonEncodedText.Encode(n))];
    private static readonly JsonEncodedText[] DirectionJsonNames = [.. DirectionNames.Select(n => JsonEncodedText.Encode(n))];

    public static string Kind(EntryKind kind) => Name(KindNames, (int)kind, nameof(kind));

    public static string Status(EntryStatus status) => Name(StatusNames, (int)status, nameof(status));

    /// <summary>The status's name as JSON writers take it, encoded once.</summary>
    public static JsonEncodedText StatusJson(EntryStatus status)
    {
        Name(StatusNames, (int)status, nameof(status));
        return StatusJsonNames[(int)status];
    }

    public static string Direction(Direction direction) => Name(DirectionNames, (int)direction, nameof(direction));

    /// <summary>The direction's name as JSON writers take it, encoded once.</summary>
    public static JsonEncodedText DirectionJson(Direction direction)
    {
        Name(DirectionNames, (int)direction, nameof(direction));
        return DirectionJsonNames[(int)direction];
    }

    public static bool TryParseKind(string? text, out EntryKind kind)
    {
        int i = Array.IndexOf(KindNames, text);
        kind = i > 0 ? (EntryKind)i : 0;
        return i > 0;
    }

    /// <summary>The kind named by unescaped UTF-8 text (a JSON string's raw bytes).</summary>
    public static bool TryParseKind(ReadOnlySpan<byte> utf8, out EntryKind kind)
    {
        for (int i = 1; i < KindNames.Length; i++)
        {
            if (System.Text.Ascii.Equals(utf8, KindNames[i]))
            {
                kind = (EntryKind)i;
                return true;
            }
        }
        kind = 0;
        return false;
    }

    public static bool TryParseStatus(string? text, out EntryStatus status)
    {
        int i = Array.IndexOf(StatusNames, text);
        status = i > 0 ? (EntryStatus)i : EntryStatus.None;
        return i > 0;
    }

    private static string Name(string[] names, int value, string what) =>
        value > 0 && value < names.Length ? names[value] : throw new ArgumentOutOfRangeException(what, value, $"not a {what} the wire names");
}
