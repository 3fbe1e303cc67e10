using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using Ledger.Engine.Ring;

namespace Ledger.Benchmarks;

/// <summary>
/// The engine's ring against the bounded <see cref="Channel"/> it must beat (docs/contract.md section 8, "Ring"), in one run:
/// 2 producer threads push <see cref="ItemsPerProducer"/> items each through a queue of <see cref="Capacity"/>
/// slots to one consumer that sums them (trivial work). Time is per item (OperationsPerInvoke); the Ratio
/// column is ring time / channel time, so a ring twice as fast shows 0.50.
/// Each side is used as it is designed to be: the ring with producer threads that claim and publish slots
/// (<see cref="RingBuffer{T}.Next"/> waits while full) and a consumer thread draining batches with the wait
/// strategy under test; the channel with async writers (TryWrite, WriteAsync when full) and an async reader
/// loop (WaitToReadAsync + TryRead), SingleReader = true, FullMode = Wait.
/// Every invocation checks the consumer saw every item exactly once (count and sum), or throws.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(1, 1)]
public class RingVsChannelBenchmarks
{
    public const int Producers = 2;
    public const int ItemsPerProducer = 2_000_000;
    public const int Items = Producers * ItemsPerProducer;
    /// <summary>The host's default ring size (EngineHostSettings.RingSize).</summary>
    public const int Capacity = 8_192;
    private const long ExpectedSum = (long)Items * (Items + 1) / 2; // items are 1..Items

    [Benchmark(Baseline = true, OperationsPerInvoke = Items)]
    public long Channel()
    {
        var channel = System.Threading.Channels.Channel.CreateBounded<long>(new BoundedChannelOptions(Capacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var consumer = Task.Run(async () =>
        {
            var reader = channel.Reader;
            long sum = 0, count = 0;
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out long value))
                {
                    sum += value;
                    count++;
                }
            }
            return new Total { Sum = sum, Count = count };
        });
        var producers = new Task[Producers];
        for (int p = 0; p < Producers; p++)
        {
            long first = 1 + (long)p * ItemsPerProducer;
            producers[p] = Task.Run(async () =>
            {
                var writer = channel.Writer;
                for (long v = first; v < first + ItemsPerProducer; v++)
                {
                    if (!writer.TryWrite(v)) await writer.WriteAsync(v).ConfigureAwait(false);
                }
            });
        }
        Task.WaitAll(producers);
        channel.Writer.Complete();
        return Check(consumer.GetAwaiter().GetResult());
    }

    [Benchmark(OperationsPerInvoke = Items)]
    public long RingBlocking() => RunRing(new BlockingWaitStrategy());

    [Benchmark(OperationsPerInvoke = Items)]
    public long RingBlockingYield() => RunRing(new BlockingWaitStrategy(yieldTries: 100));

    [Benchmark(OperationsPerInvoke = Items)]
    public long RingYielding() => RunRing(new YieldingWaitStrategy());

    [Benchmark(OperationsPerInvoke = Items)]
    public long RingBusySpin() => RunRing(new BusySpinWaitStrategy());

    private static long RunRing(IWaitStrategy waitStrategy)
    {
        var ring = new RingBuffer<Item>(Capacity, waitStrategy);
        var total = new Total();
        var processor = new BatchEventProcessor<Item, SumHandler>(ring, null, new SumHandler(total));
        ring.Sequencer.SetGatingSequences(processor.Sequence);
        var consumer = new Thread(processor.Run) { Name = "ring-consumer", IsBackground = true };
        consumer.Start();
        var producers = new Thread[Producers];
        for (int p = 0; p < Producers; p++)
        {
            long first = 1 + (long)p * ItemsPerProducer;
            producers[p] = new Thread(() =>
            {
                for (long v = first; v < first + ItemsPerProducer; v++)
                {
                    long sequence = ring.Next();
                    ring[sequence].Value = v;
                    ring.Publish(sequence);
                }
            }) { Name = "ring-producer", IsBackground = true };
            producers[p].Start();
        }
        foreach (var producer in producers) producer.Join();
        processor.Halt(); // drains everything published, then returns
        consumer.Join();
        return Check(total);
    }

    private static long Check(Total total)
    {
        if (total.Count != Items || total.Sum != ExpectedSum)
        {
            throw new InvalidOperationException($"Consumer saw {total.Count} items summing to {total.Sum}; expected {Items} summing to {ExpectedSum}.");
        }
        return total.Sum;
    }

    private sealed class Total
    {
        public long Sum;
        public long Count;
    }

    private struct Item
    {
        public long Value;
    }

    /// <summary>Sums in registers and writes the totals out once per drained batch (the consumer's trivial work).</summary>
    private struct SumHandler(Total total) : IBatchHandler<Item>
    {
        private long _sum;
        private long _count;

        public void OnEvent(ref Item slot, long sequence, bool endOfBatch)
        {
            _sum += slot.Value;
            _count++;
            if (endOfBatch)
            {
                total.Sum = _sum;
                total.Count = _count;
            }
        }
    }
}
