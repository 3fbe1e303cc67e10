using System.Globalization;

namespace Ledger.ReadSide;

/// <summary>Engine ticks to wire times: UTC instants and UTC business dates (one rule for answers and statements).</summary>
public static class WireTime
{
    public static DateTime Utc(long ticks) => new(ticks, DateTimeKind.Utc);

    /// <summary>The UTC business date of an instant.</summary>
    public static DateOnly AsOfDate(long ticks) => DateOnly.FromDayNumber((int)(ticks / TimeSpan.TicksPerDay));

    /// <summary>
    /// An ISO-8601 instant (2026-06-21T18:00:00Z; an offset is converted to UTC, none means UTC) or a date alone, which
    /// means its start or, with <paramref name="endOfDay"/>, the next day's start (so <c>to=2026-06-21</c> includes that day).
    /// The gateway's query parameters and the replay-tool's options parse with this one rule.
    /// </summary>
    public static bool TryParseInstant(string text, bool endOfDay, out long ticks)
    {
        ticks = 0;
        if (text.Length == 10)
        {
            if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)) return false;
            ticks = date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc).Ticks + (endOfDay ? TimeSpan.TicksPerDay : 0);
            return true;
        }
        if (text.Length < 16 || text[10] is not ('T' or 't')) return false;
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var instant)) return false;
        ticks = instant.UtcTicks;
        return true;
    }
}
