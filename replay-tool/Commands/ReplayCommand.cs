using System.CommandLine;
using System.Globalization;
using Ledger.Journal.Recovery;

namespace Ledger.ReplayTool.Commands;

/// <summary>
/// <c>replay &lt;data-dir&gt; [--until-sequence N | --until-time T] [--full]</c>: rebuilds the state the service would
/// (the entry store's checkpoint + the journal after it), optionally only up to a point (before the checkpoint: a replay from record 1
/// through a scratch store), and prints a summary and the state hash.
/// </summary>
internal static class ReplayCommand
{
    public static Command Build()
    {
        var dir = new Argument<string>("data-dir") { Description = "The service's data directory (Ledger:DataDir)." };
        var untilSequence = new Option<long?>("--until-sequence") { Description = "Stop after the last command whose entries are all at or below this sequence." };
        var untilTime = new Option<string?>("--until-time") { Description = "Stop after the last command applied at or before this ISO-8601 instant." };
        var full = new Option<bool>("--full") { Description = "Ignore the entry store's checkpoint: replay the whole journal (through a scratch store)." };
        var command = new Command("replay", "Rebuild the ledger state from the entry store's checkpoint + journal and print its summary and state hash.") { dir, untilSequence, untilTime, full };
        command.Validators.Add(r =>
        {
            if (r.GetValue(untilSequence) is not null && r.GetValue(untilTime) is not null) r.AddError("Give --until-sequence or --until-time, not both.");
        });
        command.SetAction(r => Tool.Run(() => Execute(r.GetValue(dir)!, r.GetValue(untilSequence), r.GetValue(untilTime), r.GetValue(full))));
        return command;
    }

    private static int Execute(string path, long? untilSequence, string? untilTime, bool full)
    {
        long untilTicks = untilTime is null ? long.MaxValue : Tool.ParseInstant(untilTime, "--until-time");
        using var data = DataDirectory.Open(path);
        var result = data.Recover("replay", new RecoverySettings
        {
            InitialCatalog = DataDirectory.FallbackCatalog,
            UntilSequence = untilSequence ?? long.MaxValue,
            UntilTimestampTicks = untilTicks,
        }, full);
        var report = result.Report;
        var engine = result.Engine;
        var o = Console.Out;
        o.WriteLine($"started from: {(report.StoreCheckpoint is { } s ? $"the entry store's checkpoint at record {s.RecordNumber}" : "the first journal record")}");
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"replayed:     {report.RecordsReplayed} records in {report.Elapsed.TotalSeconds:0.000} s"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"last record:  {report.LastRecordNumber}{(report.StoppedAtBound ? " (stopped at the bound)" : "")}"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"last sequence: {report.LastSequence}"));
        o.WriteLine($"ledger clock: {(engine.ClockTicks == 0 ? "-" : Tool.Instant(engine.ClockTicks))}");
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"accounts:     {engine.Accounts.Count}"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"open holds:   {engine.OpenHoldCount}"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"state hash:   {report.StateHash:x16}"));
        if (report.Damage is { } damage)
        {
            o.WriteLine($"DAMAGED: journal record {damage.ExpectedRecordNumber} at {data.Where(damage.Address)}: {damage.Reason}. The state above stops before it.");
            return ExitCodes.Damaged;
        }
        return ExitCodes.Ok;
    }
}
