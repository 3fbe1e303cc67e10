using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Testing;
using NUnit.Framework;
using static Ledger.Engine.Tests.StateMachine.LedgerKit;
using static Ledger.Testing.Commands;

namespace Ledger.Engine.Tests.StateMachine;

/// <summary>docs/contract.md sections 2 and 7: the engine assigns time (monotonic) and sequence (strictly increasing across the ledger).</summary>
public class ClockAndSequenceTests(CacheMode mode) : EngineFixture(mode)
{
    [Test]
    public void ShouldStampEntriesWithTheCommandsTime()
    {
        var engine = Funded(1_000);
        var post = Expect(PostAt(At(42), Posting(A, "p1", 998, 1)).ApplyTo(engine), ResultCode.Ok);
        Assert.That(post.EntryResults[0].TimestampTicks, Is.EqualTo(At(42)));
        Assert.That(post.Result.TimestampTicks, Is.EqualTo(At(42)));
        Assert.That(engine.ClockTicks, Is.EqualTo(At(42)));
    }

    [Test]
    public void ShouldGiveACommandStampedBeforeTheClockTheClocksTime()
    {
        var engine = Funded(1_000);
        Expect(Tick(At(100)).ApplyTo(engine), ResultCode.Ok);
        var late = Expect(PostAt(At(50), Posting(A, "p1", 998, 1)).ApplyTo(engine), ResultCode.Ok);
        Assert.That(late.EntryResults[0].TimestampTicks, Is.EqualTo(At(100)));
        Assert.That(late.TimestampTicks, Is.EqualTo(At(100)), "the command carries the applied time, so the journal replays it");
        Assert.That(engine.ClockTicks, Is.EqualTo(At(100)));
    }

    [Test]
    public void ShouldNeverRunTheClockBackwardsEvenOnRefusedCommands()
    {
        var engine = Funded(1_000);
        PostAt(At(100), Posting(Unknown, "x", 100, 1)).ApplyTo(engine);
        Assert.That(engine.ClockTicks, Is.EqualTo(At(100)));
        Tick(At(10)).ApplyTo(engine);
        Assert.That(engine.ClockTicks, Is.EqualTo(At(100)));
    }

    [Test]
    public void ShouldAssignStrictlyIncreasingSequencesAcrossAccountsAndNoneToDeclines()
    {
        var engine = TwoAccounts(1_000);
        var sequences = new List<long> { engine.LastSequence };
        foreach (var command in new[]
                 {
                     Post(Posting(B, "b1", 100, 10), Posting(B, "b2", 100, 10)),
                     Post(Posting(A, "a1", 998, 10)),
                     Bundle("x", Posting(A, "a2", 200, 5), Posting(B, "b3", 201, 5)),
                     Post(Hold(A, "h1", 998, 10)),
                     Post(Unblock(A, "u1", "h1")),
                     Post(Reverse(A, "r1", "a1")),
                 })
        {
            Expect(command.ApplyTo(engine), ResultCode.Ok);
            for (int i = 0; i < command.EntryCount; i++) sequences.Add(command.EntryResults[i].Sequence);
        }
        Expect(Post(Posting(A, "big", 998, 1_000_000)).ApplyTo(engine), ResultCode.InsufficientFunds);
        var next = Expect(Post(Posting(B, "b9", 100, 1)).ApplyTo(engine), ResultCode.Ok);
        sequences.Add(next.EntryResults[0].Sequence);

        Assert.That(sequences, Is.Ordered.Ascending);
        Assert.That(sequences.Distinct().Count(), Is.EqualTo(sequences.Count));
        Assert.That(sequences, Is.EqualTo(Enumerable.Range(1, sequences.Count).Select(i => (long)i)), "no gap: a decline takes no sequence");
        Assert.That(engine.LastSequence, Is.EqualTo(sequences[^1]));
    }

    [Test]
    public void ShouldChangeNothingWithATickThatExpiresNothing()
    {
        var engine = Funded(1_000);
        Expect(Post(Hold(A, "h1", 998, 10, expiresAt: At(100))).ApplyTo(engine), ResultCode.Ok);
        ulong hash = engine.ComputeStateHash();
        var tick = Expect(Tick(At(50)).ApplyTo(engine), ResultCode.Ok);
        Assert.That(tick.ChangedState, Is.False, "a quiet tick is not journaled");
        Assert.That(tick.EventCount, Is.Zero);
        Assert.That(engine.ComputeStateHash(), Is.EqualTo(hash));
    }

    [Test]
    public void ShouldRefuseACommandOfNoKind()
    {
        var engine = Funded(1_000);
        var none = new LedgerCommand { TimestampTicks = T0 };
        Expect(none.ApplyTo(engine), ResultCode.InvalidCommand);
        Assert.That(none.ChangedState, Is.False);
    }
}
