using System.Globalization;
using Ledger.Journal;

namespace Ledger.ReplayTool.Commands;

/// <summary>Shared plumbing of the commands: failures as one sentence and an exit code; time parsing.</summary>
internal static class Tool
{
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (ToolException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return ex.ExitCode;
        }
        catch (ReplayDivergenceException ex)
        {
            Console.Error.WriteLine($"DIVERGENT: {ex.Message}");
            return ExitCodes.Divergent;
        }
        catch (JournalFormatException ex)
        {
            Console.Error.WriteLine($"UNREADABLE: {ex.Message}");
            return ExitCodes.Damaged;
        }
        catch (IOException ex)
        {
            Console.Error.WriteLine($"I/O error: {ex.Message}");
            return ExitCodes.NotFound;
        }
    }

    /// <summary>An ISO-8601 instant (a date alone is midnight UTC; no offset means UTC) as UTC ticks.</summary>
    public static long ParseInstant(string text, string option)
    {
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
            return at.UtcTicks;
        throw new ToolException(ExitCodes.Usage, $"{option} '{text}' is not an ISO-8601 instant (for example 2026-06-21T10:00:00Z).");
    }

    public static string Instant(long ticks) =>
        new DateTime(ticks, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
}
