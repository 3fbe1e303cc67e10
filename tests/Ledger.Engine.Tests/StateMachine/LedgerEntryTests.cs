using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Testing;
using NUnit.Framework;
using static Ledger.Engine.Tests.StateMachine.LedgerKit;
using static Ledger.Testing.Commands;

namespace Ledger.Engine.Tests.StateMachine;

/// <summary>docs/contract.md section 2, row "ledger": debit lowers AVAILABLE (insufficient funds: 422), credit raises it; POSTED.</summary>
public class LedgerEntryTests(CacheMode mode) : EngineFixture(mode)
{
    [TestCase(100, 500L, 1_500L, TestName = "ShouldApplyByTheCodesDirection(100 cash deposit credits)")]
    [TestCase(201, 500L, 1_500L, TestName = "ShouldApplyByTheCodesDirection(201 transfer in credits)")]
    [TestCase(999, 500L, 1_500L, TestName = "ShouldApplyByTheCodesDirection(999 card refund credits)")]
    [TestCase(200, 400L, 600L, TestName = "ShouldApplyByTheCodesDirection(200 transfer out debits)")]
    [TestCase(998, 400L, 600L, TestName = "ShouldApplyByTheCodesDirection(998 POS purchase debits)")]
    [TestCase(700, 400L, 600L, TestName = "ShouldApplyByTheCodesDirection(700 fee debits)")]
    [TestCase(998, 1_000L, 0L, TestName = "ShouldApplyByTheCodesDirection(998 may spend all that is available)")]
    public void ShouldApplyByTheCodesDirection(int code, long amount, long availableAfter)
    {
        var engine = Funded(1_000);
        var post = Expect(Post(Posting(A, "e1", code, amount)).ApplyTo(engine), ResultCode.Ok);
        var r = post.EntryResults[0];
        Assert.That(r.Status, Is.EqualTo(EntryStatus.Posted));
        Assert.That(r.EntryType, Is.EqualTo(code));
        Assert.That(r.AmountMinor, Is.EqualTo(amount));
        Assert.That(r.Currency, Is.EqualTo(Usd));
        Assert.That(r.Account, Is.EqualTo(A));
        Assert.That(r.BalancesAfter, Is.EqualTo(new Balances(availableAfter, 0)));
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(availableAfter, 0)));
        Assert.That(engine.StatusOf(A, "e1"), Is.EqualTo(EntryStatus.Posted));
    }

    [TestCase(998, 1_001L)]
    [TestCase(200, 1_001L)]
    [TestCase(200, long.MaxValue)]
    public void ShouldDeclineDebitBeyondAvailable(int code, long amount)
    {
        var engine = Funded(1_000);
        long sequence = engine.LastSequence;
        var declined = Expect(Post(Posting(A, "e1", code, amount)).ApplyTo(engine), ResultCode.InsufficientFunds);
        Assert.That(declined.Result.EntryIndex, Is.Zero);
        Assert.That(declined.ChangedState, Is.True, "a ledger decline is remembered, so it is journaled");
        AssertUnchanged(engine, 0, sequence, declined);
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(1_000, 0)));
        Assert.That(engine.StatusOf(A, "e1"), Is.EqualTo(EntryStatus.None), "a decline is not an entry");
    }

    [TestCase(300L, ResultCode.InsufficientFunds, 200L)]
    [TestCase(200L, ResultCode.Ok, 0L)]
    public void ShouldCountHoldsAgainstAvailable(long debit, ResultCode expected, long availableAfter)
    {
        var engine = Funded(1_000);
        Expect(Post(Hold(A, "h1", 998, 800)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Posting(A, "e1", 998, debit)).ApplyTo(engine), expected);
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(availableAfter, 800)));
    }

    [TestCase(500L, 100L, 600L, ResultCode.Ok, -500L, TestName = "ShouldLetFeeOverdrawOnlyWithinTheLimit(down to exactly -limit)")]
    [TestCase(500L, 100L, 601L, ResultCode.InsufficientFunds, 100L, TestName = "ShouldLetFeeOverdrawOnlyWithinTheLimit(one minor unit beyond)")]
    [TestCase(0L, 100L, 101L, ResultCode.InsufficientFunds, 100L, TestName = "ShouldLetFeeOverdrawOnlyWithinTheLimit(no limit, no overdraft)")]
    [TestCase(500L, 0L, 500L, ResultCode.Ok, -500L, TestName = "ShouldLetFeeOverdrawOnlyWithinTheLimit(from zero)")]
    public void ShouldLetFeeOverdrawOnlyWithinTheLimit(long overdraft, long deposit, long fee, ResultCode expected, long availableAfter)
    {
        var engine = Funded(deposit, overdraft);
        Expect(Post(Posting(A, "fee1", 700, fee)).ApplyTo(engine), expected);
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(availableAfter, 0)));
    }

    [Test]
    public void ShouldStopFeesOnceTheOverdraftIsUsedUp()
    {
        var engine = Funded(0, overdraft: 500);
        Expect(Post(Posting(A, "fee1", 700, 300)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Posting(A, "fee2", 700, 200)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Posting(A, "fee3", 700, 1)).ApplyTo(engine), ResultCode.InsufficientFunds);
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(-500, 0)));
    }

    [TestCase(200)]
    [TestCase(998)]
    public void ShouldNotOverdrawWithACodeThatMayNot(int code)
    {
        var engine = Funded(0, overdraft: 500);
        Expect(Post(Posting(A, "e1", code, 1)).ApplyTo(engine), ResultCode.InsufficientFunds);
        Expect(Post(Hold(A, "h1", code, 1)).ApplyTo(engine), ResultCode.InsufficientFunds);
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(0, 0)));
    }

    [Test]
    public void ShouldNotLetANonOverdrawCodeSpendFromAnOverdrawnAccount()
    {
        var engine = Funded(0, overdraft: 500);
        Expect(Post(Posting(A, "fee1", 700, 100)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Posting(A, "d1", 100, 150)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Posting(A, "e1", 998, 51)).ApplyTo(engine), ResultCode.InsufficientFunds);
        Expect(Post(Posting(A, "e2", 998, 50)).ApplyTo(engine), ResultCode.Ok);
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(0, 0)));
    }

    [TestCase(555)]
    [TestCase(0)]
    [TestCase(9_999)]
    public void ShouldDeclineAnUnknownHistoryCode(int code)
    {
        var engine = Funded(1_000);
        var declined = Expect(Post(Posting(A, "e1", code, 10)).ApplyTo(engine), ResultCode.UnknownHistoryCode);
        Assert.That(declined.Result.EntryIndex, Is.Zero);
        Assert.That(declined.Result.Rule, Is.Null);
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(1_000, 0)));
    }
}
