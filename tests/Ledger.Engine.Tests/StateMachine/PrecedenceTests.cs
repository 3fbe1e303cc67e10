using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Testing;
using NUnit.Framework;
using static Ledger.Engine.Tests.StateMachine.LedgerKit;
using static Ledger.Testing.Commands;

namespace Ledger.Engine.Tests.StateMachine;

/// <summary>
/// The precedence documented on <see cref="ResultCode"/>: when a follow-up entry fails two checks, the one earlier in
/// that list decides. Each row fails both checks it names; the reference model (<c>ReferenceLedger</c>) follows the
/// same list, and the model property tests hold the engine to it on random workloads.
/// </summary>
public class PrecedenceTests(CacheMode mode) : EngineFixture(mode)
{
    [TestCase("mismatch-and-reversed", ResultCode.ReferenceMismatch, TestName = "ReferenceMismatchShouldComeBeforeAlreadyReversed")]
    [TestCase("not-reversible-foreign", ResultCode.NotReversible, TestName = "NotReversibleShouldComeBeforeCurrencyMismatch")]
    [TestCase("reversed-foreign", ResultCode.CurrencyMismatch, TestName = "CurrencyMismatchShouldComeBeforeAlreadyReversed")]
    [TestCase("released-foreign", ResultCode.EntryNotPending, TestName = "EntryNotPendingShouldComeBeforeCurrencyMismatch")]
    [TestCase("foreign-too-much", ResultCode.CurrencyMismatch, TestName = "CurrencyMismatchShouldComeBeforeUnblockExceedsHeld")]
    public void TheEarlierCheckShouldDecide(string situation, ResultCode expected)
    {
        var engine = Funded(1_000);
        Expect(Post(Posting(A, "p1", 998, 400), Hold(A, "h1", 998, 100)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Reverse(A, "r1", "p1")).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Unblock(A, "u1", "h1")).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Hold(A, "h2", 998, 50)).ApplyTo(engine), ResultCode.Ok);
        var entry = situation switch
        {
            "mismatch-and-reversed" => With(Reverse(A, "x", "p1"), entryType: 100),
            "not-reversible-foreign" => With(Reverse(A, "x", "r1"), currency: Eur),
            "reversed-foreign" => With(Reverse(A, "x", "p1"), currency: Eur),
            "released-foreign" => With(Unblock(A, "x", "h1"), currency: Eur),
            "foreign-too-much" => With(Unblock(A, "x", "h2", 60), currency: Eur),
            _ => throw new ArgumentOutOfRangeException(nameof(situation)),
        };
        var before = engine.BalancesOf(A);
        Expect(Post(entry).ApplyTo(engine), expected);
        Assert.That(engine.BalancesOf(A), Is.EqualTo(before), "a decline changes nothing");
    }

    private static EntryRequest With(EntryRequest e, int? entryType = null, CurrencyCode? currency = null)
    {
        if (entryType is { } type) e.EntryType = type;
        if (currency is { } code) e.Currency = code;
        return e;
    }
}
