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
/// continue, is closed here unfed and left to the catch-up after recovery, which sets it aside and rebuilds it; one that
/// meets damage while fed keeps what it was fed before it (records before the damage, which no cut reaches) and is left
/// to that catch-up too.
/// </summary>
/// <param name="Mark">Its watermark when opened.</param>
internal sealed record ReadCatchUp(ReadStore Reads, ReadStoreWriter Writer, ReadWatermark Mark, TimeSpan Opened, TimeSpan Feeding, long Fed) : IDisposable
{
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
            if (fed < 0) return null;
            var caughtUp = new ReadCatchUp(reads, writer, mark, opened, clock.Elapsed - opened, fed);
            (reads, writer) = (null, null); // the caller's now
            return caughtUp;
        }
        // Only faults of what is on disk, as in LedgerRole.OpenReadStore, which meets them again and decides; a broken
        // invariant is a bug and stops the start (closed below all the same: an in-process restart opens it again).
        catch (Exception ex) when (ex is IOException or ReadStoreFormatException or JournalDamagedException)
        {
            return null;
        }
        finally
        {
            writer?.Dispose();
            reads?.Dispose();
        }
    }

    public void Dispose()
    {
        Writer.Dispose();
        Reads.Dispose();
    }
}
