using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using Ledger.Testing;
using NUnit.Framework;
using static Ledger.Engine.Tests.StateMachine.LedgerKit;
using static Ledger.Testing.Commands;

namespace Ledger.Engine.Tests.StateMachine;

/// <summary>docs/contract.md section 2, rows "blocking" and "unblocking": holds, their release, and their expiry by the ledger's clock.</summary>
public class HoldTests(CacheMode mode) : EngineFixture(mode)
{
    [Test]
    public void ShouldHoldByMovingAvailableToHeldAsPending()
    {
        var engine = Funded(1_000);
        var hold = Expect(Post(Hold(A, "h1", 998, 300)).ApplyTo(engine), ResultCode.Ok);
        Assert.That(hold.EntryResults[0].Status, Is.EqualTo(EntryStatus.Pending));
        Assert.That(hold.EntryResults[0].BalancesAfter, Is.EqualTo(new Balances(700, 300)));
        Assert.That(engine.StatusOf(A, "h1"), Is.EqualTo(EntryStatus.Pending));
    }

    [Test]
    public void ShouldDeclineAHoldBeyondAvailable()
    {
        var engine = Funded(1_000);
        Expect(Post(Hold(A, "h1", 998, 600)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Hold(A, "h2", 998, 401)).ApplyTo(engine), ResultCode.InsufficientFunds);
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(400, 600)));
    }

    [Test]
    public void ShouldUnblockAllThatRemainsByDefaultAndReleaseTheHold()
    {
        var engine = Funded(1_000);
        Expect(Post(Hold(A, "h1", 998, 300)).ApplyTo(engine), ResultCode.Ok);
        var unblock = Expect(Post(Unblock(A, "u1", "h1")).ApplyTo(engine), ResultCode.Ok);
        var r = unblock.EntryResults[0];
        Assert.That(r.Status, Is.EqualTo(EntryStatus.Posted));
        Assert.That(r.AmountMinor, Is.EqualTo(300));
        Assert.That(r.EntryType, Is.EqualTo(998), "an unblocking takes the hold's code");
        Assert.That(r.BalancesAfter, Is.EqualTo(new Balances(1_000, 0)));
        Assert.That(engine.StatusOf(A, "h1"), Is.EqualTo(EntryStatus.Released));
    }

    [Test]
    public void ShouldUnblockPartiallyThenFullyAndOnlyThenRelease()
    {
        var engine = Funded(1_000);
        Expect(Post(Hold(A, "h1", 998, 1_000)).ApplyTo(engine), ResultCode.Ok);

        var partial = Expect(Post(Unblock(A, "u1", "h1", 300)).ApplyTo(engine), ResultCode.Ok);
        Assert.That(partial.EntryResults[0].AmountMinor, Is.EqualTo(300));
        Assert.That(engine.StatusOf(A, "h1"), Is.EqualTo(EntryStatus.Pending), "something remains held");
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(300, 700)));

        var rest = Expect(Post(Unblock(A, "u2", "h1")).ApplyTo(engine), ResultCode.Ok);
        Assert.That(rest.EntryResults[0].AmountMinor, Is.EqualTo(700), "the default is all that remains");
        Assert.That(engine.StatusOf(A, "h1"), Is.EqualTo(EntryStatus.Released));
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(1_000, 0)));
    }

    [Test]
    public void ShouldReleaseWhenPartialUnblocksAddUpToTheHold()
    {
        var engine = Funded(1_000);
        Expect(Post(Hold(A, "h1", 998, 500)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Unblock(A, "u1", "h1", 200), Unblock(A, "u2", "h1", 300)).ApplyTo(engine), ResultCode.Ok);
        Assert.That(engine.StatusOf(A, "h1"), Is.EqualTo(EntryStatus.Released));
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(1_000, 0)));
    }

    [TestCase(0L, 501L, TestName = "ShouldDeclineUnblockingMoreThanHeld(from a full hold)")]
    [TestCase(200L, 301L, TestName = "ShouldDeclineUnblockingMoreThanHeld(more than remains after a partial unblock)")]
    public void ShouldDeclineUnblockingMoreThanHeld(long firstUnblock, long secondUnblock)
    {
        var engine = Funded(1_000);
        Expect(Post(Hold(A, "h1", 998, 500)).ApplyTo(engine), ResultCode.Ok);
        if (firstUnblock > 0) Expect(Post(Unblock(A, "u1", "h1", firstUnblock)).ApplyTo(engine), ResultCode.Ok);
        var before = engine.BalancesOf(A);
        Expect(Post(Unblock(A, "u2", "h1", secondUnblock)).ApplyTo(engine), ResultCode.UnblockExceedsHeld);
        Assert.That(engine.BalancesOf(A), Is.EqualTo(before));
        Assert.That(engine.StatusOf(A, "h1"), Is.EqualTo(EntryStatus.Pending));
    }

    [Test]
    public void ShouldDeclineTwoUnblocksInOneBatchThatTogetherExceedTheHold()
    {
        var engine = Funded(1_000);
        Expect(Post(Hold(A, "h1", 998, 500)).ApplyTo(engine), ResultCode.Ok);
        var declined = Expect(Post(Unblock(A, "u1", "h1", 300), Unblock(A, "u2", "h1", 300)).ApplyTo(engine), ResultCode.UnblockExceedsHeld);
        Assert.That(declined.Result.EntryIndex, Is.EqualTo(1));
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(500, 500)));
    }

    [TestCase(EntryKind.Unblocking)]
    [TestCase(EntryKind.Removal)]
    public void ShouldNotUnblockOrRemoveAReleasedHold(EntryKind kind)
    {
        var engine = Funded(1_000);
        Expect(Post(Hold(A, "h1", 998, 500)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Unblock(A, "u1", "h1")).ApplyTo(engine), ResultCode.Ok);
        var again = kind == EntryKind.Unblocking ? Unblock(A, "x1", "h1") : Remove(A, "x1", "h1");
        Expect(Post(again).ApplyTo(engine), ResultCode.EntryNotPending);
        Expect(Delete(A, "h1").ApplyTo(engine), ResultCode.EntryNotPending);
        Assert.That(engine.StatusOf(A, "h1"), Is.EqualTo(EntryStatus.Released));
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(1_000, 0)));
    }

    [Test]
    public void ShouldDeclineUnblockingAnUnknownHold()
    {
        var engine = Funded(1_000);
        Expect(Post(Unblock(A, "u1", "nope")).ApplyTo(engine), ResultCode.ReferenceNotFound);
    }

    [Test]
    public void ShouldDeclineUnblockingADeclinedHold()
    {
        var engine = Funded(100);
        Expect(Post(Hold(A, "h1", 998, 500)).ApplyTo(engine), ResultCode.InsufficientFunds);
        Expect(Post(Unblock(A, "u1", "h1")).ApplyTo(engine), ResultCode.ReferenceNotFound);
    }

    [Test]
    public void ShouldDeclineUnblockingALedgerEntry()
    {
        var engine = Funded(1_000);
        Expect(Post(Unblock(A, "u1", "fund")).ApplyTo(engine), ResultCode.EntryNotPending);
    }

    [Test]
    public void ShouldNotSeeAHoldOfAnotherAccount()
    {
        var engine = TwoAccounts(1_000);
        Expect(Post(Hold(A, "h1", 998, 500)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Unblock(B, "u1", "h1")).ApplyTo(engine), ResultCode.ReferenceNotFound);
    }

    // ---- expiry by the ledger's clock ----

    [TestCase("tick", TestName = "ShouldExpireTheHoldOnTheFirstCommandPastExpiresAt(a Tick)")]
    [TestCase("post on another account", TestName = "ShouldExpireTheHoldOnTheFirstCommandPastExpiresAt(a post on another account)")]
    [TestCase("refused command", TestName = "ShouldExpireTheHoldOnTheFirstCommandPastExpiresAt(even a refused command)")]
    [TestCase("tick exactly at expiresAt", TestName = "ShouldExpireTheHoldOnTheFirstCommandPastExpiresAt(a Tick exactly at expiresAt)")]
    public void ShouldExpireTheHoldOnTheFirstCommandPastExpiresAt(string trigger)
    {
        var engine = TwoAccounts(1_000);
        var hold = Expect(Post(Hold(A, "h1", 998, 400, expiresAt: At(10))).ApplyTo(engine), ResultCode.Ok);
        long holdSequence = hold.EntryResults[0].Sequence;
        Expect(Tick(At(9)).ApplyTo(engine), ResultCode.Ok);
        Assert.That(engine.StatusOf(A, "h1"), Is.EqualTo(EntryStatus.Pending), "not before expiresAt");

        var later = trigger switch
        {
            "tick" => Tick(At(11)),
            "post on another account" => PostAt(At(11), Posting(B, "d1", 100, 5)),
            "refused command" => PostAt(At(11), Posting(Unknown, "d1", 100, 5)),
            _ => Tick(At(10)),
        };
        later.ApplyTo(engine);

        Assert.That(engine.StatusOf(A, "h1"), Is.EqualTo(EntryStatus.Expired));
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(1_000, 0)));
        Assert.That(later.ChangedState, Is.True, "an expiry changes the ledger, so the command that caused it is journaled");
        var expired = EventsOf(later).Single(e => e.Kind == LedgerEventKind.EntryStatusChanged);
        Assert.That(expired.Status, Is.EqualTo(EntryStatus.Expired));
        Assert.That(expired.Sequence, Is.EqualTo(holdSequence));
        Assert.That(expired.CausedBySequence, Is.Zero, "expiry is caused by the clock, not by an entry");
        Assert.That(expired.AmountMinor, Is.EqualTo(400));
        Assert.That(expired.BalancesAfter, Is.EqualTo(new Balances(1_000, 0)));
        Assert.That(expired.Account, Is.EqualTo(A));
    }

    [Test]
    public void ShouldReleaseOnlyWhatRemainsWhenAPartlyUnblockedHoldExpires()
    {
        var engine = Funded(1_000);
        Expect(Post(Hold(A, "h1", 998, 1_000, expiresAt: At(10))).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Unblock(A, "u1", "h1", 400)).ApplyTo(engine), ResultCode.Ok);
        var tick = Tick(At(60)).ApplyTo(engine);
        Assert.That(tick.Events[0].AmountMinor, Is.EqualTo(600));
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(1_000, 0)));
        Assert.That(engine.StatusOf(A, "h1"), Is.EqualTo(EntryStatus.Expired));
    }

    [Test]
    public void ShouldNotUnblockRemoveOrDeleteAnExpiredHold()
    {
        var engine = Funded(1_000);
        Expect(Post(Hold(A, "h1", 998, 500, expiresAt: At(10))).ApplyTo(engine), ResultCode.Ok);
        Expect(PostAt(At(20), Unblock(A, "u1", "h1", 100)).ApplyTo(engine), ResultCode.EntryNotPending);
        Expect(PostAt(At(20), Remove(A, "x1", "h1")).ApplyTo(engine), ResultCode.EntryNotPending);
        Expect(Delete(A, "h1", At(20)).ApplyTo(engine), ResultCode.EntryNotPending);
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(1_000, 0)));
    }

    [Test]
    public void ShouldExpireByTheLedgersClockNotTheCommandsStamp()
    {
        var engine = Funded(1_000);
        Expect(Post(Hold(A, "h1", 998, 500, expiresAt: At(10))).ApplyTo(engine), ResultCode.Ok);
        Expect(Tick(At(11)).ApplyTo(engine), ResultCode.Ok);
        // A late-stamped command cannot bring the hold back: the clock never runs backwards.
        Expect(PostAt(At(5), Unblock(A, "u1", "h1")).ApplyTo(engine), ResultCode.EntryNotPending);
        Assert.That(engine.StatusOf(A, "h1"), Is.EqualTo(EntryStatus.Expired));
    }

    [Test]
    public void ShouldNotExpireAReleasedOrRemovedHoldAgain()
    {
        var engine = Funded(1_000);
        Expect(Post(Hold(A, "h1", 998, 200, expiresAt: At(10)), Hold(A, "h2", 998, 300, expiresAt: At(10))).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Unblock(A, "u1", "h1")).ApplyTo(engine), ResultCode.Ok);
        Expect(Delete(A, "h2").ApplyTo(engine), ResultCode.Ok);
        var tick = Tick(At(20)).ApplyTo(engine);
        Assert.That(tick.EventCount, Is.Zero);
        Assert.That(tick.ChangedState, Is.False);
        Assert.That(engine.StatusOf(A, "h1"), Is.EqualTo(EntryStatus.Released));
        Assert.That(engine.StatusOf(A, "h2"), Is.EqualTo(EntryStatus.Removed));
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(1_000, 0)));
    }

    [Test]
    public void ShouldExpireSeveralHoldsInExpiryOrder()
    {
        var engine = Funded(1_000);
        Expect(Post(Hold(A, "late", 998, 100, expiresAt: At(30))).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Hold(A, "early", 998, 200, expiresAt: At(10))).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Hold(A, "never", 998, 300)).ApplyTo(engine), ResultCode.Ok);
        var tick = Tick(At(100)).ApplyTo(engine);
        Assert.That(EventsOf(tick).Select(e => e.AmountMinor), Is.EqualTo(new[] { 200L, 100L }));
        Assert.That(EventsOf(tick).Select(e => e.BalancesAfter), Is.EqualTo(new[] { new Balances(600, 100 + 300), new Balances(700, 300) }));
        Assert.That(engine.StatusOf(A, "never"), Is.EqualTo(EntryStatus.Pending), "a hold without expiresAt stays until released");
    }

    [Test]
    public void ShouldLetAHoldExpiringAtOnceLapseOnTheNextCommand()
    {
        var engine = Funded(1_000);
        var hold = Expect(PostAt(At(10), Hold(A, "h1", 998, 100, expiresAt: At(5))).ApplyTo(engine), ResultCode.Ok);
        Assert.That(hold.EntryResults[0].Status, Is.EqualTo(EntryStatus.Pending));
        Expect(Tick(At(10)).ApplyTo(engine), ResultCode.Ok);
        Assert.That(engine.StatusOf(A, "h1"), Is.EqualTo(EntryStatus.Expired));
    }
}
