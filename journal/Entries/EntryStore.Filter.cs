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

    /// <summary>Refills the filter from every key the store holds (O(history): only when its file is lost or does not fit).</summary>
    public long RebuildFilter()
    {
        long keys = 0;
        foreach (byte prefix in new[] { StoreCodec.EntryPrefix, StoreCodec.BundlePrefix })
        {
            Scan(prefix, (key, _) =>
            {
                Filter.Add(KeyFilter.HashOf(key));
                keys++;
            });
        }
        Filter.Covered = Watermark;
        _filterLive = true;
        return keys;
    }

    /// <summary>Marks the filter complete up to <paramref name="record"/> (recovery topped it up from the journal).</summary>
    internal void FilterCovers(long record)
    {
        Filter.Covered = Math.Max(Filter.Covered, record);
        if (Filter.Covered >= Watermark) _filterLive = true;
    }
}
