using System.Globalization;

namespace Ledger.Testing;

/// <summary>
/// This process's threads as Linux's /proc shows them: the stat fields of each thread with a given name (RocksDB's
/// <c>rocksdb:low</c> compactions, <c>rocksdb:high</c> flushes), or of the calling thread. A thread that ends while it is
/// read is skipped. Usage: <c>ProcessThreads.Stats("rocksdb:low").Sum(s => ProcessThreads.CpuTicks(s))</c>.
/// </summary>
public static class ProcessThreads
{
    /// <summary>The stat fields after the thread's name (the state is [0]) of every thread named <paramref name="name"/>; of the calling thread when null.</summary>
    public static List<string[]> Stats(string? name)
    {
        var stats = new List<string[]>();
        var tasks = name is null ? ["/proc/thread-self"] : Directory.GetDirectories("/proc/self/task");
        foreach (var task in tasks)
        {
            try
            {
                if (name is not null && File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n') != name) continue;
                string stat = File.ReadAllText(Path.Combine(task, "stat"));
                stats.Add(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')); // the name may hold spaces and parentheses
            }
            catch (IOException)
            {
                // the thread ended
            }
        }
        return stats;
    }

    /// <summary>User and system CPU clock ticks (1/100 s) of one thread's stat fields.</summary>
    public static long CpuTicks(string[] stat) => long.Parse(stat[11], CultureInfo.InvariantCulture) + long.Parse(stat[12], CultureInfo.InvariantCulture);

    /// <summary>The nice value of one thread's stat fields.</summary>
    public static int Nice(string[] stat) => int.Parse(stat[16], CultureInfo.InvariantCulture);
}
