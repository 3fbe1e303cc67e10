using Ledger.Engine.Commands;
using Ledger.Engine.Hosting;
using NUnit.Framework;

namespace Ledger.Engine.Tests.Hosting;

/// <summary>The one shape of the batching stages (prefetch, journal, store): it costs no allocation per batch.</summary>
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

    private static LedgerCommand[] Commands(int count, long firstRecord) => Enumerable.Range(0, count).Select(i =>
    {
        var command = new LedgerCommand { ChangedState = i % 3 != 0, RecordNumber = firstRecord + i }; // some change nothing: answered with their batch
        _ = command.WhenDone;
        return command;
    }).ToArray();

    private static void Run(ref BatchingStage<JournalStep> stage, CommandSlot[] slots, LedgerCommand[] commands)
    {
        for (int start = 0; start < commands.Length; start += slots.Length)
        {
            for (int i = 0; i < slots.Length; i++) slots[i].Command = commands[start + i];
            for (int i = 0; i < slots.Length; i++) stage.OnEvent(ref slots[i], start + i, i == slots.Length - 1);
        }
    }
}
