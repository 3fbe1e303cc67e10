using System.Diagnostics;
using System.Globalization;
using FASTER.core;
using HdrHistogram;
using Ledger.Journal;

namespace Ledger.Perf.Durable;

/// <summary>What one FasterLog commit costs here: data write alone, with our two-slot metadata file, with FASTER's file-per-commit.</summary>
internal static class CommitProbe
{
    private sealed class NoMetadata : ILogCommitManager
    {
        private byte[]? _last;
        private long _num = -1;
        public void Commit(long beginAddress, long untilAddress, byte[] commitMetadata, long commitNum, bool forceWriteMetadata) { _last = commitMetadata; _num = commitNum; }
        public IEnumerable<long> ListCommits() => _num < 0 ? [] : [_num];
        public byte[] GetCommitMetadata(long commitNum) => _last!;
        public void RemoveCommit(long commitNum) { }
        public void RemoveAllCommits() { }
        public void OnRecovery(long commitNum) { }
        public void Dispose() { }
    }

    public static void Run(string root, int commits, int recordsPerCommit)
    {
        var record = new byte[128];
        foreach (var variant in new[] { "data write only (no metadata)", "data + two-slot metadata (ours)", "data + FASTER file-per-commit metadata" })
        {
            string dir = Path.Combine(root, "commitprobe");
            Book.Fresh(dir);
            var h = new LongHistogram(10_000_000, 3);
            if (variant.StartsWith("data + two", StringComparison.Ordinal))
            {
                using var log = JournalLog.Open(dir, new JournalSettings());
                Measure(log.Log, record, commits, recordsPerCommit, h);
            }
            else
            {
                using var device = Devices.CreateLogDevice(Path.Combine(dir, "probe.log"), preallocateFile: false);
                using var manager = variant.StartsWith("data write", StringComparison.Ordinal) ? (ILogCommitManager)new NoMetadata() : null!;
                using var log = new FasterLog(new FasterLogSettings { LogDevice = device, LogCommitManager = manager, LogCommitDir = dir, PageSizeBits = 22, MemorySizeBits = 25 });
                Measure(log, record, commits, recordsPerCommit, h);
            }
            Report.Line(string.Create(CultureInfo.InvariantCulture, $"commit of {recordsPerCommit} x {record.Length} B, {variant}: {Report.Percentiles(h)}"));
        }
    }

    private static void Measure(FasterLog log, byte[] record, int commits, int recordsPerCommit, LongHistogram h)
    {
        for (int c = 0; c < commits; c++)
        {
            for (int i = 0; i < recordsPerCommit; i++) log.Enqueue(record);
            long t0 = Stopwatch.GetTimestamp();
            log.CommitAsync().AsTask().GetAwaiter().GetResult();
            h.RecordValue((Stopwatch.GetTimestamp() - t0) * 1_000_000 / Stopwatch.Frequency);
        }
    }
}
