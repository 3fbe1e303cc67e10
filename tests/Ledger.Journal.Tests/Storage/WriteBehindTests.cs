using Ledger.Journal.Storage;
using NUnit.Framework;

namespace Ledger.Journal.Tests;

/// <summary>A large file handed to the disk a window at a time while it is written: same bytes, at most two windows in flight.</summary>
public class WriteBehindTests
{
    [Test]
    public void ShouldStartEachFullWindowAndWaitForTheOneBeforeWithoutChangingABit()
    {
        using var dir = new TempDataDir();
        string path = Path.Combine(dir.Path, "large.bin");
        const int window = 8 << 20;
        var content = new byte[40 << 20];
        new Random(7).NextBytes(content);
        var started = new List<long>();
        using (var file = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16))
        {
            var behind = new WriteBehind(file, window);
            for (int offset = 0; offset < content.Length; offset += 1 << 20)
            {
                file.Write(content, offset, 1 << 20);
                behind.Written();
                if (started.Count == 0 || started[^1] != behind.Started) started.Add(behind.Started);
                Assert.That(behind.Started - behind.Waited, Is.LessThanOrEqualTo(window), "no more than the last window is left in flight once the next starts");
                Assert.That(file.Position - behind.Started, Is.LessThan(window), "a full window never waits for the next write");
            }
            file.Flush(flushToDisk: true);
            if (OperatingSystem.IsLinux())
            {
                Assert.That(started, Is.EqualTo(new long[] { 0, 8 << 20, 16 << 20, 24 << 20, 32 << 20, 40 << 20 }), "one write-out a window, at the window's end");
                Assert.That(behind.Waited, Is.EqualTo(32L << 20), "each window waited for once the next one started");
            }
        }
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(content), "write-out is advice to the kernel: the file holds what was written");
    }

    [Test]
    public void ShouldNotStartAnythingBeforeAWindowIsFull()
    {
        using var dir = new TempDataDir();
        using var file = new FileStream(Path.Combine(dir.Path, "small.bin"), FileMode.Create, FileAccess.ReadWrite);
        var behind = new WriteBehind(file, 1 << 20);
        file.Write(new byte[(1 << 20) - 1]);
        behind.Written();
        Assert.That(behind.Started, Is.Zero);
        Assert.That(() => new WriteBehind(file, 1024), Throws.InstanceOf<ArgumentOutOfRangeException>(), "a window under a page is refused");
    }
}
