using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using Ledger.Journal;

namespace Ledger.ReplayTool.Commands;

/// <summary>
/// <c>statement &lt;data-dir&gt; --branch B --account A [--from T] [--to T] [--format csv|json]</c>: the entries that applied
/// to an account, in sequence order, from the journaled events (no engine runs: the read-model path). Each line shows
/// the entry's status as it stands at the end of the journal (a hold later RELEASED, a posting later reversed).
/// </summary>
internal static class StatementCommand
{
    private sealed class Line
    {
        public long Sequence;
        public long TimestampTicks;
        public EntryKind Kind;
        public EntryStatus Status;
        public int EntryType;
        public long AmountMinor;
        public CurrencyCode Currency;
        public string? CorrelationId;
        public string? Description;
        public long ReferenceSequence;
        public long ReversedBy;
        public long ExpiresAtTicks;
        public Balances BalancesAfter;
    }

    public static Command Build()
    {
        var dir = new Argument<string>("data-dir") { Description = "The service's data directory (Ledger:DataDir)." };
        var branch = new Option<int>("--branch") { Description = "Branch number.", Required = true };
        var account = new Option<long>("--account") { Description = "Account number.", Required = true };
        var from = new Option<string?>("--from") { Description = "ISO-8601 instant: entries applied at or after it." };
        var to = new Option<string?>("--to") { Description = "ISO-8601 instant: entries applied before it." };
        var format = new Option<string>("--format") { Description = "csv or json.", DefaultValueFactory = _ => "csv" };
        format.AcceptOnlyFromAmong("csv", "json");
        var command = new Command("statement", "List the entries applied to an account (csv or json on stdout).") { dir, branch, account, from, to, format };
        command.SetAction(r => Tool.Run(() => Execute(r.GetValue(dir)!, r.GetValue(branch), r.GetValue(account), r.GetValue(from), r.GetValue(to), r.GetValue(format)!)));
        return command;
    }

    private static int Execute(string path, int branch, long number, string? fromText, string? toText, string format)
    {
        var key = new AccountKey(branch, number);
        long from = fromText is null ? long.MinValue : Tool.ParseInstant(fromText, "--from");
        long to = toText is null ? long.MaxValue : Tool.ParseInstant(toText, "--to");
        using var data = DataDirectory.Open(path);
        var archive = data.Log.Archive;
        if (archive.IsArchived)
        {
            // The statement is read from the journal, which holds only what was not archived: say so, refuse before it.
            if (from < archive.FirstTimestampTicks)
            {
                throw new ToolException(ExitCodes.NotFound,
                    $"The journal begins at record {archive.FirstRecordNumber} ({Tool.Instant(archive.FirstTimestampTicks)}); entries before it were archived to " +
                    $"'{archive.ArchivedTo}'. Give --from at or after {Tool.Instant(archive.FirstTimestampTicks)}, or copy the archived segments back.");
            }
            Console.Error.WriteLine($"statement covers journal records from {archive.FirstRecordNumber} on ({Tool.Instant(archive.FirstTimestampTicks)}).");
        }
        var lines = new List<Line>();
        var bySequence = new Dictionary<long, Line>();
        bool opened = false;
        CurrencyCode currency = default;
        try
        {
            JournalReader.ReadAll(data.Log, record =>
            {
                foreach (ref readonly var e in record.EventSpan)
                {
                    if (e.Account != key) continue;
                    switch (e.Kind)
                    {
                        case LedgerEventKind.AccountOpened:
                            opened = true;
                            currency = e.Currency;
                            break;
                        case LedgerEventKind.EntryApplied:
                        {
                            var line = new Line
                            {
                                Sequence = e.Sequence, TimestampTicks = e.TimestampTicks, Kind = e.EntryKind, Status = e.Status, EntryType = e.EntryType,
                                AmountMinor = e.AmountMinor, Currency = e.Currency, CorrelationId = e.CorrelationId, Description = e.Description,
                                ReferenceSequence = e.ReferenceSequence, ExpiresAtTicks = e.ExpiresAtTicks, BalancesAfter = e.BalancesAfter,
                            };
                            lines.Add(line);
                            bySequence[e.Sequence] = line;
                            break;
                        }
                        case LedgerEventKind.EntryStatusChanged when bySequence.TryGetValue(e.Sequence, out var changed):
                            if (e.MarksReversal) changed.ReversedBy = e.CausedBySequence;
                            else changed.Status = e.Status;
                            break;
                    }
                }
            });
        }
        catch (JournalDamagedException ex)
        {
            Console.Error.WriteLine($"DAMAGED: journal record {ex.Damage.ExpectedRecordNumber} at {data.Where(ex.Damage.Address)}: {ex.Damage.Reason}. No statement is printed from a damaged journal.");
            return ExitCodes.Damaged;
        }
        if (!opened && archive.IsArchived && data.Store is { } store && store.TryGetAccount(key, out var account))
        {
            opened = true; // opened in the archived part of the journal
            currency = account.Currency;
        }
        if (!opened) throw new ToolException(ExitCodes.NotFound, $"Account {key} is not in the journal.");
        var selected = lines.Where(l => l.TimestampTicks >= from && l.TimestampTicks < to).ToList();
        if (format == "json") WriteJson(key, currency, selected);
        else WriteCsv(selected);
        return ExitCodes.Ok;
    }

    private static string KindName(EntryKind kind) => kind.ToString().ToLowerInvariant();

    private static string StatusName(EntryStatus status) => status.ToString().ToUpperInvariant();

    private static string AsOfDate(long ticks) => new DateTime(ticks, DateTimeKind.Utc).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static void WriteCsv(List<Line> lines)
    {
        var o = Console.Out;
        o.WriteLine("sequence,timestamp,asOfDate,entryKind,status,entryType,amount,currency,correlationId,description,references,reversedBy,expiresAt,available,held");
        var s = new StringBuilder();
        foreach (var l in lines)
        {
            s.Clear();
            s.Append(CultureInfo.InvariantCulture, $"{l.Sequence},{Tool.Instant(l.TimestampTicks)},{AsOfDate(l.TimestampTicks)},{KindName(l.Kind)},{StatusName(l.Status)},{l.EntryType},{l.AmountMinor},{l.Currency},");
            s.Append(Csv(l.CorrelationId)).Append(',').Append(Csv(l.Description)).Append(',');
            s.Append(CultureInfo.InvariantCulture, $"{(l.ReferenceSequence == 0 ? "" : l.ReferenceSequence)},{(l.ReversedBy == 0 ? "" : l.ReversedBy)},{(l.ExpiresAtTicks == 0 ? "" : Tool.Instant(l.ExpiresAtTicks))},{l.BalancesAfter.AvailableMinor},{l.BalancesAfter.HeldMinor}");
            o.WriteLine(s.ToString());
        }
    }

    private static string Csv(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        return value.AsSpan().IndexOfAny("\",\n\r") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    private static void WriteJson(AccountKey key, CurrencyCode currency, List<Line> lines)
    {
        using var stdout = Console.OpenStandardOutput();
        using var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteNumber("branch", key.Branch);
        w.WriteNumber("account", key.Number);
        w.WriteString("currency", currency.ToString());
        w.WriteStartArray("entries");
        foreach (var l in lines)
        {
            w.WriteStartObject();
            w.WriteNumber("sequence", l.Sequence);
            w.WriteString("correlationId", l.CorrelationId);
            w.WriteString("entryKind", KindName(l.Kind));
            w.WriteNumber("entryType", l.EntryType);
            w.WriteStartObject("amount");
            w.WriteNumber("value", l.AmountMinor);
            w.WriteString("currency", l.Currency.ToString());
            w.WriteEndObject();
            w.WriteString("status", StatusName(l.Status));
            w.WriteString("timestamp", Tool.Instant(l.TimestampTicks));
            w.WriteString("asOfDate", AsOfDate(l.TimestampTicks));
            if (l.Description is not null) w.WriteString("description", l.Description);
            if (l.ReferenceSequence != 0) w.WriteNumber("references", l.ReferenceSequence);
            if (l.ReversedBy != 0) w.WriteNumber("reversedBy", l.ReversedBy);
            if (l.ExpiresAtTicks != 0) w.WriteString("expiresAt", Tool.Instant(l.ExpiresAtTicks));
            w.WriteStartObject("balancesAfter");
            w.WriteNumber("available", l.BalancesAfter.AvailableMinor);
            w.WriteNumber("held", l.BalancesAfter.HeldMinor);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
        stdout.WriteByte((byte)'\n');
    }
}
