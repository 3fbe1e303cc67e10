using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Ledger.Engine;
using Ledger.Engine.Catalog;
using Ledger.Engine.Domain;
using Ledger.Journal;
using Ledger.ReadSide;

namespace Ledger.ReplayTool.Commands;

/// <summary>
/// <c>statement &lt;data-dir&gt; --branch B --account A [--from T] [--to T] [--limit N] [--cursor C] [--format csv|json]</c>:
/// the entries that applied to an account, oldest first, each with its status as it stands at the end of the journal.
/// It runs the service's read side (<see cref="JournalReadSide"/>) over the journal, and writes JSON with the
/// gateway's writer: the same window, limit and cursor give the bytes of <c>GET /v1/entries</c> (plus a newline).
/// Without <c>--limit</c> every entry of the window is listed (streamed page by page, as one body).
/// </summary>
internal static class StatementCommand
{

    public static Command Build()
    {
        var dir = new Argument<string>("data-dir") { Description = "The service's data directory (Ledger:DataDir)." };
        var branch = new Option<int>("--branch") { Description = "Branch number.", Required = true };
        var account = new Option<long>("--account") { Description = "Account number.", Required = true };
        var from = new Option<string?>("--from") { Description = "ISO-8601 instant or date: entries stamped at or after it." };
        var to = new Option<string?>("--to") { Description = "ISO-8601 instant: entries stamped before it (a date alone includes that day)." };
        var limit = new Option<int?>("--limit") { Description = "One page of at most this many entries (1..1000), with nextCursor as the API gives it." };
        var cursor = new Option<string?>("--cursor") { Description = "Continue after a page: its nextCursor." };
        var format = new Option<string>("--format") { Description = "csv or json.", DefaultValueFactory = _ => "csv" };
        format.AcceptOnlyFromAmong("csv", "json");
        var command = new Command("statement", "List the entries applied to an account (csv or json on stdout).") { dir, branch, account, from, to, limit, cursor, format };
        command.SetAction(r => Tool.Run(() => Execute(r.GetValue(dir)!, new AccountKey(r.GetValue(branch), r.GetValue(account)),
            r.GetValue(from), r.GetValue(to), r.GetValue(limit), r.GetValue(cursor), r.GetValue(format)!)));
        return command;
    }

    private static int Execute(string path, AccountKey key, string? fromText, string? toText, int? limit, string? cursor, string format)
    {
        if (!key.IsValid) throw new ToolException(ExitCodes.Usage, $"Account {key} is outside branch 0..9999 / account 0..999999999999.");
        long from = fromText is null ? 0 : Instant(fromText, "--from", endOfDay: false);
        long to = toText is null ? long.MaxValue : Instant(toText, "--to", endOfDay: true);
        if (from >= to) throw new ToolException(ExitCodes.Usage, "--from must be before --to (from is inclusive, to exclusive).");
        if (limit is < 1 or > Limits.StatementPageRowsMax) throw new ToolException(ExitCodes.Usage, $"--limit must be 1..{Limits.StatementPageRowsMax}.");
        long after = 0;
        if (cursor is not null && !StatementJson.Cursor.TryDecode(cursor, out after)) throw new ToolException(ExitCodes.Usage, "--cursor is not a nextCursor this ledger issued.");

        using var data = DataDirectory.Open(path);
        var archive = data.Log.Archive;
        if (archive.IsArchived)
        {
            // The statement is recomputed from the journal, which holds only what was not archived: say so, refuse before it.
            if (from < archive.FirstTimestampTicks)
            {
                throw new ToolException(ExitCodes.NotFound,
                    $"The journal begins at record {archive.FirstRecordNumber} ({Tool.Instant(archive.FirstTimestampTicks)}); entries before it were archived to " +
                    $"'{archive.ArchivedTo}'. Give --from at or after {Tool.Instant(archive.FirstTimestampTicks)}, or copy the archived segments back.");
            }
            Console.Error.WriteLine($"statement covers journal records from {archive.FirstRecordNumber} on ({Tool.Instant(archive.FirstTimestampTicks)}).");
        }
        using var reads = JournalReadSide.BuildOrReport(data, key, "statement", "statement");
        if (reads is null) return ExitCodes.Damaged;
        var query = new StatementQuery { FromTicks = from, ToTicks = to, AfterSequence = after, Limit = limit ?? Limits.StatementPageRowsMax };
        var page = reads.Store.Statement(key, query) ?? throw new ToolException(ExitCodes.NotFound, $"Account {key} is not in the journal.");
        using var stdout = Console.OpenStandardOutput();
        if (format == "json") WriteJson(stdout, reads.Store, reads.Catalog, page, query, onePage: limit is not null);
        else WriteCsv(stdout, reads.Store, page, query, onePage: limit is not null);
        return ExitCodes.Ok;
    }

    private static long Instant(string text, string option, bool endOfDay) => WireTime.TryParseInstant(text, endOfDay, out long ticks)
        ? ticks
        : throw new ToolException(ExitCodes.Usage, $"{option} '{text}' is not an ISO-8601 date (2026-06-21) or instant (2026-06-21T18:00:00Z).");

    /// <summary>The first page, then (unless one page was asked for) the pages after it, as one sequence of rows.</summary>
    private static IEnumerable<StatementRow> Rows(ReadStore store, StatementPage first, StatementQuery query, bool onePage)
    {
        for (var page = first; ; )
        {
            foreach (var row in page.Rows) yield return row;
            if (onePage || page.NextAfterSequence == 0) yield break;
            page = store.Statement(first.Account.Key, query with { AfterSequence = page.NextAfterSequence })!;
        }
    }

    private static void WriteJson(Stream stdout, ReadStore store, HistoryCatalog catalog, StatementPage first, StatementQuery query, bool onePage)
    {
        string currency = first.Account.Currency.ToString();
        using (var w = new Utf8JsonWriter(stdout, StatementJson.Options))
        {
            StatementJson.WriteStart(w, first.Account);
            foreach (var row in Rows(store, first, query, onePage))
            {
                StatementJson.WriteRow(w, row, currency, catalog);
                if (w.BytesPending > 1 << 16) w.Flush();
            }
            StatementJson.WriteEnd(w, onePage ? first.NextAfterSequence : 0);
        }
        stdout.WriteByte((byte)'\n');
    }

    private static void WriteCsv(Stream stdout, ReadStore store, StatementPage first, StatementQuery query, bool onePage)
    {
        using var o = new StreamWriter(stdout, new UTF8Encoding(false), 1 << 16);
        o.WriteLine("sequence,timestamp,asOfDate,entryKind,status,entryType,amount,currency,correlationId,description,reference,reversedBy,expiresAt,available,held");
        string currency = first.Account.Currency.ToString();
        var s = new StringBuilder();
        foreach (var l in Rows(store, first, query, onePage))
        {
            s.Clear();
            s.Append(CultureInfo.InvariantCulture, $"{l.Sequence},{Tool.Instant(l.TimestampTicks)},{WireTime.AsOfDate(l.TimestampTicks):yyyy-MM-dd},");
            s.Append(CultureInfo.InvariantCulture, $"{WireNames.Kind(l.Kind)},{WireNames.Status(l.Status)},{l.EntryType},{l.AmountMinor},{currency},");
            s.Append(Csv(l.CorrelationId)).Append(',').Append(Csv(l.Description)).Append(',').Append(Csv(l.Reference)).Append(',').Append(Csv(l.ReversedBy)).Append(',');
            s.Append(CultureInfo.InvariantCulture, $"{(l.ExpiresAtTicks == 0 ? "" : Tool.Instant(l.ExpiresAtTicks))},{l.BalancesAfter.AvailableMinor},{l.BalancesAfter.HeldMinor}");
            o.WriteLine(s.ToString());
        }
        if (onePage && first.NextAfterSequence != 0) Console.Error.WriteLine($"more entries follow: --cursor {StatementJson.Cursor.Encode(first.NextAfterSequence)}");
    }

    private static string Csv(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        return value.AsSpan().IndexOfAny("\",\n\r") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }
}
