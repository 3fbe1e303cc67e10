using Ledger.Engine.Ring;
using Microsoft.Coyote.Specifications;
using NUnit.Framework;

namespace Ledger.Concurrency.Tests;

/// <summary>
/// Stages handing slots to each other behind sequence barriers, wired as <c>EngineHost</c> wires them: each stage a real
/// <see cref="BatchEventProcessor{T,THandler}"/> on its own thread waiting on its own <see cref="BlockingWaitStrategy"/>,
/// woken by the stage before it (<see cref="IStageProcessor.Wakes"/>), the last stage gating the producers; or two stages
/// sharing a thread through <see cref="PairedHandler{T,TFirst,TSecond}"/>. Each stage stamps the slot; every stage checks
/// the stamp of the stage before it, so in no schedule may a stage see a slot before the earlier stage finished it.
/// </summary>
public class StageHandOffTests
{
    private const int StagesMax = 3;

    public struct Slot
    {
        public long Sequence;
        /// <summary>Done[k] = the sequence stage k last finished in this slot (stamped by stage k's handler).</summary>
        public long Done0, Done1, Done2;
    }

    private static ref long Done(ref Slot slot, int stage)
    {
        switch (stage)
        {
            case 0: return ref slot.Done0;
            case 1: return ref slot.Done1;
            default: return ref slot.Done2;
        }
    }

    /// <summary>What one stage saw; written by its thread only.</summary>
    private sealed class Seen
    {
        public long Expected;
        public int Count;
        public bool EndOfBatchPending;
    }

    /// <summary>Stage <paramref name="stage"/>: the slot was published and finished by every earlier stage, in sequence order; then stamp it.</summary>
    private struct Stamp(int stage, Seen seen, Sequence? upstream) : IBatchHandler<Slot>
    {
        public void OnEvent(ref Slot slot, long sequence, bool endOfBatch)
        {
            Specification.Assert(sequence == seen.Expected, $"stage {stage} got sequence {sequence} where {seen.Expected} was due");
            Specification.Assert(slot.Sequence == sequence, $"stage {stage} saw slot {sequence} before it was written");
            for (int earlier = 0; earlier < stage; earlier++)
            {
                Specification.Assert(Done(ref slot, earlier) == sequence, $"stage {stage} saw slot {sequence} before stage {earlier} finished it");
            }
            if (upstream is not null) Specification.Assert(upstream.Value >= sequence, $"stage {stage} ran past its upstream's sequence at {sequence}");
            Done(ref slot, stage) = sequence;
            seen.Expected = sequence + 1;
            seen.Count++;
            seen.EndOfBatchPending = !endOfBatch;
        }
    }

    public enum Layout
    {
        /// <summary>Two stages, two threads.</summary>
        TwoThreads,
        /// <summary>Three stages, three threads (prefetch, engine, journal in the separate layout).</summary>
        ThreeThreads,
        /// <summary>Stages 0 and 1 paired on one thread (small batches, as prefetch + engine), stage 2 on its own.</summary>
        PairedThenOne,
    }

    private sealed class Pipeline
    {
        public required RingBuffer<Slot> Ring;
        public required List<IStageProcessor> Processors;
        public required Seen[] Seen;
        public required int Stages;
    }

    /// <param name="skipBarrier">Planted bug: stage 1 follows the producers instead of stage 0 (a missing barrier).</param>
    private static Pipeline Build(Layout layout, bool skipBarrier = false)
    {
        var ring = new RingBuffer<Slot>(4, new BlockingWaitStrategy());
        var seen = new Seen[StagesMax];
        for (int k = 0; k < StagesMax; k++) seen[k] = new Seen();
        var processors = new List<IStageProcessor>();
        int stages;
        if (layout == Layout.PairedThenOne)
        {
            stages = 3;
            var front = new BatchEventProcessor<Slot, PairedHandler<Slot, Stamp, Stamp>>(ring, null,
                new(ring, new Stamp(0, seen[0], null), new Stamp(1, seen[1], null)), batchMax: 2);
            var last = new BatchEventProcessor<Slot, Stamp>(ring, front.Sequence, new Stamp(2, seen[2], front.Sequence), wait: new BlockingWaitStrategy());
            processors.Add(front);
            processors.Add(last);
        }
        else
        {
            stages = layout == Layout.TwoThreads ? 2 : 3;
            Sequence? upstream = null;
            for (int k = 0; k < stages; k++)
            {
                var barrier = k == 1 && skipBarrier ? null : upstream;
                var processor = new BatchEventProcessor<Slot, Stamp>(ring, barrier, new Stamp(k, seen[k], barrier), batchMax: k == 0 ? 2 : int.MaxValue,
                    wait: k == 0 ? null : new BlockingWaitStrategy());
                processors.Add(processor);
                upstream = processor.Sequence;
            }
        }
        // As EngineHost: each stage wakes only the next; nobody sleeps on the last (producers spin on it).
        for (int i = 0; i + 1 < processors.Count; i++) processors[i].Wakes(processors[i + 1].WaitStrategy);
        processors[^1].Wakes(null);
        ring.Sequencer.SetGatingSequences(processors[^1].Sequence);
        return new Pipeline { Ring = ring, Processors = processors, Seen = seen, Stages = stages };
    }

    /// <summary>Two producers publish; then, as EngineHost.Stop, wait for the last stage to reach the cursor, halt every stage, join.</summary>
    private static void Run(Pipeline pipeline, int producers, int items)
    {
        var ring = pipeline.Ring;
        var threads = pipeline.Processors.ConvertAll(p => new Thread(p.Run) { IsBackground = true });
        foreach (var thread in threads) thread.Start();
        var bodies = new Action[producers];
        for (int p = 0; p < producers; p++)
        {
            bodies[p] = () =>
            {
                for (int i = 0; i < items; i++)
                {
                    long sequence = ring.Next();
                    ring[sequence].Sequence = sequence;
                    ring.Publish(sequence);
                }
            };
        }
        Systematic.RunThreads(bodies);
        while (pipeline.Processors[^1].Sequence.Value < ring.Sequencer.Cursor) Thread.Yield();
        foreach (var processor in pipeline.Processors) processor.Halt();
        foreach (var thread in threads) thread.Join();
    }

    [TestCase(Layout.TwoThreads)]
    [TestCase(Layout.ThreeThreads)]
    [TestCase(Layout.PairedThenOne)]
    public void ShouldNeverLetAStageSeeASlotBeforeTheEarlierStageFinishedIt(Layout layout)
    {
        const int producers = 2, items = 4;
        Systematic.ExpectNoBug(() =>
        {
            var pipeline = Build(layout);
            Run(pipeline, producers, items);
            for (int k = 0; k < pipeline.Stages; k++)
            {
                Specification.Assert(pipeline.Seen[k].Count == producers * items, $"stage {k} handled {pipeline.Seen[k].Count} of {producers * items}");
                Specification.Assert(!pipeline.Seen[k].EndOfBatchPending, $"stage {k}'s last batch never got its end-of-batch flag");
            }
        }, iterations: 500);
    }

    [Test]
    public void ShouldFindAStageThatSkipsItsBarrier()
    {
        Systematic.ExpectBug(() => Run(Build(Layout.ThreeThreads, skipBarrier: true), producers: 2, items: 4),
            iterations: 1_000, "before stage 0 finished it");
    }
}
