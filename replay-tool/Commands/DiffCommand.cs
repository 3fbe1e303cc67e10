using System.CommandLine;
using System.Globalization;
using Ledger.Journal;

namespace Ledger.ReplayTool.Commands;

/// <summary>
/// <c>diff &lt;dir-a&gt; &lt;dir-b&gt;</c>: reads two journals (primary and standby) record by record and reports the first
/// record where they differ, byte for byte; a journal that is a prefix of the other is "behind", not divergent.
/// </summary>
internal static class DiffCommand
{
    public static Command Build()
    {
        var a = new Argument<string>("dir-a") { Description = "A data directory (e.g. the primary's)." };
        var b = new Argument<string>("dir-b") { Description = "Another data directory (e.g. the standby's)." };
        var command = new Command("diff", "Find where two journals first diverge.") { a, b };
        command.SetAction(r => Tool.Run(() => Execute(r.GetValue(a)!, r.GetValue(b)!)));
        return command;
    }

    private static int Execute(string pathA, string pathB)
    {
        using var a = DataDirectory.Open(pathA);
        using var b = DataDirectory.Open(pathB);
        if (a.Log.Archive.FirstRecordNumber != b.Log.Archive.FirstRecordNumber)
            throw new ToolException(ExitCodes.Usage, $"The journals begin at different records ({a.Log.Archive.FirstRecordNumber} and {b.Log.Archive.FirstRecordNumber}, one was archived further): copy the archived segments back to compare them.");
        using var cursorA = new JournalCursor(a.Log, a.Log.StartAddress, a.Log.Archive.FirstRecordNumber, a.Log.Archive.LastSequenceBefore, follow: false);
        using var cursorB = new JournalCursor(b.Log, b.Log.StartAddress, b.Log.Archive.FirstRecordNumber, b.Log.Archive.LastSequenceBefore, follow: false);
        var ra = new JournalRecord();
        var rb = new JournalRecord();
        long same = 0;
        var o = Console.Out;
        while (true)
        {
            var oa = cursorA.TryRead(ra);
            var ob = cursorB.TryRead(rb);
            if (oa == ReadOutcome.Damage || ob == ReadOutcome.Damage)
            {
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"identical through record {same}"));
                if (oa == ReadOutcome.Damage) o.WriteLine($"A DAMAGED: journal record {cursorA.Damage!.ExpectedRecordNumber} at {a.Where(cursorA.Damage.Address)}: {cursorA.Damage.Reason}");
                if (ob == ReadOutcome.Damage) o.WriteLine($"B DAMAGED: journal record {cursorB.Damage!.ExpectedRecordNumber} at {b.Where(cursorB.Damage.Address)}: {cursorB.Damage.Reason}");
                return ExitCodes.Damaged;
            }
            if (oa == ReadOutcome.End && ob == ReadOutcome.End)
            {
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"identical: both journals hold records 1..{same}"));
                return ExitCodes.Ok;
            }
            if (oa == ReadOutcome.End || ob == ReadOutcome.End)
            {
                var (behind, ahead, cursor) = oa == ReadOutcome.End ? ("A", "B", cursorB) : ("B", "A", cursorA);
                long extra = 1;
                var skip = new JournalRecord();
                while (cursor.TryRead(skip) == ReadOutcome.Record) extra++;
                o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{behind} is behind {ahead}: identical through record {same}; {ahead} has {extra} more (records {same + 1}..{same + extra}). No divergence."));
                return ExitCodes.Ok;
            }
            if (ra.Checksum != rb.Checksum || ra.LastSequence != rb.LastSequence || ra.Kind != rb.Kind || !ra.Payload.Span.SequenceEqual(rb.Payload.Span))
            {
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"DIVERGE at record {ra.RecordNumber}: identical through record {same}."));
                o.WriteLine($"  A: {Describe(ra)} at {a.Where(ra.Address)}");
                o.WriteLine($"  B: {Describe(rb)} at {b.Where(rb.Address)}");
                return ExitCodes.Diverged;
            }
            same = ra.RecordNumber;
        }
    }

    private static string Describe(JournalRecord r)
    {
        var c = r.Command;
        var entries = string.Join(" ", Enumerable.Range(0, c.EntryCount).Select(i => $"{c.Entries[i].Account}/{c.Entries[i].CorrelationId}"));
        return string.Create(CultureInfo.InvariantCulture,
            $"{r.Kind} at {Tool.Instant(r.TimestampTicks)}, result {r.Result.Code}, last sequence {r.LastSequence}{(entries.Length > 0 ? ", entries " + entries : "")}");
    }
}
