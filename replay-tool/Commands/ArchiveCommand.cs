using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Ledger.Journal;
using Ledger.Journal.Entries;
using Ledger.Journal.Storage;

namespace Ledger.ReplayTool.Commands;

/// <summary>
/// <c>archive &lt;data-dir&gt; --before &lt;record|time&gt; --to &lt;dir&gt;</c>: moves the journal's oldest segment files
/// away, never deleting anything on its own: only whole segments, only records the entry store's durable checkpoint already
/// covers (a restart never needs them), and only before the bound given. The files are copied to the archive directory
/// and synced, <c>archive.json</c> records the new beginning, then the journal is truncated (FasterLog deletes the
/// copies it no longer needs). Takes the data directory's lock: stop the service first.
/// </summary>
internal static class ArchiveCommand
{
    public static Command Build()
    {
        var dir = new Argument<string>("data-dir") { Description = "The service's data directory (Ledger:DataDir); the service must be stopped." };
        var before = new Option<string>("--before") { Description = "Keep records from this record number or ISO-8601 instant on; archive what is older.", Required = true };
        var to = new Option<string>("--to") { Description = "Directory the archived segment files are moved to (created if needed).", Required = true };
        var command = new Command("archive", "Move journal segments older than a bound (and covered by the entry store's checkpoint) to an archive directory.") { dir, before, to };
        command.SetAction(r => Tool.Run(() => Execute(r.GetValue(dir)!, r.GetValue(before)!, r.GetValue(to)!)));
        return command;
    }

    private static int Execute(string path, string before, string to)
    {
        string dataDir = Path.GetFullPath(path);
        using (DataDirectory.Lock(dataDir, "Archiving moves journal files"))
        {
            string journalDir = Path.Combine(dataDir, LedgerStore.JournalDirectoryName);
            if (!JournalLog.Exists(journalDir)) throw new ToolException(ExitCodes.NotFound, $"'{path}' holds no ledger journal.");
            StoreCheckpoint checkpoint;
            using (var store = EntryStore.Open(Path.Combine(dataDir, EntryStore.DirectoryName), DataDirectory.ToolStoreSettings, readOnly: true))
            {
                checkpoint = store.LastCheckpoint ?? throw new ToolException(ExitCodes.NotFound, "The entry store has no checkpoint: the journal is the only copy of the history, nothing can be archived.");
            }
            using var log = JournalLog.Open(journalDir);
            long bound = ParseBound(before, out bool byRecord);
            // Find where the first record to keep starts, no later than the store's checkpoint continues the journal.
            long keepAddress = checkpoint.NextAddress, lastRecord = log.Archive.FirstRecordNumber - 1, lastSequence = log.Archive.LastSequenceBefore;
            long segmentBytes = 1L << log.Settings.SegmentSizeBits;
            var boundaries = new List<(long Address, long Record, long SequenceBefore, long Ticks)>(); // first record of each segment
            using (var cursor = new JournalCursor(log, log.StartAddress, log.Archive.FirstRecordNumber, log.Archive.LastSequenceBefore, follow: false))
            {
                var record = new JournalRecord();
                while (cursor.TryRead(record) == ReadOutcome.Record)
                {
                    if (record.Address >= checkpoint.NextAddress || (byRecord ? record.RecordNumber >= bound : record.TimestampTicks >= bound))
                    {
                        keepAddress = record.Address;
                        break;
                    }
                    if (boundaries.Count == 0 || record.Address / segmentBytes != boundaries[^1].Address / segmentBytes)
                        boundaries.Add((record.Address, record.RecordNumber, lastSequence, record.TimestampTicks));
                    lastRecord = record.RecordNumber;
                    lastSequence = record.LastSequence;
                }
            }
            long newBegin = keepAddress / segmentBytes * segmentBytes;
            var first = boundaries.LastOrDefault(b => b.Address == newBegin);
            if (newBegin <= log.StartAddress || first == default)
            {
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"nothing to archive: the records before the bound (and the store's checkpoint at record {checkpoint.RecordNumber}) do not fill a whole segment past the journal's beginning."));
                return ExitCodes.Ok;
            }
            string target = Path.GetFullPath(to);
            Directory.CreateDirectory(target);
            long firstSegment = log.StartAddress / segmentBytes, endSegment = newBegin / segmentBytes;
            for (long segment = firstSegment; segment < endSegment; segment++)
            {
                string file = Path.Combine(journalDir, $"{JournalLog.LogFileName}.{segment}");
                if (!File.Exists(file)) continue;
                string copy = Path.Combine(target, Path.GetFileName(file));
                File.Copy(file, copy, overwrite: true);
                using (var stream = new FileStream(copy, FileMode.Open, FileAccess.ReadWrite)) stream.Flush(flushToDisk: true);
            }
            long archivedFrom = log.Archive.FirstRecordNumber;
            var archive = new JournalArchive(first.Record, newBegin, first.SequenceBefore, first.Ticks, target, DateTime.UtcNow);
            File.WriteAllText(Path.Combine(target, "archive-" + first.Record.ToString(CultureInfo.InvariantCulture) + ".json"),
                JsonSerializer.Serialize(archive with { FirstRecordNumber = archivedFrom, ArchivedTo = $"records {archivedFrom}..{first.Record - 1}" }));
            DurableFiles.SyncDirectory(target);
            log.RecordArchive(archive); // first: a crash before the truncation leaves readers starting at the new beginning
            log.TruncateUntil(newBegin);
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"archived: records {archivedFrom}..{first.Record - 1} ({endSegment - firstSegment} segment files) to {target}"));
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"journal now begins at record {first.Record} ({Tool.Instant(first.Ticks)}); the entry store's checkpoint is at record {checkpoint.RecordNumber}"));
            return ExitCodes.Ok;
        }
    }

    private static long ParseBound(string text, out bool byRecord)
    {
        byRecord = long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long record);
        return byRecord ? record : Tool.ParseInstant(text, "--before");
    }
}
