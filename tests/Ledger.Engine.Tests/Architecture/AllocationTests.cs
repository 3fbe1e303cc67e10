using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using NUnit.Framework;
using static Ledger.Testing.Commands;

namespace Ledger.Engine.Tests.Architecture;

/// <summary>style.md 4: once its tables are sized, the engine allocates nothing per command.</summary>
[NonParallelizable]
public class AllocationTests
{
    private const int BatchSize = 2_000;
    private static readonly AccountKey A = Account(1);
    private static readonly AccountKey B = Account(2);

    private static LedgerEngine PresizedEngine()
    {
        var engine = NewEngine(new EngineSettings { AccountCapacity = 16, EntryCapacity = 8 * BatchSize });
        engine.Apply(Open(A, overdraft: 1_000));
        engine.Apply(Open(B));
        engine.Apply(Post(Posting(A, "fund", 100, 1_000_000_000)));
        return engine;
    }

    /// <summary>Bytes this thread allocated while applying the commands (built beforehand: building is the gateway's cost).</summary>
    private static long AllocatedApplying(LedgerEngine engine, LedgerCommand[] commands)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var command in commands) engine.Apply(command);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static LedgerCommand[] LedgerCommands(string round) => Enumerable.Range(0, BatchSize)
        .Select(i => Post(i % 2 == 0 ? Posting(A, $"{round}-{i}", 998, 10) : Posting(A, $"{round}-{i}", 100, 7, description: "salary")))
        .ToArray();

    [Test]
    public void ShouldAllocateNothingApplyingAWarmBatchOfLedgerEntries()
    {
        var engine = PresizedEngine();
        var warmUp = LedgerCommands("warm");
        var measured = LedgerCommands("hot");
        AllocatedApplying(engine, warmUp);

        long allocated = AllocatedApplying(engine, measured);

        Assert.That(measured.All(c => c.Result.Code == ResultCode.Ok), Is.True, "the measured batch really applied");
        Assert.That(allocated, Is.Zero);
    }

    /// <summary>Every path a partner's command takes: holds with expiry, unblocks, reversals, removals, declines, replays, conflicts, DELETE, expiry.</summary>
    private static LedgerCommand[] MixedCommands(string round, long at)
    {
        var commands = new List<LedgerCommand>();
        for (int i = 0; commands.Count < BatchSize; i++)
        {
            string id = $"{round}-{i}";
            commands.Add(PostAt(at, Posting(A, id + "p", 998, 10)));
            commands.Add(PostAt(at, Reverse(A, id + "r", id + "p")));
            commands.Add(PostAt(at, Hold(A, id + "h", 998, 10, expiresAt: at + 10)));
            commands.Add(PostAt(at, Unblock(A, id + "u", id + "h", 4)));
            commands.Add(PostAt(at, Remove(A, id + "x", id + "h")));
            commands.Add(PostAt(at, Hold(A, id + "h2", 998, 10)));
            commands.Add(Delete(A, id + "h2", at));
            commands.Add(PostAt(at, Hold(A, id + "h3", 200, 5, expiresAt: at + 1)));
            commands.Add(PostAt(at, Posting(A, id + "big", 998, 999_999)));     // insufficient funds after the first few
            commands.Add(PostAt(at, Posting(A, id + "p", 998, 10)));            // replay
            commands.Add(PostAt(at, Posting(A, id + "p", 998, 11)));            // conflict
            commands.Add(PostAt(at, Posting(A, id + "fee", 700, 1)));
            commands.Add(PostAt(at, Posting(B, id + "unknown", 555, 1)));       // unknown code
            commands.Add(Tick(at + 2));                                        // expires h3
            at += 3;
        }
        return commands.ToArray();
    }

    [Test]
    public void ShouldAllocateNothingOnAnyPathOfAWarmEngine()
    {
        var engine = PresizedEngine();
        var warmUp = MixedCommands("warm", At(1));
        var measured = MixedCommands("hot", At(100_000));
        AllocatedApplying(engine, warmUp);

        long allocated = AllocatedApplying(engine, measured);

        var codes = measured.Select(c => c.Result.Code).ToHashSet();
        Assert.That(codes, Is.SupersetOf(new[] { ResultCode.Ok, ResultCode.IdempotencyConflict, ResultCode.UnknownHistoryCode }));
        Assert.That(measured.Count(c => c.Result.Replayed), Is.GreaterThan(0));
        Assert.That(allocated, Is.Zero);
    }
}
