using Ledger.Gateway.Hosting;
using Microsoft.Coyote.Specifications;
using NUnit.Framework;

namespace Ledger.Concurrency.Tests;

/// <summary>
/// The read-your-writes wait (<see cref="ReadYourWrites"/>, the gateway's real gate) under Coyote's scheduler. A journal
/// thread acknowledges records 1..N in order (as the journal stage publishes <c>AcknowledgedRecord</c> before it answers);
/// the read side follows behind it, writes each record into its store, then calls <see cref="ReadYourWrites.Advance"/>
/// (as the read-store sink does after its write). Readers start at any point, take the acknowledged record as a request
/// would and wait for it: in no schedule may a read that the gate lets through miss an acknowledged record (stale); a read
/// with no time to wait is refused when the record is not there yet, and one with time to spare is never refused (nor
/// left waiting: a lost wake-up would be a deadlock, which Coyote reports).
/// </summary>
public class ReadYourWritesTests
{
    private const int Records = 4;
    private static readonly TimeSpan Plenty = TimeSpan.FromMinutes(10);

    private sealed class Ledger
    {
        public long Acknowledged;
        /// <summary>The read store: Stored[r] once record r is written (by the read side's thread only).</summary>
        public readonly bool[] Stored = new bool[Records + 1];
        /// <summary>
        /// The real gate, waiting on the completion alone (the seam: Coyote does not control Task.WaitAsync's timer). A
        /// wake-up lost between a waiter's check and an Advance leaves it waiting for ever: Coyote reports the deadlock.
        /// </summary>
        public readonly ReadYourWrites Gate = new(static (advanced, _, _) => advanced);
    }

    /// <param name="advanceBeforeWrite">Planted bug: the read side moves the watermark before its store holds the record.</param>
    private static void Scenario(bool advanceBeforeWrite, Action<int>? refused = null)
    {
        var ledger = new Ledger();
        void Journal()
        {
            for (long r = 1; r <= Records; r++) Volatile.Write(ref ledger.Acknowledged, r);
        }
        void ReadSide()
        {
            for (int r = 1; r <= Records; r++)
            {
                while (Volatile.Read(ref ledger.Acknowledged) < r) Thread.Yield(); // behind the journal
                if (advanceBeforeWrite) ledger.Gate.Advance(r);
                Volatile.Write(ref ledger.Stored[r], true);
                if (!advanceBeforeWrite) ledger.Gate.Advance(r);
            }
        }
        Action Reader(TimeSpan bound, bool mustSucceed) => () =>
        {
            long acknowledged = Volatile.Read(ref ledger.Acknowledged); // the request arrives after these answers
            bool holds = ledger.Gate.WaitAsync(acknowledged, bound, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            if (!holds)
            {
                Specification.Assert(!mustSucceed, $"a read with time to spare was refused at record {acknowledged}");
                refused?.Invoke(1);
                return;
            }
            for (long r = 1; r <= acknowledged; r++)
            {
                Specification.Assert(Volatile.Read(ref ledger.Stored[r]), $"stale read: record {r} acknowledged before the read, missing from the store it was let through to");
            }
        };
        Systematic.RunThreads(Journal, ReadSide, Reader(TimeSpan.Zero, mustSucceed: false), Reader(Plenty, mustSucceed: true));
        Specification.Assert(ledger.Gate.Record == Records, $"the watermark ended at {ledger.Gate.Record}");
    }

    [Test]
    public void ShouldLetAReadThroughOnlyOnceItsAcknowledgedWritesAreStoredOrRefuseIt()
    {
        int refusals = 0;
        Systematic.ExpectNoBug(() => Scenario(advanceBeforeWrite: false, n => Interlocked.Add(ref refusals, n)), iterations: 1_000);
        Assert.That(refusals, Is.GreaterThan(0), "no schedule refused the read without time to wait: the refusal path was not explored");
        TestContext.Out.WriteLine($"{refusals} refused reads");
    }

    [Test]
    public void ShouldFindAWatermarkMovedBeforeTheStoreWrite()
    {
        Systematic.ExpectBug(() => Scenario(advanceBeforeWrite: true), iterations: 2_000, "stale read");
    }
}
