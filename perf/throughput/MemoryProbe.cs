using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Ledger.Engine.State;

namespace Ledger.Throughput;

/// <summary>
/// What memory costs on this machine, to read the engine figures against: the latency of a dependent random load
/// by working-set size (a pointer chase: each load needs the previous one, like a hash probe that needs the
/// account index first), and the cost of writing entry records into untouched versus resident memory.
/// Usage: <c>dotnet run -c Release --project perf/throughput -- memory</c>
/// </summary>
internal static class MemoryProbe
{
    public static int Run()
    {
        foreach (int megabytes in new[] { 1, 8, 32, 128, 512 })
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"memory dependent_random_load working_set_mb={megabytes} ns={ChaseNanoseconds(megabytes):F1}"));
        }
        const int records = 2_000_000;
        var table = new EntryImage[records];
        double firstTouch = WriteRecordsNanoseconds(table);
        double resident = WriteRecordsNanoseconds(table);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"memory entry_image_write bytes={Unsafe.SizeOf<EntryImage>()} first_touch_ns={firstTouch:F1} resident_ns={resident:F1}"));
        return 0;
    }

    private static double ChaseNanoseconds(int megabytes)
    {
        int n = megabytes * 1024 * 1024 / sizeof(int);
        var next = new int[n];
        // One random cycle through every slot (Sattolo), so the chase never settles into a cached loop.
        for (int i = 0; i < n; i++) next[i] = i;
        var random = new Random(42);
        for (int i = n - 1; i > 0; i--)
        {
            int j = random.Next(i);
            (next[i], next[j]) = (next[j], next[i]);
        }
        const int steps = 2_000_000;
        int p = 0;
        for (int i = 0; i < steps; i++) p = next[p]; // warm: caches, TLB, tier-1 code
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < steps; i++) p = next[p];
        clock.Stop();
        GC.KeepAlive(p);
        return clock.Elapsed.TotalNanoseconds / steps;
    }

    private static double WriteRecordsNanoseconds(EntryImage[] table)
    {
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < table.Length; i++)
        {
            ref var r = ref table[i];
            r = default;
            r.AccountPacked = i;
            r.Sequence = i;
            r.AmountMinor = i;
            r.TimestampTicks = i;
        }
        return clock.Elapsed.TotalNanoseconds / table.Length;
    }
}
