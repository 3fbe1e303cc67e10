using Ledger.Journal;

namespace Ledger.Testing;

/// <summary>Copies of a closed data directory (or one of its stores) for tests that tamper with a copy.</summary>
public static class DataDirs
{
    /// <summary>
    /// Copies every file under <paramref name="from"/> to <paramref name="to"/>, subdirectories included, except the data
    /// directory's lock. With <paramref name="live"/> the directory may be in use: files already in the copy are
    /// overwritten and a file deleted meanwhile (a RocksDB file a compaction removed) is skipped, so the copy is what a
    /// power cut at that moment leaves.
    /// </summary>
    public static void CopyDirectory(string from, string to, bool live = false)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            if (file.EndsWith(LedgerStore.LockFileName, StringComparison.Ordinal)) continue;
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            try
            {
                File.Copy(file, target, overwrite: live);
            }
            catch (FileNotFoundException) when (live)
            {
                // deleted while we copied: the copy is what a crash at that moment left
            }
        }
    }
}
