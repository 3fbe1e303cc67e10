using System.Diagnostics;
using Ledger.Journal;
using Ledger.Journal.Recovery;
using Ledger.ReadSide;

namespace Ledger.Gateway.Hosting;

/// <summary>
/// The read store's catch-up beside recovery (<see cref="LedgerStoreSettings.AlongsideReplay"/>): opened and fed the
/// journal up to the entry store's checkpoint on recovery's second thread, so a restart pays for the longer of the two
/// catch-ups rather than their sum (issue 14: each was about 2 s after 10 minutes of load). <see cref="LedgerRole"/>
/// then feeds it what lies after, as before. A store that does not open, or whose watermark the journal does not
/// continue, is closed here untouched and left to the catch-up after recovery, which sets it aside and rebuilds it.
/// </summary>
internal sealed class ReadCatchUp : IDisposable
{
    private ReadCatchUp(ReadStore reads, ReadStoreWriter writer, ReadWatermark mark, TimeSpan opened, TimeSpan feeding, long fed)
    {
        Reads = reads;
        Writer = writer;
        Mark = mark;
        Opened = opened;
        Feeding = feeding;
        Fed = fed;
    }

    public ReadStore Reads { get; }
    public ReadStoreWriter Writer { get; }

    /// <summary>Its watermark when opened.</summary>
    public ReadWatermark Mark { get; }

    public TimeSpan Opened { get; }
    public TimeSpan Feeding { get; }
    public long Fed { get; }

    /// <summary>Opens the read store in <paramref name="directory"/> and feeds it <paramref name="prefix"/> after its watermark; null when that is left to the catch-up after recovery.</summary>
    public static ReadCatchUp? BesideRecovery(string directory, ReadStoreSettings settings, VerifiedJournalPrefix prefix)
    {
        ReadStore? reads = null;
        ReadStoreWriter? writer = null;
        try
        {
            var clock = Stopwatch.StartNew();
            reads = ReadStore.Open(directory, settings);
            var opened = clock.Elapsed;
            var mark = reads.Watermark;
            writer = reads.Writer();
            var into = writer;
            long fed = prefix.ReadAfter(mark.RecordNumber, mark.NextAddress, mark.LastSequence, record =>
            {
                into.Add(record.EventSpan, record.RecordNumber, record.NextAddress);
                if (into.Pending >= 1_024) into.Commit();
            });
            writer.Commit();
            if (fed >= 0) return new ReadCatchUp(reads, writer, mark, opened, clock.Elapsed - opened, fed);
        }
        // Only faults of what is on disk, as in LedgerRole.OpenReadStore, which meets them again and decides; a broken
        // invariant is a bug and stops the start.
        catch (Exception ex) when (ex is IOException or ReadStoreFormatException or JournalDamagedException)
        {
        }
        writer?.Dispose();
        reads?.Dispose();
        return null;
    }

    public void Dispose()
    {
        Writer.Dispose();
        Reads.Dispose();
    }
}
