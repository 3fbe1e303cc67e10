using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using Ledger.Testing;
using NUnit.Framework;
using static Ledger.Engine.Tests.StateMachine.LedgerKit;
using static Ledger.Testing.Commands;

namespace Ledger.Engine.Tests.StateMachine;

/// <summary>docs/contract.md section 2: row "removal" and <c>DELETE …/entries?correlationId=</c> (RemoveEntry): a PENDING entry becomes REMOVED.</summary>
public class RemovalTests(CacheMode mode) : EngineFixture(mode)
{
    [Test]
    public void ShouldRemoveAPendingHoldAnsweringRemoved()
    {
        var engine = Funded(1_000);
        var hold = Expect(Post(Hold(A, "h1", 998, 300)).ApplyTo(engine), ResultCode.Ok);
        var removal = Expect(Post(Remove(A, "x1", "h1")).ApplyTo(engine), ResultCode.Ok);
        var r = removal.EntryResults[0];
        Assert.That(r.Status, Is.EqualTo(EntryStatus.Removed));
        Assert.That(r.AmountMinor, Is.EqualTo(300));
        Assert.That(r.EntryType, Is.EqualTo(998));
        Assert.That(r.BalancesAfter, Is.EqualTo(new Balances(1_000, 0)));
        Assert.That(engine.StatusOf(A, "h1"), Is.EqualTo(EntryStatus.Removed), "the removed entry reads REMOVED from then on");

        var events = EventsOf(removal);
        Assert.That(events.Select(e => e.Kind), Is.EqualTo(new[] { LedgerEventKind.EntryApplied, LedgerEventKind.EntryStatusChanged }));
        Assert.That(events[0].EntryKind, Is.EqualTo(EntryKind.Removal));
        Assert.That(events[0].ReferenceSequence, Is.EqualTo(hold.EntryResults[0].Sequence));
        Assert.That(events[1].Sequence, Is.EqualTo(hold.EntryResults[0].Sequence));
        Assert.That(events[1].Status, Is.EqualTo(EntryStatus.Removed));
        Assert.That(events[1].CausedBySequence, Is.EqualTo(r.Sequence));
    }

    [Test]
    public void ShouldRemoveWhatRemainsOfAPartlyUnblockedHold()
    {
        var engine = Funded(1_000);
        Expect(Post(Hold(A, "h1", 998, 500)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Unblock(A, "u1", "h1", 200)).ApplyTo(engine), ResultCode.Ok);
        var removal = Expect(Post(Remove(A, "x1", "h1")).ApplyTo(engine), ResultCode.Ok);
        Assert.That(removal.EntryResults[0].AmountMinor, Is.EqualTo(300));
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(1_000, 0)));
    }

    [Test]
    public void ShouldDeclineRemovingAPostedEntry()
    {
        var engine = Funded(1_000);
        Expect(Post(Posting(A, "p1", 998, 100)).ApplyTo(engine), ResultCode.Ok);
        var declined = Expect(Post(Remove(A, "x1", "p1")).ApplyTo(engine), ResultCode.EntryNotPending);
        Assert.That(declined.Result.EntryIndex, Is.Zero);
        Assert.That(engine.StatusOf(A, "p1"), Is.EqualTo(EntryStatus.Posted));
    }

    [Test]
    public void ShouldDeclineRemovingAnUnknownEntry()
    {
        var engine = Funded(1_000);
        Expect(Post(Remove(A, "x1", "nope")).ApplyTo(engine), ResultCode.ReferenceNotFound);
    }

    // ---- DELETE ----

    [Test]
    public void ShouldDeleteAPendingHold()
    {
        var engine = Funded(1_000);
        var hold = Expect(Post(Hold(A, "h1", 998, 300)).ApplyTo(engine), ResultCode.Ok);
        long sequence = engine.LastSequence;
        var delete = Expect(Delete(A, "h1").ApplyTo(engine), ResultCode.Ok);
        Assert.That(delete.ChangedState, Is.True);
        Assert.That(delete.EntryResults[0].Status, Is.EqualTo(EntryStatus.Removed));
        Assert.That(delete.EntryResults[0].Sequence, Is.EqualTo(hold.EntryResults[0].Sequence), "DELETE creates no entry");
        Assert.That(delete.EntryResults[0].BalancesAfter, Is.EqualTo(new Balances(1_000, 0)));
        Assert.That(engine.LastSequence, Is.EqualTo(sequence));
        Assert.That(engine.StatusOf(A, "h1"), Is.EqualTo(EntryStatus.Removed));
        var e = delete.Events[0];
        Assert.That(delete.EventCount, Is.EqualTo(1));
        Assert.That(e.Kind, Is.EqualTo(LedgerEventKind.EntryStatusChanged));
        Assert.That(e.Status, Is.EqualTo(EntryStatus.Removed));
        Assert.That(e.CausedBySequence, Is.Zero);
        Assert.That(e.AmountMinor, Is.EqualTo(300));
    }

    [TestCase("nope", ResultCode.EntryNotFound, TestName = "ShouldRefuseDeleting(an unknown correlation id: 404)")]
    [TestCase("declined", ResultCode.EntryNotFound, TestName = "ShouldRefuseDeleting(a declined entry: 404)")]
    [TestCase("posted", ResultCode.EntryNotPending, TestName = "ShouldRefuseDeleting(a posted entry: 409)")]
    [TestCase("released", ResultCode.EntryNotPending, TestName = "ShouldRefuseDeleting(a released hold: 409)")]
    [TestCase("removed", ResultCode.EntryNotPending, TestName = "ShouldRefuseDeleting(an already removed hold: 409)")]
    [TestCase("expired", ResultCode.EntryNotPending, TestName = "ShouldRefuseDeleting(an expired hold: 409)")]
    [TestCase("bad id!", ResultCode.InvalidCommand, TestName = "ShouldRefuseDeleting(a malformed correlation id: 400)")]
    public void ShouldRefuseDeleting(string correlationId, ResultCode expected)
    {
        var engine = Funded(1_000);
        Expect(Post(Posting(A, "posted", 998, 100)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Posting(A, "declined", 998, 100_000)).ApplyTo(engine), ResultCode.InsufficientFunds);
        Expect(Post(Hold(A, "released", 998, 100), Hold(A, "removed", 998, 100), Hold(A, "expired", 998, 100, expiresAt: At(5))).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Unblock(A, "u1", "released")).ApplyTo(engine), ResultCode.Ok);
        Expect(Delete(A, "removed").ApplyTo(engine), ResultCode.Ok);
        Expect(Tick(At(6)).ApplyTo(engine), ResultCode.Ok);
        ulong hash = engine.ComputeStateHash();
        var before = engine.BalancesOf(A);

        var delete = Expect(Delete(A, correlationId, At(7)).ApplyTo(engine), expected);
        Assert.That(delete.ChangedState, Is.False, "a refused DELETE is not journaled");
        Assert.That(engine.ComputeStateHash(), Is.EqualTo(hash), "and not remembered");
        Assert.That(engine.BalancesOf(A), Is.EqualTo(before));
    }

    [Test]
    public void ShouldRefuseDeletingOnAnUnknownAccount()
    {
        var engine = Funded(1_000);
        Expect(Delete(Unknown, "h1").ApplyTo(engine), ResultCode.AccountNotFound);
    }

    [Test]
    public void ShouldRefuseDeletingAHoldOutsideThePartnersDomains()
    {
        var engine = Funded(1_000);
        Expect(Post(Hold(A, "h1", 200, 300)).ApplyTo(engine), ResultCode.Ok);
        Expect(Delete(A, "h1").Permitting("cards").ApplyTo(engine), ResultCode.DomainNotPermitted);
        Assert.That(engine.StatusOf(A, "h1"), Is.EqualTo(EntryStatus.Pending));
        Expect(Delete(A, "h1").Permitting("transfers").ApplyTo(engine), ResultCode.Ok);
    }

    [Test]
    public void ShouldAnswerDomainBeforeStatusSoOtherDomainsCannotBeProbed()
    {
        var engine = Funded(1_000);
        Expect(Post(Hold(A, "h1", 200, 300)).ApplyTo(engine), ResultCode.Ok);
        Expect(Delete(A, "h1").ApplyTo(engine), ResultCode.Ok);
        Expect(Delete(A, "h1").Permitting("cards").ApplyTo(engine), ResultCode.DomainNotPermitted);
        Expect(Delete(A, "h1").Permitting("transfers").ApplyTo(engine), ResultCode.EntryNotPending);
    }

    [Test]
    public void ShouldNotUnblockADeletedHold()
    {
        var engine = Funded(1_000);
        Expect(Post(Hold(A, "h1", 998, 300)).ApplyTo(engine), ResultCode.Ok);
        Expect(Delete(A, "h1").ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Unblock(A, "u1", "h1")).ApplyTo(engine), ResultCode.EntryNotPending);
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(1_000, 0)));
    }
}
