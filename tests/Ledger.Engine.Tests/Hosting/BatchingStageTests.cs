using Ledger.Engine.Commands;
using Ledger.Engine.Hosting;
using NUnit.Framework;

namespace Ledger.Engine.Tests.Hosting;

/// <summary>The one shape of the batching stages (prefetch, journal, store): it costs no allocation per batch, nor does the prefetch step per command without fees.</summary>
[NonParallelizable]
public class BatchingStageTests
{
    private const int Batch = 64;
    private const int Batches = 200;

    [Test]
    public void ShouldAllocateNothingTakingFinishingAndHandingOverABatch()
    {
        var stage = new BatchingStage<JournalStep>(new JournalStep(new NoJournal(), new InFlight()), new PipelineFault(), Batch);
        var slots = new CommandSlot[Batch];
        var warm = Commands(Batch, firstRecord: 1);
        var measured = Commands(Batch * Batches, firstRecord: Batch + 1);
        Run(ref stage, slots, warm); // first use of each code path

        long before = GC.GetAllocatedBytesForCurrentThread();
        Run(ref stage, slots, measured);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(measured.All(c => c.WhenDone.IsCompletedSuccessfully), Is.True, "every command of every batch was answered");
        Assert.That(allocated, Is.Zero);
    }

    [Test]
    public void ShouldAllocateNothingInThePrefetchStepForCommandsThatCannotPostAFee()
    {
        // The prefetch step derives the fee ids the engine posts with (the one owner of which fees are in force): under a
        // catalog without fees, and with none posted before, it allocates nothing for postings or reversals.
        var engine = Testing.Commands.NewEngine();
        Assert.That(engine.Catalog.HasFees, Is.False);
        var stage = new BatchingStage<PrefetchStep>(new PrefetchStep(new NoReads(), engine), new PipelineFault(), Batch);
        var slots = new CommandSlot[Batch];
        var warm = Posts(Batch, "warm");
        var measured = Posts(Batch * Batches, "hot");
        Run(ref stage, slots, warm);

        long before = GC.GetAllocatedBytesForCurrentThread();
        Run(ref stage, slots, measured);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(measured.All(c => !c.FeesInForce && c.EntrySpan.ToArray().All(e => e.FeeCorrelationId is null)), Is.True, "no fee in force, no id derived");
        Assert.That(allocated, Is.Zero);
    }

    private static LedgerCommand[] Posts(int count, string round) => Enumerable.Range(0, count).Select(i =>
    {
        var a = Testing.Commands.Account(1);
        var command = i % 2 == 0
            ? Testing.Commands.Post(Testing.Commands.Posting(a, $"{round}-{i}", 998, 10))
            : Testing.Commands.Post(Testing.Commands.Reverse(a, $"{round}-r{i}", $"{round}-{i - 1}"));
        command.EnsureEntryCapacity(1); // sized by the producer, as the pool's commands are
        return command;
    }).ToArray();

    /// <summary>Reads nothing (no store): the lookups of these commands stay empty.</summary>
    private sealed class NoReads : IEntryPrefetcher
    {
        public void Add(LedgerCommand command) { }

        public void EndOfBatch() { }
    }

    private static LedgerCommand[] Commands(int count, long firstRecord) => Enumerable.Range(0, count).Select(i =>
    {
        var command = new LedgerCommand { ChangedState = i % 3 != 0, RecordNumber = firstRecord + i }; // some change nothing: answered with their batch
        _ = command.WhenDone;
        return command;
    }).ToArray();

    private static void Run<TStep>(ref BatchingStage<TStep> stage, CommandSlot[] slots, LedgerCommand[] commands) where TStep : struct, IBatchStep
    {
        for (int start = 0; start < commands.Length; start += slots.Length)
        {
            for (int i = 0; i < slots.Length; i++) slots[i].Command = commands[start + i];
            for (int i = 0; i < slots.Length; i++) stage.OnEvent(ref slots[i], start + i, i == slots.Length - 1);
        }
    }
}
