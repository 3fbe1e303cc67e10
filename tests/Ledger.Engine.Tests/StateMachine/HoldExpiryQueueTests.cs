using Ledger.Engine.Commands;
using Ledger.Engine.Events;
using Ledger.Engine.Domain;
using Ledger.Engine.State;
using Ledger.Testing;
using NUnit.Framework;
using static Ledger.Testing.Commands;

namespace Ledger.Engine.Tests.StateMachine;

/// <summary>Issue 18: the expiry queue is sized from OpenHoldsMax at start and never grows on the engine thread.</summary>
[NonParallelizable]
public sealed class HoldExpiryQueueTests
{
    private static readonly AccountKey A = Account(1);
    private const int Holds = 3_000; // well past the 1 024 the queue once started with (and grew from)

    private static long AllocatedApplying(LedgerEngine engine, LedgerCommand[] commands)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var command in commands) engine.Apply(command);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static LedgerCommand[] ExpiringHolds(string round, int count, long expiresAt) => Enumerable.Range(0, count)
        .Select(i => Post(Hold(A, $"{round}-{i}", 998, 10, expiresAt: expiresAt)))
        .ToArray();

    [Test]
    public void ShouldAllocateNothingAddingThousandsOfExpiringHolds()
    {
        var engine = NewEngine(new EngineSettings { AccountCapacity = 16, EntryCacheEntries = 4 * Holds, OpenHoldsMax = Holds });
        Open(A).ApplyTo(engine);
        Post(Posting(A, "fund", 100, 1_000_000_000)).ApplyTo(engine);
        var warmUp = ExpiringHolds("warm", 1, At(86_400));
        AllocatedApplying(engine, warmUp);
        var measured = ExpiringHolds("hot", Holds - 1, At(86_400));

        long allocated = AllocatedApplying(engine, measured);

        Assert.That(measured.All(c => c.Result.Code == ResultCode.Ok), Is.True, "every hold applied");
        Assert.That(allocated, Is.Zero);
    }

    [Test]
    public void ShouldMakeRoomFromHoldsReleasedEarlyInsteadOfGrowing()
    {
        // Three rounds of holds that fill the queue, each removed before it lapses: their items are stale, and a full
        // queue drops them rather than growing; the last round then expires in order.
        const int max = 64;
        var engine = NewEngine(new EngineSettings { AccountCapacity = 16, EntryCacheEntries = 16 * max, OpenHoldsMax = max });
        Open(A).ApplyTo(engine);
        Post(Posting(A, "fund", 100, 1_000_000)).ApplyTo(engine);
        for (int round = 0; round < 3; round++)
        {
            foreach (var hold in ExpiringHolds($"r{round}", max, At(3_600 * (10 - round)))) hold.ApplyTo(engine);
            if (round == 2) break;
            for (int i = 0; i < max; i++) Delete(A, $"r{round}-{i}").ApplyTo(engine);
        }
        var queue = ExpiryQueueOf(engine);
        Assert.That(queue.Capacity, Is.EqualTo(max), "never grew");

        var tick = Tick(At(86_400)).ApplyTo(engine);
        Assert.That(tick.Events.Count(e => e.Status == EntryStatus.Expired), Is.EqualTo(max), "the live round expires; the removed ones are not expired again");
    }

    private static HoldExpiryQueue ExpiryQueueOf(LedgerEngine engine) =>
        (HoldExpiryQueue)typeof(LedgerEngine).GetField("_expiryQueue", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(engine)!;
}
