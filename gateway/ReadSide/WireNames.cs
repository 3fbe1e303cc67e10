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
    private static readonly byte[][] StatusUtf8 = [.. StatusNames.Select(System.Text.Encoding.UTF8.GetBytes)];

    public static string Kind(EntryKind kind) => Name(KindNames, (int)kind, nameof(kind));

    public static string Status(EntryStatus status) => Name(StatusNames, (int)status, nameof(status));

    /// <summary>The status as UTF-8 bytes, for writers that skip strings.</summary>
    public static ReadOnlySpan<byte> StatusBytes(EntryStatus status)
    {
        Name(StatusNames, (int)status, nameof(status));
        return StatusUtf8[(int)status];
    }

    public static string Direction(Direction direction) => Name(DirectionNames, (int)direction, nameof(direction));

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
