using System.Globalization;
using Ledger.Engine;

namespace Ledger.Journal.Snapshots;

/// <summary>
/// The snapshot directory (<c>&lt;DataDir&gt;/snapshots</c>): files <c>snapshot-&lt;record number&gt;.lsnap</c>, newest by
/// record number first; the newest <see cref="Keep"/> are kept. A snapshot found to lie beyond a journal cut is renamed
/// <c>*.void</c> (kept for inspection, never loaded).
/// Usage: <c>var store = new SnapshotStore(dir, keep: 3); foreach (var s in store.List()) ...</c>
/// </summary>
public sealed class SnapshotStore
{
    public const string Extension = ".lsnap";
    private const string Prefix = "snapshot-";

    public SnapshotStore(string directory, int keep = 3)
    {
        if (keep < 1) throw new ArgumentOutOfRangeException(nameof(keep), "Keep at least one snapshot.");
        Directory = directory;
        Keep = keep;
    }

    public string Directory { get; }
    public int Keep { get; }

    /// <summary>The file name a snapshot covering journal records 1..<paramref name="recordNumber"/> gets.</summary>
    public string PathFor(long recordNumber) =>
        Path.Combine(Directory, Prefix + recordNumber.ToString("D12", CultureInfo.InvariantCulture) + Extension);

    /// <summary>Snapshot files, newest (highest record number) first. Only names are read; call <see cref="SnapshotFile.Load"/> to check one.</summary>
    public IReadOnlyList<(string Path, long RecordNumber)> List()
    {
        if (!System.IO.Directory.Exists(Directory)) return [];
        var found = new List<(string, long)>();
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, Prefix + "*"))
        {
            if (!path.EndsWith(Extension, StringComparison.Ordinal)) continue; // not *.tmp, not *.void
            string name = Path.GetFileNameWithoutExtension(path)[Prefix.Length..];
            if (long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out long record)) found.Add((path, record));
        }
        found.Sort((a, b) => b.Item2.CompareTo(a.Item2));
        return found;
    }

    /// <summary>Captures <paramref name="engine"/> (call on the thread that owns it) and writes it atomically, then prunes old ones.</summary>
    public SnapshotInfo Write(LedgerEngine engine, long recordNumber, long nextAddress, CancellationToken cancellationToken = default)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var info = SnapshotFile.Write(PathFor(recordNumber), engine.CaptureSnapshot(), recordNumber, nextAddress, cancellationToken);
        Prune();
        return info;
    }

    /// <summary>Deletes temp files a crash left behind in the middle of writing a snapshot.</summary>
    public void DeleteUnfinished()
    {
        if (!System.IO.Directory.Exists(Directory)) return;
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, Prefix + "*.tmp")) Storage.DurableFiles.TryDelete(path);
    }

    /// <summary>Deletes all but the newest <see cref="Keep"/> snapshots.</summary>
    public void Prune()
    {
        var all = List();
        for (int i = Keep; i < all.Count; i++) Storage.DurableFiles.TryDelete(all[i].Path);
    }

    /// <summary>Takes a snapshot out of use (renamed <c>.void</c>): it covers journal records that were cut.</summary>
    public void Void(string path)
    {
        File.Move(path, path + ".void", overwrite: true);
        Storage.DurableFiles.SyncDirectory(Directory);
    }
}
