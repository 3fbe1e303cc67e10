using System.CommandLine;
using System.Globalization;
using Ledger.Journal.Recovery;
using Ledger.Journal.Snapshots;

namespace Ledger.ReplayTool.Commands;

/// <summary>
/// <c>replay &lt;data-dir&gt; [--until-sequence N | --until-time T] [--snapshot-out FILE]</c>: rebuilds the state the
/// service would (newest valid snapshot + journal), optionally only up to a point, prints a summary and the state hash,
/// and can write a snapshot the service starts from.
/// </summary>
internal static class ReplayCommand
{
    public static Command Build()
    {
        var dir = new Argument<string>("data-dir") { Description = "The service's data directory (Ledger:DataDir)." };
        var untilSequence = new Option<long?>("--until-sequence") { Description = "Stop after the last command whose entries are all at or below this sequence." };
        var untilTime = new Option<string?>("--until-time") { Description = "Stop after the last command applied at or before this ISO-8601 instant." };
        var snapshotOut = new Option<string?>("--snapshot-out") { Description = "Write the rebuilt state as a snapshot file (a directory: the service's file name is used)." };
        var full = new Option<bool>("--full") { Description = "Ignore snapshots: replay the whole journal." };
        var command = new Command("replay", "Rebuild the ledger state from snapshot + journal and print its summary and state hash.") { dir, untilSequence, untilTime, snapshotOut, full };
        command.Validators.Add(r =>
        {
            if (r.GetValue(untilSequence) is not null && r.GetValue(untilTime) is not null) r.AddError("Give --until-sequence or --until-time, not both.");
        });
        command.SetAction(r => Tool.Run(() => Execute(r.GetValue(dir)!, r.GetValue(untilSequence), r.GetValue(untilTime), r.GetValue(snapshotOut), r.GetValue(full))));
        return command;
    }

    private static int Execute(string path, long? untilSequence, string? untilTime, string? snapshotOut, bool full)
    {
        long untilTicks = untilTime is null ? long.MaxValue : Tool.ParseInstant(untilTime, "--until-time");
        using var data = DataDirectory.Open(path);
        var result = ToolProgress.Run("replay", report => LedgerRecovery.Recover(data.Log, data.Snapshots, new RecoveryOptions
        {
            InitialCatalog = DataDirectory.FallbackCatalog,
            UseSnapshots = !full,
            UntilSequence = untilSequence ?? long.MaxValue,
            UntilTimestampTicks = untilTicks,
            OnProgress = report,
        }));
        var report = result.Report;
        var engine = result.Engine;
        var o = Console.Out;
        o.WriteLine($"started from: {(report.SnapshotUsed is { } s ? $"snapshot {s.FileName} (record {s.RecordNumber})" : "the first journal record")}");
        foreach (var rejected in report.SnapshotsRejected) o.WriteLine($"snapshot rejected: {rejected}");
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"replayed:     {report.RecordsReplayed} records in {report.Elapsed.TotalSeconds:0.000} s"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"last record:  {report.LastRecordNumber}{(report.StoppedAtBound ? " (stopped at the bound)" : "")}"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"last sequence: {report.LastSequence}"));
        o.WriteLine($"ledger clock: {(engine.ClockTicks == 0 ? "-" : Tool.Instant(engine.ClockTicks))}");
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"accounts:     {engine.Accounts.Count}"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"entries:      {engine.Entries.Count} remembered (applied and declined)"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"state hash:   {report.StateHash:x16}"));
        if (snapshotOut is not null)
        {
            long record = result.NextRecordNumber - 1;
            string file = Directory.Exists(snapshotOut) ? new SnapshotStore(snapshotOut).PathFor(record) : snapshotOut;
            var info = SnapshotFile.Write(file, engine.CaptureSnapshot(), record, result.NextAddress);
            o.WriteLine($"snapshot:     {info.Path} (record {info.RecordNumber}); the service uses it from <data-dir>/snapshots/ named {Path.GetFileName(new SnapshotStore(".").PathFor(record))}");
        }
        if (report.Damage is { } damage)
        {
            o.WriteLine($"DAMAGED: journal record {damage.ExpectedRecordNumber} at {data.Where(damage.Address)}: {damage.Reason}. The state above stops before it.");
            return ExitCodes.Damaged;
        }
        return ExitCodes.Ok;
    }
}
