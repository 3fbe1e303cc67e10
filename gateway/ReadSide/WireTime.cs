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

    /// <summary>
    /// The last tick an instant or date covers, at the precision it is written in: <c>2026-06-21</c> → the day's last
    /// tick, <c>…T12:00Z</c> → that minute's, <c>…T12:00:00Z</c> → that second's, <c>…T12:00:00.123Z</c> → that
    /// millisecond's. What <c>?at=</c> means ("everything stamped up to then"): an instant copied through a
    /// millisecond clock (a JavaScript Date) still includes the entry stamped within that millisecond, which the
    /// ledger stamps in 100 ns ticks.
    /// </summary>
    public static bool TryParseInstantThrough(string text, out long ticks)
    {
        if (!TryParseInstant(text, endOfDay: true, out ticks)) return false;
        if (text.Length == 10) // a date: TryParseInstant gave the next day's start
        {
            ticks--;
            return true;
        }
        ticks += UnitOf(text) - 1;
        return true;
    }

    /// <summary>Ticks in the last unit written: minutes, seconds, or 10^(7 − n) for n fraction digits.</summary>
    private static long UnitOf(string text)
    {
        int end = text.Length;
        for (int i = 11; i < text.Length; i++)
        {
            if (text[i] is 'Z' or 'z' or '+' or '-')
            {
                end = i;
                break;
            }
        }
        var time = text.AsSpan(11, end - 11); // HH:mm[:ss[.fffffff]]
        int dot = time.IndexOf('.');
        if (dot >= 0)
        {
            int digits = Math.Min(7, time.Length - dot - 1);
            long unit = 1;
            for (int i = digits; i < 7; i++) unit *= 10;
            return unit;
        }
        return time.Count(':') >= 2 ? TimeSpan.TicksPerSecond : TimeSpan.TicksPerMinute;
    }
}
