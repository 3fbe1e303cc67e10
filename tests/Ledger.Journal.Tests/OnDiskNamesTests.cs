using Ledger.Journal.Entries;
using NUnit.Framework;

namespace Ledger.Journal.Tests;

/// <summary>
/// What earlier builds wrote on disk is still read after the rename of the store's "cut" to its checkpoint (issue 18):
/// the rename is in code and words only. The cut list keeps its file name and JSON fields, the checkpoint its row key
/// and byte layout; the literals below are exactly what the build before the rename wrote.
/// </summary>
public class OnDiskNamesTests
{
    [Test]
    public void ShouldReadACutListAsEarlierBuildsWroteIt()
    {
        string dir = Directory.CreateTempSubdirectory("ledger-cuts-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "cuts.json"), """
                [
                  {
                    "cutAddress": 4096,
                    "resumeAddress": 8192,
                    "lastGoodRecordNumber": 41,
                    "lastGoodSequence": 97,
                    "reason": "record 42 at 4096: checksum mismatch",
                    "atUtc": "2026-12-01T10:00:00Z"
                  }
                ]
                """);
            var cuts = JournalCuts.Load(dir);
            Assert.That(JournalCuts.FileName, Is.EqualTo("cuts.json"));
            Assert.That(cuts.All, Has.Count.EqualTo(1));
            var cut = cuts.At(4096)!;
            Assert.That((cut.ResumeAddress, cut.LastGoodRecordNumber, cut.LastGoodSequence), Is.EqualTo((8192L, 41L, 97L)));
            Assert.That(cut.Reason, Is.EqualTo("record 42 at 4096: checksum mismatch"));
            Assert.That(cut.AtUtc, Is.EqualTo(new DateTime(2026, 12, 1, 10, 0, 0, DateTimeKind.Utc)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void ShouldReadTheStoresCheckpointRowAsEarlierBuildsWroteIt()
    {
        // Row 'M' of the entry store: version 2, record 7 at address 640, next address 704, checksum 0xDEADBEEF, sequence 12,
        // clock 638_000_000_000_000_000 ticks, history hash 0x0123456789ABCDEF, 3 accounts, 1 open hold (80 bytes, little-endian).
        byte[] row = Convert.FromHexString(
            "020000000000000007000000000000008002000000000000C002000000000000EFBEADDE000000000C00000000000000" +
            "0000B3A69EA1DA08EFCDAB896745230103000000000000000100000000000000");
        Assert.That(StoreCodec.CheckpointKey.ToArray(), Is.EqualTo("M"u8.ToArray()), "the row's key");
        var checkpoint = StoreCheckpoint.Read(row);
        Assert.That(checkpoint, Is.EqualTo(new StoreCheckpoint(7, 640, 704, 0xDEADBEEF, 12, 638_000_000_000_000_000, 0x0123456789ABCDEF, 3, 1)));
        var written = new byte[StoreCheckpoint.Bytes];
        checkpoint.Write(written);
        Assert.That(written, Is.EqualTo(row), "and written back byte for byte");
    }
}
