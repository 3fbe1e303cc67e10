using System.Globalization;
using System.Runtime.InteropServices;
using Ledger.Engine.Domain;
using Ledger.Engine.State;
using NUnit.Framework;

namespace Ledger.Engine.Tests;

/// <summary>
/// HugePages: a large table asked for on huge pages is backed by them (read back from the kernel's own account of the
/// process, /proc/self/smaps), one not asked for is not advised, and the tables that grow keep every element on the way.
/// </summary>
[NonParallelizable] // reads the process-wide HugePages.AdvisedBytes
public class HugePagesTests
{
    private const int Words = 2 << 20; // 16 MiB of ulong: at least seven aligned 2 MiB pages inside

    [Test]
    public void ShouldBackALargeArrayWithHugePagesWhenTheKernelAllowsThem()
    {
        string mode = TransparentHugePagesMode();
        if (mode == "never") Assert.Ignore("transparent huge pages are off on this machine ([never])");

        long advisedBefore = HugePages.AdvisedBytes;
        var advised = HugePages.NewArray<ulong>(Words, hugePages: true);
        Assert.That(HugePages.AdvisedBytes - advisedBefore, Is.GreaterThanOrEqualTo(14L << 20), "the aligned part of 16 MiB: at least seven 2 MiB pages");
        long advisedWithout = HugePages.AdvisedBytes;
        _ = HugePages.NewArray<ulong>(Words, hugePages: false);
        Touch(advised);

        Assert.That(AnonHugePagesBytes(advised), Is.GreaterThanOrEqualTo(12L << 20), "the advised array's aligned part on 2 MiB pages");
        // Not read back from smaps: the GC may place an array where an earlier, dropped, advised one lay (the advice stays with the addresses).
        Assert.That(HugePages.AdvisedBytes, Is.EqualTo(advisedWithout), "an array not asked for huge pages is not advised");
    }

    [Test]
    public void ShouldKeepEveryAccountWhenTheTableGrowsOntoHugePages()
    {
        var table = new AccountTable(16, hugePages: true); // grows by doubling past 4 MiB arrays, through HugePages.Resize
        const int accounts = 200_000;
        for (int i = 0; i < accounts; i++) table.Add(new AccountState { Key = new AccountKey(1, i), AvailableMinor = i });

        Assert.That(table.Count, Is.EqualTo(accounts));
        for (int i = 0; i < accounts; i++)
        {
            int index = table.Find(new AccountKey(1, i));
            Assert.That(index, Is.EqualTo(i));
            Assert.That(table[index].AvailableMinor, Is.EqualTo(i));
        }
        Assert.That(table.Find(new AccountKey(1, accounts)), Is.EqualTo(-1));
    }

    private static void Touch(ulong[] array)
    {
        for (int i = 0; i < array.Length; i += 512) array[i] = (ulong)i + 1; // one write per 4 KiB page
    }

    private static string TransparentHugePagesMode()
    {
        const string path = "/sys/kernel/mm/transparent_hugepage/enabled";
        if (!OperatingSystem.IsLinux() || !File.Exists(path)) return "never";
        string text = File.ReadAllText(path);
        int open = text.IndexOf('['), close = text.IndexOf(']');
        return open >= 0 && close > open ? text[(open + 1)..close] : "never";
    }

    /// <summary>AnonHugePages of the mappings that overlap the array, from /proc/self/smaps (a mapping counts whole: the array's aligned part is its own mapping once advised).</summary>
    private static long AnonHugePagesBytes(ulong[] array)
    {
        long start = (long)Marshal.UnsafeAddrOfPinnedArrayElement(array, 0), end = start + (long)array.Length * sizeof(ulong);
        long total = 0;
        bool inside = false;
        foreach (string line in File.ReadLines("/proc/self/smaps"))
        {
            int dash = line.IndexOf('-');
            int space = line.IndexOf(' ');
            if (dash > 0 && space > dash && long.TryParse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out long from)
                && long.TryParse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out long to))
            {
                inside = from < end && to > start;
                continue;
            }
            if (inside && line.StartsWith("AnonHugePages:", StringComparison.Ordinal))
                total += long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        return total;
    }
}
