using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Ledger.Engine.Catalog;
using Ledger.Journal.WhatIf;

namespace Ledger.ReplayTool.Commands;

/// <summary>
/// <c>what-if &lt;data-dir&gt; --catalog candidate.json [--from T] [--to T] [--out DIR]</c>: replays the journal's
/// commands as they arrived through a scratch engine and store with the candidate catalog in force in the window, and
/// compares every decision with the journaled one (<see cref="WhatIfReplay"/>). Writes <c>DIR/summary.json</c>,
/// <c>DIR/changes.jsonl</c> (one line per changed entry) and <c>DIR/report.md</c> with PNG plots. Reads the data
/// directory read-only and takes no lock; RAM: two engines and two small scratch stores. Exit 0 also when it changes
/// things (that is the answer); 1 bad arguments or catalog, 2 no journal, 3 damaged, 4 the baseline does not replay.
/// </summary>
internal static class WhatIfCommand
{
    public static Command Build()
    {
        var dir = new Argument<string>("data-dir") { Description = "The service's data directory (Ledger:DataDir)." };
        var catalog = new Option<string>("--catalog") { Description = "The candidate history-code catalog (the catalog file's format).", Required = true };
        var from = new Option<string?>("--from") { Description = "Start of the window (ISO-8601): earlier commands replay as journaled, under the catalogs then in force." };
        var to = new Option<string?>("--to") { Description = "End of the window (ISO-8601, inclusive): the replay stops there." };
        var untilRecord = new Option<long?>("--until-record") { Description = "Read the journal only up to this record (a service simulation's untilRecord, to reproduce it)." };
        var output = new Option<string>("--out") { Description = "Directory for summary.json, changes.jsonl, report.md and the plots.", DefaultValueFactory = _ => "what-if-out" };
        var command = new Command("what-if", "Replay the journal under a candidate catalog and report every decision it changes.") { dir, catalog, from, to, untilRecord, output };
        command.SetAction(r => Tool.Run(() => Execute(r.GetValue(dir)!, r.GetValue(catalog)!, r.GetValue(from), r.GetValue(to), r.GetValue(untilRecord), r.GetValue(output)!)));
        return command;
    }

    private static int Execute(string path, string catalogPath, string? from, string? to, long? untilRecord, string outDir)
    {
        HistoryCatalog candidate;
        try
        {
            candidate = HistoryCatalogFile.Load(catalogPath);
        }
        catch (CatalogException ex)
        {
            throw new ToolException(ExitCodes.Usage, ex.Message);
        }
        // The service's rule for instants (WireTime): from is the instant (a date: its start), to covers what it names (a date: the whole day).
        long fromTicks = long.MinValue, toTicks = long.MaxValue;
        if (from is not null && !ReadSide.WireTime.TryParseInstant(from, endOfDay: false, out fromTicks))
            throw new ToolException(ExitCodes.Usage, $"--from '{from}' is not an ISO-8601 instant or date (for example 2026-06-21T10:00:00Z).");
        if (to is not null && !ReadSide.WireTime.TryParseInstantThrough(to, out toTicks))
            throw new ToolException(ExitCodes.Usage, $"--to '{to}' is not an ISO-8601 instant or date (for example 2026-06-21).");
        using var data = DataDirectory.Open(path);
        Directory.CreateDirectory(outDir);
        string scratch = Path.Combine(Path.GetTempPath(), $"ledger-what-if-{Environment.ProcessId}-{Guid.NewGuid():N}");
        string changesPath = Path.Combine(outDir, "changes.jsonl");
        WhatIfSummary summary;
        using (var changes = new StreamWriter(changesPath, append: false, new UTF8Encoding(false)))
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>(512);
            var options = new WhatIfSettings
            {
                Candidate = candidate,
                ScratchDirectory = scratch,
                FromTicks = fromTicks,
                ToTicks = toTicks,
                UntilRecordNumber = untilRecord ?? long.MaxValue,
                BaselineStore = data.Store,
                OnChange = c => changes.WriteLine(ChangeLine(c, buffer)),
            };
            summary = ToolProgress.Run("what-if", report => WhatIfReplay.Run(data.Log, options with { OnProgress = (_, p) => report(p) }));
        }
        File.WriteAllBytes(Path.Combine(outDir, "summary.json"), WhatIfSummaryJson.ToUtf8(summary));
        WhatIfReport.Write(outDir, summary, catalogPath, data.Path);
        var o = Console.Out;
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"compared:    {summary.CommandsCompared} commands, {summary.EntriesCompared} entries (records {summary.FirstRecord}..{summary.LastRecord})"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"changed:     {summary.EntriesChanged} entries: {summary.FlippedToDeclined} to declined, {summary.FlippedToPosted} to posted, {summary.OtherChanges} other; {summary.Direct} direct, {summary.KnockOn} knock-on"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"balances:    {summary.AccountsWithBalanceDelta} accounts end with other balances"));
        o.WriteLine($"state hash:  baseline {summary.StateHashBaseline}, candidate {summary.StateHashCandidate}");
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"took:        {summary.ElapsedSeconds:0.0} s ({summary.EntriesPerSecond:N0} entries/s)"));
        o.WriteLine($"written:     {Path.GetFullPath(outDir)} (summary.json, changes.jsonl, report.md)");
        return ExitCodes.Ok;
    }

    private static string ChangeLine(WhatIfChange c, System.Buffers.ArrayBufferWriter<byte> buffer)
    {
        buffer.ResetWrittenCount();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("branch", c.Account.Branch);
            w.WriteNumber("account", c.Account.Number);
            w.WriteString("correlationId", c.CorrelationId);
            w.WriteNumber("code", c.EntryType);
            w.WriteString("before", c.Before);
            w.WriteString("after", c.After);
            if (c.Rule is null) w.WriteNull("rule");
            else w.WriteString("rule", c.Rule);
            w.WriteBoolean("knockOn", c.KnockOn);
            w.WriteString("at", WhatIfReplay.Instant(c.TimestampTicks));
            w.WriteNumber("record", c.RecordNumber);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
