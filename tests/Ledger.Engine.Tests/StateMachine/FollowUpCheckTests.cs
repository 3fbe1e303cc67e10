using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Testing;
using NUnit.Framework;
using static Ledger.Engine.Tests.StateMachine.LedgerKit;
using static Ledger.Testing.Commands;

namespace Ledger.Engine.Tests.StateMachine;

/// <summary>
/// A follow-up (unblocking, reversal, removal) may carry entryType, currency and (reversal, removal) an amount as
/// checks against the entry it refers to: agreeing fields apply as if absent; the first that disagrees declines the
/// command with ReferenceMismatch, naming the field, with the referenced values in the failing entry's result; sticky.
/// </summary>
public class FollowUpCheckTests(CacheMode mode) : EngineFixture(mode)
{
    private static EntryRequest With(EntryRequest e, int? entryType = null, long? amount = null, CurrencyCode? currency = null)
    {
        if (entryType is { } type) e.EntryType = type;
        if (amount is { } value)
        {
            e.HasAmount = true;
            e.AmountMinor = value;
        }
        if (currency is { } code) e.Currency = code;
        return e;
    }

    [Test]
    public void FieldsThatAgreeShouldApplyAsIfAbsent()
    {
        var engine = Funded(1_000);
        Expect(Post(Posting(A, "p1", 998, 400), Hold(A, "h1", 998, 100), Hold(A, "h2", 998, 50)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(With(Reverse(A, "r1", "p1"), entryType: 998, amount: 400, currency: Usd)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(With(Unblock(A, "u1", "h1", 30), entryType: 998, currency: Usd)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(With(Remove(A, "x1", "h2"), entryType: 998, amount: 50)).ApplyTo(engine), ResultCode.Ok);
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(930, 70)));
    }

    [TestCase(100, null, ConflictFields.EntryType, TestName = "AReversalOfAnotherTypeShouldBeAMismatchOnEntryType")]
    [TestCase(998, 399L, ConflictFields.Amount, TestName = "AReversalOfAnotherAmountShouldBeAMismatchOnAmount")]
    [TestCase(int.MinValue, null, ConflictFields.EntryType, TestName = "AReversalWithANegativeTypeShouldBeAMismatch")]
    public void AReversalThatDisagreesShouldBeDeclinedAndRemembered(int entryType, long? amount, ConflictFields field)
    {
        var engine = Funded(1_000);
        Expect(Post(Posting(A, "p1", 998, 400)).ApplyTo(engine), ResultCode.Ok);
        var declined = Expect(Post(With(Reverse(A, "r1", "p1"), entryType: entryType, amount: amount)).ApplyTo(engine), ResultCode.ReferenceMismatch);
        Assert.That(declined.Result.Conflicts, Is.EqualTo(field));
        Assert.That(declined.Result.EntryIndex, Is.EqualTo(0));
        Assert.That(declined.EntryResults[0].EntryType, Is.EqualTo(998), "the referenced entry's type");
        Assert.That(declined.EntryResults[0].AmountMinor, Is.EqualTo(400), "and amount");
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(600, 0)), "nothing applied");

        var replay = Expect(Post(With(Reverse(A, "r1", "p1"), entryType: entryType, amount: amount)).ApplyTo(engine), ResultCode.ReferenceMismatch);
        Assert.That(replay.Result.Replayed, Is.True);
        Assert.That(replay.Result.Conflicts, Is.EqualTo(field));
        Assert.That(replay.EntryResults[0].EntryType, Is.EqualTo(998));
        Assert.That(replay.EntryResults[0].AmountMinor, Is.EqualTo(400));
        Expect(Post(Reverse(A, "r2", "p1")).ApplyTo(engine), ResultCode.Ok);
    }

    [Test]
    public void AnUnblockingsAmountIsThePartToReleaseNeverACheck()
    {
        var engine = Funded(1_000);
        Expect(Post(Hold(A, "h1", 998, 100)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(With(Unblock(A, "u1", "h1", 40), entryType: 998)).ApplyTo(engine), ResultCode.Ok);
        var mismatch = Expect(Post(With(Unblock(A, "u2", "h1", 10), entryType: 200)).ApplyTo(engine), ResultCode.ReferenceMismatch);
        Assert.That(mismatch.Result.Conflicts, Is.EqualTo(ConflictFields.EntryType));
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(940, 60)));
    }

    [Test]
    public void ARemovalInAnotherCurrencyShouldBeACurrencyMismatch()
    {
        var engine = Funded(1_000);
        Expect(Post(Hold(A, "h1", 998, 100)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(With(Remove(A, "x1", "h1"), currency: Eur)).ApplyTo(engine), ResultCode.CurrencyMismatch);
        Expect(Post(With(Reverse(A, "r1", "fund"), currency: Eur)).ApplyTo(engine), ResultCode.CurrencyMismatch);
    }
}
