using Ledger.Journal;

namespace Ledger.Testing;

/// <summary>Copies of a closed data directory (or one of its stores) for tests that tamper with a copy.</summary>
public static class DataDirs
{
    /// <summary>Copies every file under <paramref name="from"/> to <paramref name="to"/>, subdirectories included, except the data directory's lock.</summary>
    public static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            if (file.EndsWith(LedgerStore.LockFileName, StringComparison.Ordinal)) continue;
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
