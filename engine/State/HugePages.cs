using System.Runtime.InteropServices;

namespace Ledger.Engine.State;

/// <summary>
/// Arrays for the tables read at random once per entry (the entry cache, the account table, the store's key filter),
/// backed by 2 MiB pages where Linux lets a process ask for them (transparent huge pages in "madvise" or "always" mode).
/// Each such read misses the CPU caches; with 4 KiB pages it misses the TLB too, and on a VM a TLB miss walks two page
/// tables. Measured on this box (docs/perf.md, "2026-12-07 (eighth session): huge pages for the tables"): a dependent random read over 128 MiB took
/// 234–243 ns with 4 KiB pages, 169 ns with 2 MiB pages.
/// <para>Memory advice, not I/O: the array is allocated pinned (its address never changes) and the 2 MiB-aligned part
/// of it is advised (madvise MADV_HUGEPAGE) before anything writes it, so its pages fault in as huge pages. Best effort:
/// where the kernel refuses (THP "never", another OS) the array is an ordinary one and nothing else changes. Arrays
/// under 4 MiB are ordinary ones (less than one aligned huge page to gain).</para>
/// Usage: <c>_images = HugePages.NewArray&lt;EntryImage&gt;(slots, settings.HugePages);</c>
/// </summary>
public static partial class HugePages
{
    private const long PageBytes = 2L << 20;
    private const long ArrayBytesMin = 4L << 20;
    private const int MadviseHugePage = 14; // MADV_HUGEPAGE

    /// <summary>
    /// Bytes this process advised successfully since it started, arrays dropped since (a grown table's old ones) included:
    /// the gateway's "Ledger ready" log line says it, a test reads it.
    /// </summary>
    public static long AdvisedBytes => Interlocked.Read(ref _advisedBytes);

    private static long _advisedBytes;

    /// <summary>A zeroed array of <paramref name="length"/> elements, on huge pages when <paramref name="hugePages"/> and the kernel allows.</summary>
    public static unsafe T[] NewArray<T>(int length, bool hugePages) where T : unmanaged
    {
        long bytes = (long)length * sizeof(T);
        if (!hugePages || bytes < ArrayBytesMin || !OperatingSystem.IsLinux()) return new T[length];
        var array = GC.AllocateArray<T>(length, pinned: true); // zeroed; fresh pages stay untouched until written
        long start = (long)Marshal.UnsafeAddrOfPinnedArrayElement(array, 0);
        long alignedStart = (start + PageBytes - 1) & ~(PageBytes - 1);
        long alignedEnd = (start + bytes) & ~(PageBytes - 1);
        if (alignedEnd > alignedStart && Madvise((nint)alignedStart, (nuint)(alignedEnd - alignedStart), MadviseHugePage) == 0)
            Interlocked.Add(ref _advisedBytes, alignedEnd - alignedStart);
        return array;
    }

    /// <summary>A copy of <paramref name="array"/> with <paramref name="length"/> elements (the rest zero), allocated as <see cref="NewArray{T}"/> does.</summary>
    public static T[] Resize<T>(T[] array, int length, bool hugePages) where T : unmanaged
    {
        var grown = NewArray<T>(length, hugePages);
        array.AsSpan(0, Math.Min(array.Length, length)).CopyTo(grown);
        return grown;
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}
