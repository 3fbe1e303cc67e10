using Ledger.Journal.Storage;
using Ledger.Testing;
using NUnit.Framework;
using RocksDbSharp;

namespace Ledger.Journal.Tests;

/// <summary>
/// Compactions at the lowest CPU priority (RocksTuning.LowerCompactionPriority): the compaction pool's threads run at
/// nice 19 from their next job on, the flush pool's keep the process's priority. Process-wide and one-way, so it is
/// checked once, here; the rest of this test process compacts at low priority after it, which no other test times.
/// </summary>
public class CompactionPriorityTests
{
    [Test]
    public void ShouldRunCompactionsAtNice19AndLeaveFlushesAlone()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("thread priorities are read from /proc");
        using var dir = new TempDataDir();
        RocksTuning.LowerCompactionPriority();
        var options = RocksTuning.Database(readOnly: false, backgroundJobs: 2);
        using (var db = RocksDb.Open(options, dir.Path))
        {
            for (int file = 0; file < 3; file++)
            {
                for (int key = 0; key < 1000; key++) db.Put($"key-{key:D5}", $"value-{file}-{key}");
                db.Flush(new FlushOptions().SetWaitForFlush(true)); // a flush job (high pool), then a file to merge
            }
            db.CompactRange((byte[]?)null, null); // a compaction job (low pool): its thread takes the pool's priority first
        }

        var compactions = ProcessThreads.Stats("rocksdb:low").ConvertAll(ProcessThreads.Nice);
        Assert.That(compactions, Is.Not.Empty, "RocksDB's compaction threads are named rocksdb:low");
        Assert.That(compactions.Max(), Is.EqualTo(19), "the thread that ran the compaction runs at nice 19");
        var flushes = ProcessThreads.Stats("rocksdb:high").ConvertAll(ProcessThreads.Nice);
        Assert.That(flushes, Is.Not.Empty, "RocksDB's flush threads are named rocksdb:high");
        Assert.That(flushes, Is.All.EqualTo(ProcessThreads.Nice(ProcessThreads.Stats(null)[0])), "flushes keep the process's priority");
    }
}
