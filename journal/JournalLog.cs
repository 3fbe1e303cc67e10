using FASTER.core;
using Ledger.Journal.Storage;

namespace Ledger.Journal;

/// <summary>
/// The journal's FasterLog on local disk (<c>&lt;DataDir&gt;/journal</c>): segment files <c>ledger.log.N</c>, the commit
/// slots, and the cut list. Open it read-write for the service (one writer) or read-only for tools: a read-only
/// journal is never modified, not even to cut a damaged tail.
/// Usage: <c>using var log = JournalLog.Open(dir, readOnly: true);</c>
/// </summary>
public sealed class JournalLog : IDisposable
{
    public const string LogFileName = "ledger.log";

    private readonly IDevice _device;
    private readonly SlotCommitManager _commits;
    private bool _disposed;

    private JournalLog(string directory, JournalSettings settings, bool readOnly)
    {
        Directory = directory;
        Settings = settings;
        ReadOnly = readOnly;
        Cuts = JournalCuts.Load(directory);
        Archive = JournalArchive.Load(directory);
        _commits = new SlotCommitManager(directory, readOnly);
        _device = Devices.CreateLogDevice(Path.Combine(directory, LogFileName), preallocateFile: false, deleteOnClose: false, recoverDevice: true);
        try
        {
            // The settings only carry what this class owns and disposes itself (the device, the commit manager);
            // disposing them here would dispose those too.
#pragma warning disable CA2000
            Log = new FasterLog(new FasterLogSettings
            {
                LogDevice = _device,
                PageSizeBits = settings.PageSizeBits,
                MemorySizeBits = settings.MemorySizeBits,
                SegmentSizeBits = settings.SegmentSizeBits,
                LogCommitManager = _commits,
                LogChecksum = LogChecksumType.None, // our record header carries a CRC-32C
                ReadOnlyMode = readOnly,
                TryRecoverLatest = !readOnly,
                AutoRefreshSafeTailAddress = false,
            });
#pragma warning restore CA2000
            if (readOnly) Log.RecoverReadOnly();
        }
        catch
        {
            _device.Dispose();
            _commits.Dispose();
            throw;
        }
    }

    public string Directory { get; }
    public JournalSettings Settings { get; }
    public bool ReadOnly { get; }
    public JournalCuts Cuts { get; }

    /// <summary>What was archived out of the journal (<see cref="JournalArchive.None"/>: nothing; it begins at record 1).</summary>
    public JournalArchive Archive { get; private set; }

    /// <summary>Records what an archive moved away (written atomically before the log is truncated, so a crash between leaves readers right).</summary>
    public void RecordArchive(JournalArchive archive)
    {
        if (ReadOnly) throw new InvalidOperationException("A read-only journal cannot record an archive.");
        archive.Save(Directory);
        Archive = archive;
    }

    /// <summary>Drops the records before <paramref name="address"/> (a record start on a segment boundary): FasterLog deletes those segment files at the commit.</summary>
    public void TruncateUntil(long address)
    {
        if (ReadOnly) throw new InvalidOperationException("A read-only journal cannot be truncated.");
        Log.TruncateUntil(address);
        Log.Commit(spinWait: true);
        // FasterLog deletes the segment files below the new beginning on a background thread: wait for that, so a tool
        // that exits right after has really removed them (the archive test saw one left under load). Bounded: past it,
        // delete what is left ourselves (the caller archived those segments before truncating).
        long firstKept = address >> Settings.SegmentSizeBits;
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        foreach (string file in System.IO.Directory.GetFiles(Directory, LogFileName + ".*"))
        {
            if (!long.TryParse(Path.GetExtension(file).TrimStart('.'), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long segment) ||
                segment >= firstKept)
            {
                continue;
            }
            while (File.Exists(file) && deadline.Elapsed < TimeSpan.FromSeconds(5)) Thread.Sleep(10);
            if (File.Exists(file)) File.Delete(file);
        }
        DurableFiles.SyncDirectory(Directory);
    }

    internal FasterLog Log { get; }

    public long BeginAddress => Log.BeginAddress;

    /// <summary>Where the journal's first record is: its begin address, or past it where an archive moved older records away.</summary>
    public long StartAddress => Math.Max(Log.BeginAddress, Archive.FirstAddress);

    /// <summary>Everything before this address is durable; readers never look past it.</summary>
    public long CommittedUntilAddress => Log.CommittedUntilAddress;

    public long TailAddress => Log.TailAddress;

    /// <summary>Whether a journal has been created in <paramref name="directory"/>.</summary>
    public static bool Exists(string directory) => File.Exists(Path.Combine(directory, SlotCommitManager.FileName));

    /// <summary>
    /// Opens (read-write: creating if needed) the journal in <paramref name="directory"/>. A journal keeps the page and
    /// segment size it was created with (<c>layout.json</c>): those given here apply only to a new journal.
    /// </summary>
    public static JournalLog Open(string directory, JournalSettings? settings = null, bool readOnly = false)
    {
        settings ??= new JournalSettings();
        settings.Validate();
        if (readOnly)
        {
            if (!Exists(directory)) throw new DirectoryNotFoundException($"There is no journal in '{directory}' (no {SlotCommitManager.FileName} file).");
        }
        else if (!System.IO.Directory.Exists(directory))
        {
            System.IO.Directory.CreateDirectory(directory);
            string? parent = Path.GetDirectoryName(Path.GetFullPath(directory));
            if (parent is not null) DurableFiles.SyncDirectory(parent);
        }
        settings = JournalLayout.Apply(directory, settings, readOnly);
        return new JournalLog(directory, settings, readOnly);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Log.Dispose(); // before its device (toolchain note)
        _device.Dispose();
        _commits.Dispose();
    }
}
