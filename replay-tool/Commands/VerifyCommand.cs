using System.CommandLine;
using System.Globalization;
using Ledger.Engine.Events;
using Ledger.Journal.Recovery;
using Ledger.Journal.Snapshots;

namespace Ledger.ReplayTool.Commands;

/// <summary>
/// <c>verify &lt;data-dir&gt;</c>: reads every committed record (framing, CRC-32C, record-number and sequence continuity),
/// re-applies each through the engine and compares the decided events with the journaled ones, checks each snapshot
/// against the replay, and prints count, first/last sequence and state hash. Exits non-zero naming the spot on damage.
/// </summary>
internal static class VerifyCommand
{
    public static Command Build()
    {
        var dir = new Argument<string>("data-dir") { Description = "The service's data directory (Ledger:DataDir), or its journal directory." };
        var command = new Command("verify", "Check every journal record and snapshot; print count, first/last sequence and state hash.") { dir };
        command.SetAction(result => Tool.Run(() => Execute(result.GetValue(dir)!)));
        return command;
    }

    private static int Execute(string path)
    {
        using var data = DataDirectory.Open(path);
        var snapshots = data.Snapshots.List();
        var wanted = snapshots.Select(s => s.RecordNumber).ToHashSet();
        var hashAt = new Dictionary<long, ulong>();
        long firstSequence = 0;
        var result = ToolProgress.Run("verify", report => LedgerRecovery.Recover(data.Log, null, new RecoveryOptions
        {
            InitialCatalog = DataDirectory.FallbackCatalog,
            UseSnapshots = false,
            CompareEvents = true,
            OnProgress = report,
            OnRecord = (record, engine) =>
            {
                if (firstSequence == 0)
                {
                    foreach (ref readonly var e in record.EventSpan)
                    {
                        if (e.Kind == LedgerEventKind.EntryApplied)
                        {
                            firstSequence = e.Sequence;
                            break;
                        }
                    }
                }
                if (wanted.Contains(record.RecordNumber)) hashAt[record.RecordNumber] = engine.ComputeStateHash();
            },
        }));
        var report = result.Report;
        var o = Console.Out;
        o.WriteLine($"journal:     {data.Log.Directory}");
        foreach (var cut in data.Log.Cuts.All) o.WriteLine($"cut (by an earlier recovery): {cut}");
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"records:     {report.LastRecordNumber} (1..{report.LastRecordNumber}), contiguous, checksums good"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sequences:   {(report.LastSequence == 0 ? "none" : $"{firstSequence}..{report.LastSequence}")}"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"state hash:  {report.StateHash:x16}"));
        int exit = ExitCodes.Ok;
        if (report.Damage is { } damage)
        {
            o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"DAMAGED: journal record {damage.ExpectedRecordNumber} at {data.Where(damage.Address)}: {damage.Reason}. " +
                $"Records 1..{report.LastRecordNumber} are sound; the service would cut the journal after record {report.LastRecordNumber}."));
            exit = ExitCodes.Damaged;
        }
        foreach (var (file, number) in snapshots)
        {
            try
            {
                var (info, _) = SnapshotFile.Load(file);
                if (!hashAt.TryGetValue(number, out ulong replayed))
                {
                    o.WriteLine($"snapshot {info.FileName}: covers record {number}, which the journal does not reach");
                    exit = Math.Max(exit, ExitCodes.Divergent);
                }
                else if (replayed != info.StateHash)
                {
                    o.WriteLine($"snapshot {info.FileName}: state hash {info.StateHash:x16} but the journal replayed to record {number} gives {replayed:x16}");
                    exit = Math.Max(exit, ExitCodes.Divergent);
                }
                else
                {
                    o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"snapshot {info.FileName}: good (record {number}, sequence {info.LastSequence}, hash {info.StateHash:x16})"));
                }
            }
            catch (SnapshotCorruptException ex)
            {
                o.WriteLine($"snapshot {Path.GetFileName(file)}: BAD: {ex.Message} (the service falls back past it)");
                exit = Math.Max(exit, ExitCodes.Damaged);
            }
        }
        if (exit == ExitCodes.Ok) o.WriteLine("verified: no damage");
        return exit;
    }
}
