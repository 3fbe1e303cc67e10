namespace Ledger.Journal.Storage;

/// <summary>
/// A full disk told apart from damage: a store that cannot write for lack of space is not set aside and rebuilt (that
/// would need more space, and throw away a good store); the ledger waits for space instead (docs/reliability.md).
/// Usage: <c>catch (IOException ex) when (DiskSpace.IsOutOfSpace(ex)) { ... }</c>
/// </summary>
public static class DiskSpace
{
    private const int EnospcLinux = 28;
    private const int DiskFullWindows = unchecked((int)0x80070070);
    private const int HandleDiskFullWindows = unchecked((int)0x80070027);

    /// <summary>Whether <paramref name="failure"/> (or an exception inside it) says the file system is full (ENOSPC).</summary>
    public static bool IsOutOfSpace(Exception? failure)
    {
        for (var ex = failure; ex is not null; ex = ex.InnerException)
        {
            if (ex is IOException && ex.HResult is EnospcLinux or DiskFullWindows or HandleDiskFullWindows) return true;
            // RocksDB and FasterLog report it in their message (errno text), not in an HResult.
            if (ex.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase) || ex.Message.Contains("ENOSPC", StringComparison.Ordinal)) return true;
        }
        return false;
    }

    /// <summary>Bytes free for this process on the file system that holds <paramref name="path"/> (a file or directory), or null when unknown.</summary>
    public static long? FreeBytes(string path)
    {
        try
        {
            string? dir = Path.GetFullPath(path);
            while (dir is not null && !Directory.Exists(dir)) dir = Path.GetDirectoryName(dir);
            return dir is null ? null : new DriveInfo(dir).AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }
}
