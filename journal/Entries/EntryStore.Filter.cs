using Ledger.Journal.Storage;
using Microsoft.Extensions.Logging;

namespace Ledger.Journal.Entries;

// The key filter in front of the store: loaded, rebuilt, marked complete.
public sealed partial class EntryStore
{
    /// <summary>The key filter in front of the store; complete (it may answer "absent") once <see cref="KeyFilter.Covered"/> reaches the watermark.</summary>
    public KeyFilter Filter { get; }

    /// <summary>Where the journal continues after the filter's coverage (to top it up from the journal at start).</summary>
    internal long FilterNextAddress { get; private set; }

    private string FilterPath => Path.Combine(Directory, KeyFilter.FileName);

    /// <summary>Whether the filter holds every key the store holds (it then answers for absent keys); from then on the writer keeps it so.</summary>
    public bool FilterComplete => _filterLive;

    /// <summary>Keys the filter was refilled with from the store at open (0: it was loaded from its file, or the store is new).</summary>
    public long FilterRebuiltKeys { get; }

    /// <summary>The key filter's log beside the store (null: a read-only store), appended by the writer, rotated by each save of the filter.</summary>
    internal KeyFilterLog? FilterLog { get; }

    /// <summary>What the filter's log added at open to the file's coverage (null: the filter was new or refilled, not loaded).</summary>
    public KeyFilterLog.Applied? FilterLogApplied { get; }

    /// <summary>Why the filter's log could not be read at open (null: it was, or there was none); the journal top-up then covers its part.</summary>
    public string? FilterLogUnreadable { get; private set; }

    private KeyFilterLog.Applied? ApplyFilterLog(long checkpoint)
    {
        long fileCovered = Filter.Covered;
        try
        {
            var applied = KeyFilterLog.Apply(Directory, Filter, fileCovered, FilterNextAddress, checkpoint, trim: !ReadOnly);
            Filter.Covered = applied.Covered;
            FilterNextAddress = applied.NextAddress;
            return applied;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // bits it set are harmless (a filter ahead of the store is only less precise); its coverage is not claimed
            FilterLogUnreadable = ex.Message;
            if (!ReadOnly) KeyFilterLog.DeleteAll(Directory);
            return null;
        }
    }

    /// <summary>
    /// Refills the filter from every key the store holds (O(history): only when its file is lost or does not fit, or the
    /// journal after its save cannot be read). Safe while the store writer runs (the background top-up's fallback): the
    /// scan sees the store as it was when it began, and the writer adds the keys of everything it writes after that.
    /// </summary>
    public long RebuildFilter(CancellationToken cancel = default)
    {
        long keys = 0;
        foreach (byte prefix in new[] { StoreCodec.EntryPrefix, StoreCodec.BundlePrefix })
        {
            Scan(prefix, (key, _) =>
            {
                if ((keys & 0xFFFF) == 0) cancel.ThrowIfCancellationRequested();
                Filter.Add(KeyFilter.HashOf(key));
                keys++;
            });
        }
        Filter.Count(keys);
        Filter.Covered = Math.Max(Filter.Covered, Watermark);
        _filterLive = true;
        return keys;
    }

    /// <summary>
    /// Marks the filter complete: the keys of the records up to <paramref name="record"/> (the checkpoint recovery started
    /// from) were added from the journal, and every record after it was written by this store's writer (the replay, then
    /// the pipeline), which adds its keys before it publishes the watermark. From then on it answers "absent" and is saved.
    /// </summary>
    internal void FilterCovers(long record)
    {
        Filter.Covered = Math.Max(Filter.Covered, record);
        _filterLive = true;
    }

    /// <summary>
    /// Whether the periodic checkpoint rewrites the filter's file: no file the log continues (a new store, or a filter
    /// refilled from the store: a start without one refills from the store again, O(history)), no log to cover what came
    /// after the file, a log that stopped taking keys, a last save that could not be made, or a log that holds
    /// <see cref="EntryStoreSettings.KeyFilterSaveAfterLogBytes"/> or more (the segments a start found included). Else the
    /// file stays and the log covers the rest: a restart applies at most about that much log.
    /// </summary>
    internal bool FilterSaveDue =>
        !_filterFileSaved || FilterLog is null || FilterLog.Stopped is not null || FilterNotSaved is not null ||
        FilterLog.Length >= Settings.KeyFilterSaveAfterLogBytes;

    private volatile bool _filterFileSaved; // a file the log continues is on disk: loaded at the open, or saved since

    /// <summary>Free space the key filter's rewrite leaves untouched (the journal and the stores need it more than the filter).</summary>
    public const long FilterSpareBytes = 64L << 20;

    /// <summary>Where the store's own housekeeping says what it skipped (the key filter's rewrite on a nearly full disk); null: silent.</summary>
    public ILogger? Logger { get; set; }

    /// <summary>Why the last checkpoint did not rewrite the key filter's file (null: it did). The file on disk then covers less; the next start tops it up from the journal.</summary>
    public string? FilterNotSaved { get; private set; }

    /// <summary>
    /// Rewrites the key filter's file (temp file and rename: it needs its size free beside the old file) unless the filter
    /// is still incomplete (being topped up in the background after a start: the file would claim keys it lacks, so the
    /// old file stays and a crash meanwhile tops up again from it) or the disk lacks the room: the file is housekeeping
    /// (a start without it tops the filter up from the journal or refills it from the store), so it never takes the last
    /// free space from the journal, and a full disk never fails a checkpoint or a start-up on it (it did: the 128 MiB
    /// rewrite at start-up on a nearly full disk, issue 17).
    /// </summary>
    private void SaveFilter(long watermark, long nextAddress)
    {
        if (!_filterLive)
        {
            if (Logger?.IsEnabled(LogLevel.Information) == true)
                Logger.LogInformation("The key filter's file was not rewritten: the filter is still being topped up (it covers journal record {Covered}); the next checkpoint after the top-up saves it.", Filter.Covered);
            return;
        }
        string? skipped = null;
        long needed = Filter.Bytes + FilterSpareBytes;
        if (DiskSpace.FreeBytes(Directory) is { } free && free < needed)
        {
            skipped = $"{free} bytes free, the rewrite needs {Filter.Bytes} and leaves {FilterSpareBytes} for the journal and the stores";
        }
        else
        {
            try
            {
                if (FilterLog?.Stopped is { } stopped && Logger?.IsEnabled(LogLevel.Warning) == true)
                    Logger.LogWarning("The key filter's log stopped taking keys ({Reason}); the filter's file saved now covers them, and a new segment starts. A crash before this save would have topped the filter up from the journal.", stopped);
                // Later chunks go to a new segment; the file covers every chunk appended before (their bits are set),
                // which may be past the checkpoint's record; once it is saved the older segments are deleted.
                var (logged, loggedNext, segment) = FilterLog?.Rotate() ?? default;
                if (logged > watermark) (watermark, nextAddress) = (logged, loggedNext);
                Filter.Save(FilterPath, watermark, nextAddress);
                FilterLog?.RetireBefore(segment);
                _filterFileSaved = true;
            }
            catch (IOException ex) when (DiskSpace.IsOutOfSpace(ex))
            {
                skipped = ex.Message; // the temp file is gone again (DurableFiles.WriteAtomically)
            }
        }
        if (skipped is not null && FilterNotSaved is null && Logger?.IsEnabled(LogLevel.Warning) == true)
        {
            Logger.LogWarning("The key filter's file was not rewritten ({Reason}); it covers journal record {Covered}, and a start tops it up from the journal after that. Retried at every checkpoint.",
                skipped, Filter.Covered);
        }
        else if (skipped is null && FilterNotSaved is not null && Logger?.IsEnabled(LogLevel.Information) == true)
        {
            Logger.LogInformation("The key filter's file is rewritten again (covers journal record {Covered}).", watermark);
        }
        FilterNotSaved = skipped;
    }
}
