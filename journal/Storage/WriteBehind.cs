using System.Runtime.InteropServices;

namespace Ledger.Journal.Storage;

/// <summary>
/// Hands a large file's bytes to the disk while they are written, one window at a time, so the file's final fsync
/// finds little left to do. Without it a 128 MiB file written into the page cache and fsynced at once puts 128 MiB in
/// front of the disk in one go, and the journal's small commits (every 201 waits on one) queue behind it: a 4 KiB O_DSYNC
/// write beside the key filter's 128 MiB rewrite waited up to 37-51 ms, 7-15 ms with the file written behind
/// (perf/profile/write-behind-probe.py, docs/perf.md "Checkpoints off the tail"). Here each full
/// window's write-out is started (sync_file_range WRITE) and the window before it is waited for, so at most two windows
/// are ever in flight. It is advice to the kernel only: durability still comes from the caller's fsync, and where
/// sync_file_range is missing (not Linux) or refused it does nothing.
/// Usage: <c>var behind = new WriteBehind(stream, 8 &lt;&lt; 20); ... stream.Write(chunk); behind.Written(); ...</c>
/// </summary>
public sealed partial class WriteBehind
{
    public const int DefaultWindowBytes = 8 << 20;

    private const uint WaitBefore = 1, Write = 2, WaitAfter = 4; // SYNC_FILE_RANGE_*

    private readonly FileStream _file;
    private readonly long _window;
    private bool _enabled = OperatingSystem.IsLinux();
    private long _started; // bytes from 0 whose write-out was started
    private long _waited;  // bytes from 0 whose write-out was waited for

    public WriteBehind(FileStream file, int windowBytes = DefaultWindowBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(windowBytes, 4096);
        _file = file;
        _window = windowBytes;
    }

    /// <summary>Bytes from the file's start whose write-out was started (0 where the kernel has no sync_file_range).</summary>
    public long Started => _started;

    /// <summary>Bytes from the file's start that were on their way to the disk and waited for.</summary>
    public long Waited => _waited;

    /// <summary>Call after each write: once a full window lies past what was started, starts it and waits for the one before.</summary>
    public void Written()
    {
        long end = _file.Position;
        if (!_enabled || end - _started < _window) return;
        _file.Flush(); // the stream's own buffer into the page cache, where sync_file_range sees it
        int fd = (int)_file.SafeFileHandle.DangerousGetHandle();
        if (SyncFileRange(fd, _started, end - _started, Write) != 0)
        {
            _enabled = false; // e.g. a file system without it: the final fsync does all the work, as without this class
            return;
        }
        if (_started > _waited) _ = SyncFileRange(fd, _waited, _started - _waited, WaitBefore | Write | WaitAfter);
        _waited = _started;
        _started = end;
    }

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int SyncFileRange(int fd, long offset, long bytes, uint flags);
}
