using System.Runtime.InteropServices;

namespace Ledger.Journal.Storage;

/// <summary>
/// Power-loss safety for files we create: a new file is durable only once its directory entry is, so after creating or
/// renaming a file we fsync its directory (FasterLog does not). Atomic replace: write a temp file, fsync it, rename it
/// over the target, fsync the directory.
/// Usage: <c>DurableFiles.WriteAtomically(path, stream =&gt; ...); DurableFiles.SyncDirectory(dir);</c>
/// </summary>
public static partial class DurableFiles
{
    /// <summary>Flushes a directory's entries to disk (a no-op where the OS has no directory fsync, e.g. Windows).</summary>
    public static void SyncDirectory(string directory)
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())) return;
        int fd = Open(directory, 0 /* O_RDONLY */);
        if (fd < 0) throw new IOException($"Cannot open directory '{directory}' to fsync it (errno {Marshal.GetLastPInvokeError()}).");
        try
        {
            if (Fsync(fd) != 0) throw new IOException($"fsync of directory '{directory}' failed (errno {Marshal.GetLastPInvokeError()}).");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>
    /// Writes <paramref name="path"/> so that a crash leaves either the old file or the complete new one:
    /// <paramref name="write"/> fills a temp file beside it, which is fsynced, renamed over the target, and the directory fsynced.
    /// </summary>
    public static void WriteAtomically(string path, Action<FileStream> write)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string temp = path + ".tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
            SyncDirectory(directory);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    internal static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // best effort: a stale temp file is ignored by readers
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
