using Ledger.Engine.Ring;
using NUnit.Framework;

namespace Ledger.Engine.Tests.Ring;

/// <summary>
/// docs/contract.md section 8: the Disruptor-style ring under real concurrency. Producers publish (producer, index) items; the consumer
/// checks each producer's items arrive once, in order, and that no producer ever claims a slot the consumer has not freed.
/// Sizes: 4 producers x 250 000 items = 1 000 000 items per wait strategy, 3 million in all (about 0.2-2 s per strategy on 2 loaded cores).
/// </summary>
public class RingBufferTests
{
    private const int Producers = 4;
    private const int ItemsPerProducer = 250_000;

    public enum Strategy { Blocking, Yielding, BusySpin }

    internal static IWaitStrategy Create(Strategy strategy) => strategy switch
    {
        Strategy.Blocking => new BlockingWaitStrategy(),
        Strategy.Yielding => new YieldingWaitStrategy(),
        _ => new BusySpinWaitStrategy(),
    };

    public struct Item
    {
        public int Producer;
        public long Index;
    }

    /// <summary>What the consumer saw; written by the consumer thread only, read after it has stopped.</summary>
    private sealed class Recorder(int producers)
    {
        public readonly long[] Next = new long[producers];
        public long Count;
        public long OutOfOrder;
        public long Batches;
        public long LongestBatch;
        public long CurrentBatch;
        public bool LastWasEndOfBatch;
        public long UpstreamOvertaken;
        public Sequence? Upstream;
    }

    private struct RecordingHandler(Recorder recorder) : IBatchHandler<Item>
    {
        public void OnEvent(ref Item slot, long sequence, bool endOfBatch)
        {
            if (slot.Index != recorder.Next[slot.Producer]) recorder.OutOfOrder++;
            recorder.Next[slot.Producer] = slot.Index + 1;
            recorder.Count++;
            if (recorder.Upstream is { } upstream && upstream.Value < sequence) recorder.UpstreamOvertaken++;
            recorder.CurrentBatch++;
            recorder.LastWasEndOfBatch = endOfBatch;
            if (endOfBatch)
            {
                recorder.Batches++;
                recorder.LongestBatch = Math.Max(recorder.LongestBatch, recorder.CurrentBatch);
                recorder.CurrentBatch = 0;
            }
        }
    }

    /// <summary>Runs producers against a started consumer; returns how often a producer claimed more than a ring ahead of it.</summary>
    private static long Produce(RingBuffer<Item> ring, Sequence consumer, int producers, int itemsEach)
    {
        long lapped = 0;
        var threads = Enumerable.Range(0, producers).Select(p => new Thread(() =>
        {
            long myLapped = 0;
            for (long i = 0; i < itemsEach; i++)
            {
                long s = ring.Next();
                // The consumer's sequence only grows, so reading it after the claim can only understate the lead.
                if (s - consumer.Value > ring.Size) myLapped++;
                ref var item = ref ring[s];
                item.Producer = p;
                item.Index = i;
                ring.Publish(s);
            }
            Interlocked.Add(ref lapped, myLapped);
        }) { IsBackground = true, Name = $"producer-{p}" }).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        return lapped;
    }

    private static (Recorder Recorder, long Lapped) RunRing(Strategy strategy, int ringSize, int producers, int itemsEach)
    {
        var ring = new RingBuffer<Item>(ringSize, Create(strategy));
        var recorder = new Recorder(producers);
        var processor = new BatchEventProcessor<Item, RecordingHandler>(ring, null, new RecordingHandler(recorder));
        ring.Sequencer.SetGatingSequences(processor.Sequence);
        var consumer = new Thread(processor.Run) { IsBackground = true, Name = "consumer" };
        consumer.Start();
        long lapped = Produce(ring, processor.Sequence, producers, itemsEach);
        processor.Halt();
        consumer.Join();
        return (recorder, lapped);
    }

    private static void AssertEverythingOnceInOrder(Recorder recorder, int producers, int itemsEach)
    {
        Assert.That(recorder.OutOfOrder, Is.Zero, "each producer's items arrive in its order, none twice, none skipped");
        Assert.That(recorder.Next, Is.All.EqualTo((long)itemsEach), "nothing lost");
        Assert.That(recorder.Count, Is.EqualTo((long)producers * itemsEach), "nothing delivered twice");
    }

    [TestCase(Strategy.Blocking)]
    [TestCase(Strategy.Yielding)]
    [TestCase(Strategy.BusySpin)]
    public void ShouldDeliverEveryItemOnceInEachProducersOrder(Strategy strategy)
    {
        var (recorder, lapped) = RunRing(strategy, 1_024, Producers, ItemsPerProducer);
        AssertEverythingOnceInOrder(recorder, Producers, ItemsPerProducer);
        Assert.That(lapped, Is.Zero);
        Assert.That(recorder.LastWasEndOfBatch, Is.True, "the last item drained ends a batch");
        Assert.That(recorder.LongestBatch, Is.LessThanOrEqualTo(1_024), "a batch is at most a ring");
        TestContext.Out.WriteLine($"{strategy}: {recorder.Count} items in {recorder.Batches} batches (longest {recorder.LongestBatch})");
    }

    [TestCase(Strategy.Blocking)]
    [TestCase(Strategy.Yielding)]
    [TestCase(Strategy.BusySpin)]
    public void ShouldHoldProducersBackWhenATinyRingIsFull(Strategy strategy)
    {
        const int itemsEach = 10_000; // every hand-off waits for the consumer: the slowest shape, so fewer items
        var (recorder, lapped) = RunRing(strategy, 4, Producers, itemsEach);
        Assert.That(lapped, Is.Zero, "no producer claimed a slot the consumer had not freed");
        AssertEverythingOnceInOrder(recorder, Producers, itemsEach);
        Assert.That(recorder.LongestBatch, Is.LessThanOrEqualTo(4));
    }

    [Test]
    public void ShouldDrainWhatIsPublishedBeforeTheConsumerStartsAsOneBatch()
    {
        var ring = new RingBuffer<Item>(16, new BlockingWaitStrategy());
        var recorder = new Recorder(1);
        var processor = new BatchEventProcessor<Item, RecordingHandler>(ring, null, new RecordingHandler(recorder));
        ring.Sequencer.SetGatingSequences(processor.Sequence);
        for (int i = 0; i < 10; i++)
        {
            long s = ring.Next();
            ring[s] = new Item { Producer = 0, Index = i };
            ring.Publish(s);
        }
        processor.Halt(); // already halted: Run drains what is there and returns
        processor.Run();
        Assert.That(recorder.Count, Is.EqualTo(10));
        Assert.That(recorder.Batches, Is.EqualTo(1), "one drained batch, one end-of-batch flag (one group commit)");
        Assert.That(recorder.LongestBatch, Is.EqualTo(10));
        Assert.That(processor.Sequence.Value, Is.EqualTo(9));
    }

    [TestCase(Strategy.Blocking)]
    [TestCase(Strategy.Yielding)]
    [TestCase(Strategy.BusySpin)]
    public void ShouldDrainEverythingPublishedWhenHalted(Strategy strategy)
    {
        // RunRing halts right after the last publish; the consumer must still deliver every item.
        var (recorder, _) = RunRing(strategy, 64, Producers, 20_000);
        AssertEverythingOnceInOrder(recorder, Producers, 20_000);
    }

    [Test]
    public void ShouldStopAnIdleConsumerOnHalt()
    {
        var ring = new RingBuffer<Item>(8, new BlockingWaitStrategy());
        var processor = new BatchEventProcessor<Item, RecordingHandler>(ring, null, new RecordingHandler(new Recorder(1)));
        ring.Sequencer.SetGatingSequences(processor.Sequence);
        var consumer = new Thread(processor.Run) { IsBackground = true };
        consumer.Start();
        processor.Halt();
        Assert.That(consumer.Join(TimeSpan.FromSeconds(30)), Is.True, "a blocked consumer wakes up and returns");
    }

    [Test]
    public void ShouldRefuseTryNextWhenFullAndWaitInNextUntilASlotIsFreed()
    {
        var ring = new RingBuffer<Item>(4, new BlockingWaitStrategy());
        var consumer = new Sequence();
        ring.Sequencer.SetGatingSequences(consumer);
        for (int i = 0; i < 4; i++)
        {
            Assert.That(ring.TryNext(out long s), Is.True);
            Assert.That(s, Is.EqualTo(i));
            ring.Publish(s);
        }
        Assert.That(ring.TryNext(out long refused), Is.False, "a full ring refuses without waiting");
        Assert.That(refused, Is.EqualTo(-1));
        Assert.That(ring.Sequencer.RemainingCapacity, Is.Zero);

        long claimed = -1;
        var producer = new Thread(() => Volatile.Write(ref claimed, ring.Next())) { IsBackground = true };
        producer.Start();
        Thread.Sleep(50); // give a wrong implementation the chance to claim; a right one cannot
        Assert.That(Volatile.Read(ref claimed), Is.EqualTo(-1), "Next waits while the ring is full");
        consumer.SetValue(0); // the consumer frees slot 0
        Assert.That(producer.Join(TimeSpan.FromSeconds(30)), Is.True);
        Assert.That(claimed, Is.EqualTo(4));
    }

    [TestCase(0)]
    [TestCase(3)]
    [TestCase(1_000)]
    public void ShouldRefuseARingSizeThatIsNotAPowerOfTwo(int size)
    {
        Assert.Throws<ArgumentException>(() => _ = new RingBuffer<Item>(size, new BlockingWaitStrategy()));
    }

    [TestCase(Strategy.Blocking)]
    [TestCase(Strategy.Yielding)]
    public void ShouldKeepASecondStageBehindTheFirst(Strategy strategy)
    {
        // The host's pipeline shape: stage 2 consumes only what stage 1 has finished; producers wait for stage 2.
        const int itemsEach = 50_000;
        var ring = new RingBuffer<Item>(256, Create(strategy));
        var first = new Recorder(Producers);
        var second = new Recorder(Producers);
        var stage1 = new BatchEventProcessor<Item, RecordingHandler>(ring, null, new RecordingHandler(first));
        var stage2 = new BatchEventProcessor<Item, RecordingHandler>(ring, stage1.Sequence, new RecordingHandler(second));
        second.Upstream = stage1.Sequence;
        ring.Sequencer.SetGatingSequences(stage2.Sequence);
        var threads = new[] { new Thread(stage1.Run) { IsBackground = true }, new Thread(stage2.Run) { IsBackground = true } };
        foreach (var t in threads) t.Start();
        long lapped = Produce(ring, stage2.Sequence, Producers, itemsEach);
        while (stage2.Sequence.Value < ring.Sequencer.Cursor) Thread.Sleep(1);
        stage1.Halt();
        stage2.Halt();
        foreach (var t in threads) t.Join();

        Assert.That(lapped, Is.Zero);
        AssertEverythingOnceInOrder(first, Producers, itemsEach);
        AssertEverythingOnceInOrder(second, Producers, itemsEach);
        Assert.That(second.UpstreamOvertaken, Is.Zero, "stage 2 never handled a slot stage 1 had not finished");
    }
}
