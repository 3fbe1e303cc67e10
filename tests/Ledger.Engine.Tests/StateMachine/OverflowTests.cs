using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Testing;
using NUnit.Framework;
using static Ledger.Engine.Tests.StateMachine.LedgerKit;
using static Ledger.Testing.Commands;

namespace Ledger.Engine.Tests.StateMachine;

/// <summary>docs/contract.md section 1: all arithmetic is checked; an overflow is a 422, never a wrap.</summary>
public class OverflowTests(CacheMode mode) : EngineFixture(mode)
{
    private const long Max = LedgerEngine.BalanceMaxMinor;

    [TestCase(Max, 1L, TestName = "ShouldDeclineACreditThatWouldOverflow(one past the balance maximum)")]
    [TestCase(1L, long.MaxValue, TestName = "ShouldDeclineACreditThatWouldOverflow(long.MaxValue onto 1: would wrap negative)")]
    [TestCase(Max - 10, 11L, TestName = "ShouldDeclineACreditThatWouldOverflow(just past)")]
    [TestCase(Max, long.MaxValue, TestName = "ShouldDeclineACreditThatWouldOverflow(both huge)")]
    public void ShouldDeclineACreditThatWouldOverflow(long start, long credit)
    {
        var engine = Funded(start);
        var declined = Expect(Post(Posting(A, "c1", 201, credit)).ApplyTo(engine), ResultCode.AmountOverflow);
        Assert.That(declined.Result.EntryIndex, Is.Zero);
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(start, 0)));
    }

    [Test]
    public void ShouldCreditUpToExactlyTheBalanceMaximum()
    {
        var engine = Funded(Max - 10);
        Expect(Post(Posting(A, "c1", 201, 10)).ApplyTo(engine), ResultCode.Ok);
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(Max, 0)));
    }

    [Test]
    public void ShouldCountHeldFundsTowardsTheMaximum()
    {
        var engine = Funded(Max);
        Expect(Post(Hold(A, "h1", 998, 1_000)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Posting(A, "c1", 201, 1)).ApplyTo(engine), ResultCode.AmountOverflow);
        Expect(Post(Unblock(A, "u1", "h1")).ApplyTo(engine), ResultCode.Ok);
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(Max, 0)), "releasing a hold can never overflow");
    }

    [Test]
    public void ShouldDeclineADebitFromAnOverdrawnAccountThatWouldWrap()
    {
        var engine = Funded(0, overdraft: 500);
        Expect(Post(Posting(A, "fee1", 700, 5)).ApplyTo(engine), ResultCode.Ok);
        var declined = Post(Posting(A, "fee2", 700, long.MaxValue)).ApplyTo(engine);
        Assert.That(declined.Result.Code, Is.EqualTo(ResultCode.AmountOverflow).Or.EqualTo(ResultCode.InsufficientFunds));
        Assert.That(declined.Result.Code.IsLedgerDecline(), Is.True);
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(-5, 0)));
    }

    [Test]
    public void ShouldDeclineAHugeHoldWithoutWrapping()
    {
        var engine = Funded(1_000);
        Expect(Post(Hold(A, "h1", 200, long.MaxValue)).ApplyTo(engine), ResultCode.InsufficientFunds);
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(1_000, 0)));
    }

    [Test]
    public void ShouldDeclineABatchWhoseSumOverflows()
    {
        var engine = Funded(0);
        var declined = Expect(Post(
            Posting(A, "c1", 201, Max / 2 + 1),
            Posting(A, "c2", 201, Max / 2 + 1)).ApplyTo(engine), ResultCode.AmountOverflow);
        Assert.That(declined.Result.EntryIndex, Is.EqualTo(1));
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(0, 0)));
    }

    [Test]
    public void ShouldDeclineAReversalThatWouldOverflow()
    {
        var engine = Funded(Max);
        Expect(Post(Posting(A, "p1", 200, 10)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Posting(A, "c1", 201, 10)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Reverse(A, "r1", "p1")).ApplyTo(engine), ResultCode.AmountOverflow);
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(Max, 0)));
    }
}
