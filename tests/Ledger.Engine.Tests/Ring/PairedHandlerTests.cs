using Ledger.Engine.Ring;
using NUnit.Framework;

namespace Ledger.Engine.Tests.Ring;

/// <summary>
/// Two stages on one thread (<see cref="PairedHandler{T,TFirst,TSecond}"/>): the second sees each slot exactly once, in
/// order, only after the first has seen the whole drained batch, and its end-of-batch flag falls on the same slots.
/// </summary>
public class PairedHandlerTests
{
    private struct Slot
    {
        public long Value;
    }

    private sealed class Log
    {
        public readonly List<(int Stage, long Sequence, bool EndOfBatch)> Events = [];
    }

    private struct Recording(Log log, int stage) : IBatchHandler<Slot>
    {
        public void OnEvent(ref Slot slot, long sequence, bool endOfBatch)
        {
            Assert.That(slot.Value, Is.EqualTo(sequence * 10), "the slot handed over is the one at that sequence");
            log.Events.Add((stage, sequence, endOfBatch));
        }
    }

    [TestCase(1)]
    [TestCase(7)]
    [TestCase(64)]
    public void ShouldHandTheSecondStageEachBatchOnlyAfterTheFirstHasSeenAllOfIt(int batchMax)
    {
        const int items = 5_000;
        var ring = new RingBuffer<Slot>(256, new BlockingWaitStrategy());
        var log = new Log();
        var processor = new BatchEventProcessor<Slot, PairedHandler<Slot, Recording, Recording>>(ring, null,
            new(ring, new Recording(log, 1), new Recording(log, 2)), batchMax);
        ring.Sequencer.SetGatingSequences(processor.Sequence);
        var thread = new Thread(processor.Run);
        thread.Start();
        for (long i = 0; i < items; i++)
        {
            long sequence = ring.Next();
            ring[sequence].Value = sequence * 10;
            ring.Publish(sequence);
        }
        while (processor.Sequence.Value < items - 1) Thread.Sleep(1);
        processor.Halt();
        thread.Join();

        // Split the log into batches: a run of first-stage events ended by its end-of-batch flag, then the second stage's.
        long nextFirst = 0, nextSecond = 0;
        int at = 0;
        while (at < log.Events.Count)
        {
            int start = at;
            while (log.Events[at].Stage == 1 && !log.Events[at].EndOfBatch) at++;
            Assert.That(log.Events[at].Stage, Is.EqualTo(1), "the first stage ends its batch before the second starts");
            int firstCount = at - start + 1;
            Assert.That(firstCount, Is.LessThanOrEqualTo(batchMax));
            for (int i = start; i <= at; i++) Assert.That(log.Events[i].Sequence, Is.EqualTo(nextFirst++));
            for (int i = 0; i < firstCount; i++)
            {
                var e = log.Events[at + 1 + i];
                Assert.That((e.Stage, e.Sequence, e.EndOfBatch), Is.EqualTo((2, nextSecond, i == firstCount - 1)), "the second stage sees the same batch, in order");
                nextSecond++;
            }
            at += firstCount + 1;
        }
        Assert.That((nextFirst, nextSecond), Is.EqualTo(((long)items, (long)items)));
    }
}
