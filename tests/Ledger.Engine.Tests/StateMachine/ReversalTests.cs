using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using Ledger.Testing;
using NUnit.Framework;
using static Ledger.Engine.Tests.StateMachine.LedgerKit;
using static Ledger.Testing.Commands;

namespace Ledger.Engine.Tests.StateMachine;

/// <summary>docs/contract.md section 2, row "reversal": the opposite effect of a POSTED ledger entry, at most once, itself not reversible.</summary>
public class ReversalTests(CacheMode mode) : EngineFixture(mode)
{
    [Test]
    public void ShouldReverseADebitTakingTheOriginalsTypeAmountAndCurrency()
    {
        var engine = Funded(1_000);
        var purchase = Expect(Post(Posting(A, "p1", 998, 400)).ApplyTo(engine), ResultCode.Ok);
        var reversal = Expect(Post(Reverse(A, "r1", "p1")).ApplyTo(engine), ResultCode.Ok);
        var r = reversal.EntryResults[0];
        Assert.That(r.Status, Is.EqualTo(EntryStatus.Posted));
        Assert.That(r.EntryType, Is.EqualTo(998));
        Assert.That(r.AmountMinor, Is.EqualTo(400));
        Assert.That(r.Currency, Is.EqualTo(Usd));
        Assert.That(r.BalancesAfter, Is.EqualTo(new Balances(1_000, 0)));
        Assert.That(engine.StatusOf(A, "p1"), Is.EqualTo(EntryStatus.Posted), "the original stays POSTED");

        var changed = EventsOf(reversal).Single(e => e.Kind == LedgerEventKind.EntryStatusChanged);
        Assert.That(changed.Sequence, Is.EqualTo(purchase.EntryResults[0].Sequence));
        Assert.That(changed.CausedBySequence, Is.EqualTo(r.Sequence), "reads show reversedBy");
        Assert.That(changed.Status, Is.EqualTo(EntryStatus.Posted));
        Assert.That(changed.AmountMinor, Is.EqualTo(400), "ENTRY_REVERSED carries the reversed entry's amount (issue 18), as ledger-event.v2.avsc says");
    }

    [Test]
    public void ShouldReverseACreditByDebitingIt()
    {
        var engine = Funded(1_000);
        Expect(Post(Posting(A, "c1", 201, 300)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Reverse(A, "r1", "c1")).ApplyTo(engine), ResultCode.Ok);
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(1_000, 0)));
    }

    [Test]
    public void ShouldDeclineReversingACreditAlreadySpent()
    {
        var engine = Funded(1_000);
        Expect(Post(Posting(A, "p1", 998, 800)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Reverse(A, "r1", "fund")).ApplyTo(engine), ResultCode.InsufficientFunds);
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(200, 0)));
    }

    [Test]
    public void ShouldReverseAnEntryAtMostOnce()
    {
        var engine = Funded(1_000);
        Expect(Post(Posting(A, "p1", 998, 400)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Reverse(A, "r1", "p1")).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Reverse(A, "r2", "p1")).ApplyTo(engine), ResultCode.AlreadyReversed);
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(1_000, 0)));
    }

    [Test]
    public void ShouldDeclineTwoReversalsOfOneEntryInOneBatch()
    {
        var engine = Funded(1_000);
        Expect(Post(Posting(A, "p1", 998, 400)).ApplyTo(engine), ResultCode.Ok);
        var declined = Expect(Post(Reverse(A, "r1", "p1"), Reverse(A, "r2", "p1")).ApplyTo(engine), ResultCode.AlreadyReversed);
        Assert.That(declined.Result.EntryIndex, Is.EqualTo(1));
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(600, 0)));
    }

    [TestCase("reversal", TestName = "ShouldNotReverse(a reversal)")]
    [TestCase("hold", TestName = "ShouldNotReverse(a hold)")]
    [TestCase("unblocking", TestName = "ShouldNotReverse(an unblocking)")]
    [TestCase("removal", TestName = "ShouldNotReverse(a removal)")]
    public void ShouldNotReverse(string what)
    {
        var engine = Funded(1_000);
        Expect(Post(Posting(A, "p1", 998, 100)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Reverse(A, "reversal", "p1")).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Hold(A, "hold", 998, 100)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Hold(A, "h2", 998, 100)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Unblock(A, "unblocking", "h2", 50)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Hold(A, "h3", 998, 100)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Remove(A, "removal", "h3")).ApplyTo(engine), ResultCode.Ok);
        var before = engine.BalancesOf(A);

        Expect(Post(Reverse(A, "x1", what)).ApplyTo(engine), ResultCode.NotReversible);
        Assert.That(engine.BalancesOf(A), Is.EqualTo(before));
    }

    [Test]
    public void ShouldDeclineReversingAnUnknownOrDeclinedEntry()
    {
        var engine = Funded(100);
        Expect(Post(Posting(A, "big", 998, 500)).ApplyTo(engine), ResultCode.InsufficientFunds);
        Expect(Post(Reverse(A, "r1", "nope")).ApplyTo(engine), ResultCode.ReferenceNotFound);
        Expect(Post(Reverse(A, "r2", "big")).ApplyTo(engine), ResultCode.ReferenceNotFound);
    }

    [Test]
    public void ShouldDeclineReversingAnEntryOfTheSameBatch()
    {
        // References resolve against the ledger as it stood before the batch.
        var engine = Funded(1_000);
        var declined = Expect(Post(Posting(A, "p1", 998, 100), Reverse(A, "r1", "p1")).ApplyTo(engine), ResultCode.ReferenceNotFound);
        Assert.That(declined.Result.EntryIndex, Is.EqualTo(1));
    }
}
