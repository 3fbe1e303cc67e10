using System.CommandLine;
using System.Globalization;
using Ledger.Journal;
using Ledger.Journal.Recovery;

namespace Ledger.ReplayTool.Commands;

/// <summary>
/// <c>verify &lt;data-dir&gt; [--full]</c>: reads every committed record of the journal (framing, CRC-32C, record-number
/// and sequence continuity; at disk speed, payloads not decoded), then rebuilds the ledger as the service would (the
/// entry store's checkpoint + the journal after it), decoding and re-applying each record through the engine and comparing the
/// decided events with the journaled ones; prints the range covered, first/last sequence and state hash. <c>--full</c>
/// decodes every payload and re-decides the whole journal from record 1 instead (through a scratch store: bounded RAM,
/// slower). Exits non-zero naming the spot on damage.
/// </summary>
internal static class VerifyCommand
{
    public static Command Build()
    {
        var dir = new Argument<string>("data-dir") { Description = "The service's data directory (Ledger:DataDir), or its journal directory." };
        var full = new Option<bool>("--full") { Description = "Re-decide every record from the first (through a scratch store) instead of from the entry store's checkpoint." };
        var command = new Command("verify", "Check every journal record and the entry store's checkpoint; print range, first/last sequence and state hash.") { dir, full };
        command.SetAction(result => Tool.Run(() => Execute(result.GetValue(dir)!, result.GetValue(full))));
        return command;
    }

    private static int Execute(string path, bool full)
    {
        using var data = DataDirectory.Open(path);
        var o = Console.Out;
        o.WriteLine($"journal:     {data.Log.Directory}");
        foreach (var cut in data.Log.Cuts.All) o.WriteLine($"cut (by an earlier recovery): {cut}");

        // 1. Every record readable and in order (no engine: O(1) RAM).
        long firstSequence = 0, records = 0, lastRecord = data.Log.Archive.FirstRecordNumber - 1, lastSequence = data.Log.Archive.LastSequenceBefore;
        JournalDamage? damage = null;
        ToolProgress.Run("verify (scan)", report =>
        {
            using var cursor = new JournalCursor(data.Log, data.Log.StartAddress, data.Log.Archive.FirstRecordNumber, data.Log.Archive.LastSequenceBefore, follow: false);
            var record = new JournalRecord();
            long total = Math.Max(1, data.Log.CommittedUntilAddress - data.Log.StartAddress);
            while (cursor.TryRead(record, decode: full) == ReadOutcome.Record) // --full decodes every payload here too
            {
                if (firstSequence == 0 && record.LastSequence > lastSequence) firstSequence = lastSequence + 1; // sequences are contiguous
                records++;
                lastRecord = record.RecordNumber;
                lastSequence = record.LastSequence;
                if ((records & 0x3FFF) == 0) report(new RecoveryProgress(records, cursor.NextAddress - data.Log.StartAddress, total));
            }
            damage = cursor.Damage;
            return 0;
        });
        string range = data.JournalRange(lastRecord);
        o.WriteLine(damage is null
            ? string.Create(CultureInfo.InvariantCulture, $"records:     {records} ({range}), contiguous, checksums good")
            : string.Create(CultureInfo.InvariantCulture, $"records:     {records} sound ({range}), then damage (below)"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sequences:   {(lastSequence == 0 ? "none" : $"{firstSequence}..{lastSequence}")}"));

        // 2. The ledger the service would start from, each record re-decided and compared with the journal.
        string? storeProblem = null;
        if (data.Store?.LastCheckpoint is { } checkpoint)
        {
            storeProblem = LedgerRecovery.CheckStore(data.Log, data.Store);
            o.WriteLine(storeProblem is null
                ? $"entry store: checkpoint at {checkpoint}"
                : $"entry store: DOES NOT FIT the journal: {storeProblem} (the service would set it aside and rebuild it; verified from the first record instead)");
        }
        else
        {
            o.WriteLine("entry store: none (the service would build it from the whole journal)");
        }
        var result = data.Recover("verify (replay)", new RecoverySettings { InitialCatalog = DataDirectory.FallbackCatalog, CompareEvents = true }, full);
        var report = result.Report;
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"re-decided:  {report.RecordsReplayed} records {(report.StoreCheckpoint is { } c ? $"after the store's checkpoint (record {c.RecordNumber})" : "from the first")}, events identical"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"live state:  {report.Accounts} accounts, {report.OpenHolds} open holds"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"state hash:  {report.StateHash:x16}"));
        damage ??= report.Damage;
        if (damage is not null)
        {
            o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"DAMAGED: journal record {damage.ExpectedRecordNumber} at {data.Where(damage.Address)}: {damage.Reason}. " +
                $"Records {data.Log.Archive.FirstRecordNumber}..{damage.ExpectedRecordNumber - 1} are sound; the service would cut the journal after record {damage.ExpectedRecordNumber - 1}."));
            return ExitCodes.Damaged;
        }
        if (storeProblem is not null) return ExitCodes.Divergent;
        o.WriteLine("verified: no damage");
        return ExitCodes.Ok;
    }
}
