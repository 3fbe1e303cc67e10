using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.State;
using Ledger.Testing;
using NUnit.Framework;
using static Ledger.Engine.Tests.StateMachine.LedgerKit;
using static Ledger.Testing.Commands;

namespace Ledger.Engine.Tests.StateMachine;

/// <summary>
/// docs/contract.md section 7: the same commands rebuild the same state; a restart from the entry store's checkpoint (the live state it
/// keeps beside the history) goes on exactly as a ledger that never stopped.
/// </summary>
public class RestartTests(CacheMode mode) : EngineFixture(mode)
{
    /// <summary>A small day on the ledger touching every kind of state: accounts, entries, holds with expiry, declines, a bundle.</summary>
    private static LedgerCommand[] ADay() =>
    [
        Open(A, Usd, overdraft: 500),
        Open(B, Usd),
        PostAt(At(1), Posting(A, "d1", 100, 10_000)),
        PostAt(At(2), Hold(A, "h1", 998, 1_000, expiresAt: At(30)), Hold(A, "h2", 998, 2_000, expiresAt: At(60))),
        PostAt(At(3), Posting(A, "big", 998, 1_000_000)),
        PostAt(At(4), Unblock(A, "u1", "h1", 400)),
        Bundle("b1", Posting(A, "t-out", 200, 2_500), Posting(B, "t-in", 201, 2_500)),
        PostAt(At(5), Posting(A, "fee1", 700, 5_000)),
        PostAt(At(6), Reverse(A, "r1", "fee1")),
        Tick(At(40)),
        PostAt(At(41), Posting(B, "p1", 998, 100, description: "snack")),
        Delete(A, "h2", At(42)),
    ];

    private static LedgerCommand[] TheNextDay() =>
    [
        PostAt(At(100), Posting(A, "d2", 100, 1)),
        PostAt(At(101), Hold(B, "h3", 998, 50, expiresAt: At(150))),
        PostAt(At(102), Posting(A, "big", 998, 1_000_000)),
        PostAt(At(103), Posting(A, "d1", 100, 10_000)),
        Tick(At(200)),
        PostAt(At(201), Reverse(A, "r2", "fee1")),
    ];

    [Test]
    public void ShouldRebuildTheSameStateFromTheSameCommands()
    {
        var first = NewEngine();
        var second = NewEngine(new EngineSettings { AccountCapacity = 1, EntryCacheEntries = 16 });
        foreach (var c in ADay()) c.ApplyTo(first);
        foreach (var c in ADay()) c.ApplyTo(second);
        Assert.That(second.ComputeStateHash(), Is.EqualTo(first.ComputeStateHash()), "table sizes do not matter, only the commands");
        Assert.That(second.LastSequence, Is.EqualTo(first.LastSequence));
    }

    [Test]
    public void ShouldHashDifferentStatesDifferently()
    {
        var first = NewEngine();
        var second = NewEngine();
        foreach (var c in ADay()) c.ApplyTo(first);
        foreach (var c in ADay()[..^1]) c.ApplyTo(second);
        Assert.That(second.ComputeStateHash(), Is.Not.EqualTo(first.ComputeStateHash()));
    }

    [Test]
    public void ShouldContinueFromTheStoresCheckpointExactlyAsWithoutARestart()
    {
        var straight = NewEngine();
        var restarted = StoreBacked();
        foreach (var (a, b) in ADay().Zip(ADay()))
        {
            a.ApplyTo(straight);
            b.ApplyTo(restarted);
        }
        restarted = EngineRigs.For(restarted)!.Restart();
        Assert.That(restarted.ComputeStateHash(), Is.EqualTo(straight.ComputeStateHash()));
        Assert.That(restarted.BalancesOf(A), Is.EqualTo(straight.BalancesOf(A)));
        Assert.That(restarted.OpenHoldCount, Is.EqualTo(straight.OpenHoldCount));

        foreach (var (a, b) in TheNextDay().Zip(TheNextDay()))
        {
            a.ApplyTo(straight);
            b.ApplyTo(restarted);
            Assert.That(b.Result, Is.EqualTo(a.Result));
            Assert.That(b.EntryResults.Take(b.EntryCount), Is.EqualTo(a.EntryResults.Take(a.EntryCount)));
            Assert.That(b.EventSpan.ToArray(), Is.EqualTo(a.EventSpan.ToArray()));
        }
        Assert.That(restarted.ComputeStateHash(), Is.EqualTo(straight.ComputeStateHash()));
        Assert.That(restarted.StatusOf(B, "h3"), Is.EqualTo(EntryStatus.Expired), "a hold's expiry survives the restart");
    }

    [Test]
    public void ShouldRefuseACheckpointWhoseOpenHoldsDoNotAddUpToTheAccountsHeld()
    {
        var engine = StoreBacked();
        foreach (var c in ADay()) c.ApplyTo(engine);
        Expect(PostAt(At(50), Hold(B, "open", 998, 100)).ApplyTo(engine), ResultCode.Ok);
        var state = EngineRigs.For(engine)!.Store.LoadState()!;
        var accounts = state.Accounts.ToArray();
        int a = Array.FindIndex(accounts, x => x.HeldMinor > 0);
        Assert.That(a, Is.GreaterThanOrEqualTo(0), "the day leaves a hold open");
        accounts[a].HeldMinor += 1;
        accounts[a].AvailableMinor -= 1;
        var damaged = new LedgerState
        {
            RecordNumber = state.RecordNumber, LastSequence = state.LastSequence, ClockTicks = state.ClockTicks, HistoryHash = state.HistoryHash,
            Catalog = state.Catalog, Accounts = accounts, OpenHolds = state.OpenHolds,
        };
        var ex = Assert.Throws<InvariantViolationException>(() => LedgerEngine.Restore(damaged, SmallEngine));
        Assert.That(ex!.Message, Does.Contain("open holds hold"));
    }

    /// <summary>An engine with an entry store behind it, whatever the fixture's mode (a restart needs the store's checkpoint).</summary>
    private static LedgerEngine StoreBacked()
    {
        var mode = EngineRigs.Mode;
        if (mode == CacheMode.Tiny) return NewEngine();
        EngineRigs.Mode = CacheMode.Tiny;
        try
        {
            return NewEngine();
        }
        finally
        {
            EngineRigs.Mode = mode;
        }
    }

    [Test]
    public void ShouldReplayOnlyTheJournaledCommandsToTheSameState()
    {
        // What the host journals: commands with ChangedState, carrying the time they were applied at.
        var live = NewEngine();
        var journaled = new List<LedgerCommand>();
        foreach (var c in ADay().Concat(TheNextDay()))
        {
            c.ApplyTo(live);
            if (c.ChangedState) journaled.Add(c);
        }
        Assert.That(journaled.Count, Is.LessThan(ADay().Length + TheNextDay().Length), "some commands changed nothing");
        var replica = NewEngine();
        foreach (var c in journaled) c.ApplyTo(replica);
        Assert.That(replica.ComputeStateHash(), Is.EqualTo(live.ComputeStateHash()));
    }
}
