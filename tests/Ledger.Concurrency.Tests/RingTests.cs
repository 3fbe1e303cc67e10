using Ledger.Engine.Ring;
using Microsoft.Coyote.Specifications;
using NUnit.Framework;

namespace Ledger.Concurrency.Tests;

/// <summary>
/// The ring's multi-producer claim/publish under Coyote's scheduler: producers claim and publish on the real
/// <see cref="RingBuffer{T}"/> (ring of 2 or 4 slots, so every schedule wraps it many times), a real
/// <see cref="BatchEventProcessor{T,THandler}"/> consumes, gating the producers. Every schedule must deliver each
/// published item exactly once, in its producer's order, at the sequence it was claimed for, fully written.
/// </summary>
public class RingTests
{
    public enum Strategy { Blocking, Yielding, BusySpin }

    private static IWaitStrategy Create(Strategy strategy) => strategy switch
    {
        Strategy.Blocking => new BlockingWaitStrategy(),
        Strategy.Yielding => new YieldingWaitStrategy(),
        _ => new BusySpinWaitStrategy(),
    };

    public struct Item
    {
        public int Producer;
        public int Index;
        public long Sequence;
    }

    /// <summary>What the consumer saw; written by the consumer thread only, read after it was joined.</summary>
    private sealed class Seen(int producers)
    {
        public readonly int[] Next = new int[producers];
        public long Expected;
        public int Count;
    }

    /// <summary>Checks each slot as it is consumed: consecutive sequences, written for this sequence, next of its producer.</summary>
    private struct Checker(Seen seen) : IBatchHandler<Item>
    {
        public void OnEvent(ref Item slot, long sequence, bool endOfBatch)
        {
            Specification.Assert(sequence == seen.Expected, $"consumer skipped or repeated a sequence: {sequence} after {seen.Expected - 1}");
            Specification.Assert(slot.Sequence == sequence, $"slot {sequence} read before it was written (holds sequence {slot.Sequence})");
            Specification.Assert(slot.Index == seen.Next[slot.Producer],
                $"producer {slot.Producer}: item {slot.Index} arrived where {seen.Next[slot.Producer]} was due (lost, duplicated or out of order)");
            seen.Next[slot.Producer] = slot.Index + 1;
            seen.Expected = sequence + 1;
            seen.Count++;
        }
    }

    private static (RingBuffer<Item> Ring, BatchEventProcessor<Item, Checker> Consumer, Seen Seen) Pipeline(int ringSize, int producers, Strategy strategy)
    {
        var ring = new RingBuffer<Item>(ringSize, Create(strategy));
        var seen = new Seen(producers);
        var consumer = new BatchEventProcessor<Item, Checker>(ring, null, new Checker(seen));
        ring.Sequencer.SetGatingSequences(consumer.Sequence);
        return (ring, consumer, seen);
    }

    /// <summary>Producers, then the consumer drains and stops (the host's order at Stop): the consumer thread is joined at the end.</summary>
    private static void Run(BatchEventProcessor<Item, Checker> consumer, Action[] producers)
    {
        var consumerThread = new Thread(consumer.Run) { IsBackground = true };
        consumerThread.Start();
        Systematic.RunThreads(producers);
        consumer.Halt();
        consumerThread.Join();
    }

    private static Action[] Producers(RingBuffer<Item> ring, int producers, int items, bool publishBeforeWrite = false)
    {
        var bodies = new Action[producers];
        for (int p = 0; p < producers; p++)
        {
            int producer = p;
            bodies[p] = () =>
            {
                for (int i = 0; i < items; i++)
                {
                    long sequence = ring.Next();
                    if (publishBeforeWrite) ring.Publish(sequence); // planted bug: the slot becomes readable before it is written
                    ring[sequence] = new Item { Producer = producer, Index = i, Sequence = sequence };
                    if (!publishBeforeWrite) ring.Publish(sequence);
                }
            };
        }
        return bodies;
    }

    [TestCase(Strategy.Blocking)]
    [TestCase(Strategy.Yielding)]
    [TestCase(Strategy.BusySpin)]
    public void ShouldDeliverEveryItemOnceInOrderAcrossWrapAround(Strategy strategy)
    {
        const int producers = 3, items = 4;
        Systematic.ExpectNoBug(() =>
        {
            var (ring, consumer, seen) = Pipeline(ringSize: 2, producers, strategy);
            Run(consumer, Producers(ring, producers, items));
            Specification.Assert(seen.Count == producers * items, $"consumed {seen.Count} of {producers * items}");
            Specification.Assert(consumer.Sequence.Value == ring.Sequencer.Cursor, "the consumer stopped short of the cursor");
        }, iterations: 1_000);
    }

    [Test]
    public void ShouldFindAPublishBeforeTheSlotIsWritten()
    {
        Systematic.ExpectBug(() =>
        {
            var (ring, consumer, _) = Pipeline(ringSize: 4, producers: 2, Strategy.Blocking);
            Run(consumer, Producers(ring, 2, 2, publishBeforeWrite: true));
        }, iterations: 1_000, "read before it was written");
    }

    /// <summary>
    /// TryNext on a full ring says no and changes nothing: what was accepted is consumed exactly once in order, what was
    /// refused never appears, and some schedules really do fill the ring (counted across schedules).
    /// </summary>
    [Test]
    public void ShouldRefuseOnAFullRingWithoutCorruptingIt()
    {
        const int producers = 3, attempts = 3;
        int schedulesWithRefusal = 0;
        Systematic.ExpectNoBug(() =>
        {
            var (ring, consumer, seen) = Pipeline(ringSize: 2, producers, Strategy.Blocking);
            var accepted = new int[producers];
            var bodies = new Action[producers];
            for (int p = 0; p < producers; p++)
            {
                int producer = p;
                bodies[p] = () =>
                {
                    for (int i = 0; i < attempts; i++)
                    {
                        if (!ring.TryNext(out long sequence)) continue; // refused: nothing claimed, nothing to publish
                        ring[sequence] = new Item { Producer = producer, Index = accepted[producer]++, Sequence = sequence };
                        ring.Publish(sequence);
                    }
                };
            }
            Run(consumer, bodies);
            int total = 0;
            for (int p = 0; p < producers; p++)
            {
                Specification.Assert(seen.Next[p] == accepted[p], $"producer {p}: {accepted[p]} accepted, {seen.Next[p]} consumed");
                total += accepted[p];
            }
            Specification.Assert(seen.Count == total, $"consumed {seen.Count}, accepted {total}");
            Specification.Assert(ring.Sequencer.Cursor == total - 1, $"cursor {ring.Sequencer.Cursor} after {total} claims: a refusal claimed a slot");
            if (total < producers * attempts) Interlocked.Increment(ref schedulesWithRefusal);
        }, iterations: 1_000);
        Assert.That(schedulesWithRefusal, Is.GreaterThan(0), "no schedule filled the ring: the refusal path was not explored");
        TestContext.Out.WriteLine($"{schedulesWithRefusal} schedules had a refusal");
    }
}
