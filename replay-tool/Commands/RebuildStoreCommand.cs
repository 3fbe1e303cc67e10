using System.CommandLine;
using System.Globalization;
using Ledger.Journal;
using Ledger.Journal.Entries;
using Ledger.Journal.Recovery;

namespace Ledger.ReplayTool.Commands;

/// <summary>
/// <c>rebuild-store &lt;data-dir&gt;</c>: rebuilds the entry store from the journal (the store is an index of the journal):
/// the old store is moved aside (<c>store.replaced-…</c>), a new one is filled by replaying every record through the
/// engine, and checkpointed. Needs the whole journal from record 1 and the data directory's lock (stop the service).
/// </summary>
internal static class RebuildStoreCommand
{
    public static Command Build()
    {
        var dir = new Argument<string>("data-dir") { Description = "The service's data directory (Ledger:DataDir); the service must be stopped." };
        var command = new Command("rebuild-store", "Rebuild the entry store from the whole journal (the old one is kept aside).") { dir };
        command.SetAction(r => Tool.Run(() => Execute(r.GetValue(dir)!)));
        return command;
    }

    private static int Execute(string path)
    {
        string dataDir = Path.GetFullPath(path);
        using (DataDirectory.Lock(dataDir, "Rebuilding replaces the entry store"))
        {
            using var data = DataDirectory.Open(dataDir);
            data.Store?.Dispose();
            string storeDir = Path.Combine(dataDir, EntryStore.DirectoryName);
            if (data.Log.Archive.IsArchived)
                throw new ToolException(ExitCodes.NotFound,
                    $"The journal begins at record {data.Log.Archive.FirstRecordNumber}: records before it were archived to '{data.Log.Archive.ArchivedTo}'. Copy them back to rebuild the store.");
            string? aside = null;
            if (Directory.Exists(storeDir))
            {
                aside = $"{storeDir}.replaced-{DateTime.UtcNow:yyyyMMddTHHmmssZ}";
                Directory.Move(storeDir, aside);
            }
            using var store = EntryStore.Open(storeDir, new EntryStoreSettings());
            var result = ToolProgress.Run("rebuild-store", report => LedgerRecovery.Recover(data.Log, store, new RecoverySettings
            {
                InitialCatalog = DataDirectory.FallbackCatalog,
                OnProgress = report,
            }));
            var report = result.Report;
            var o = Console.Out;
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rebuilt:     {storeDir} from {report.RecordsReplayed} journal records in {report.Elapsed.TotalSeconds:0.0} s"));
            if (aside is not null) o.WriteLine($"old store:   {aside} (delete it once the service runs on the new one)");
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"checkpoint:  record {report.LastRecordNumber}, sequence {report.LastSequence}, {report.Accounts} accounts, {report.OpenHolds} open holds"));
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"state hash:  {report.StateHash:x16}"));
            if (report.Damage is { } damage)
            {
                o.WriteLine($"DAMAGED: journal record {damage.ExpectedRecordNumber} at {data.Where(damage.Address)}: {damage.Reason}. The store stops before it; the service cuts the journal there at its next start.");
                return ExitCodes.Damaged;
            }
            return ExitCodes.Ok;
        }
    }
}
