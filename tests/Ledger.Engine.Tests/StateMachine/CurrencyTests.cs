using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Testing;
using NUnit.Framework;
using static Ledger.Engine.Tests.StateMachine.LedgerKit;
using static Ledger.Testing.Commands;

namespace Ledger.Engine.Tests.StateMachine;

/// <summary>docs/contract.md section 1: one ISO-4217 asset per account; amounts are minor units of its scale; no mixing.</summary>
public class CurrencyTests(CacheMode mode) : EngineFixture(mode)
{
    [TestCase("USD", 2)]
    [TestCase("EUR", 2)]
    [TestCase("JPY", 0)]
    [TestCase("KRW", 0)]
    [TestCase("BHD", 3)]
    [TestCase("KWD", 3)]
    [TestCase("CLF", 4)]
    public void ShouldKnowTheMinorUnitScale(string code, int scale)
    {
        Assert.That(CurrencyCode.Parse(code).Scale, Is.EqualTo(scale));
        Assert.That(CurrencyCode.Parse(code).ToString(), Is.EqualTo(code));
    }

    [TestCase("usd")]
    [TestCase("XYZ")]
    [TestCase("US")]
    [TestCase("USDX")]
    [TestCase("")]
    [TestCase("U$D")]
    public void ShouldRejectTextThatIsNotAKnownIsoCode(string text)
    {
        Assert.That(CurrencyCode.TryParse(text, out var code), Is.False);
        Assert.That(code.IsNone, Is.True);
        Assert.Throws<FormatException>(() => CurrencyCode.Parse(text));
    }

    [TestCase("JPY", 500L, TestName = "ShouldHoldAmountsInTheCurrencysMinorUnits(JPY 500 = 500 yen)")]
    [TestCase("BHD", 1_234L, TestName = "ShouldHoldAmountsInTheCurrencysMinorUnits(BHD 1.234 = 1234 fils)")]
    [TestCase("USD", 1_234L, TestName = "ShouldHoldAmountsInTheCurrencysMinorUnits(USD 12.34 = 1234 cents)")]
    public void ShouldHoldAmountsInTheCurrencysMinorUnits(string code, long amountMinor)
    {
        var currency = CurrencyCode.Parse(code);
        var engine = NewEngine();
        Expect(Open(A, currency).ApplyTo(engine), ResultCode.Ok);
        var deposit = Expect(Post(Posting(A, "d1", 100, amountMinor, currency)).ApplyTo(engine), ResultCode.Ok);
        Assert.That(deposit.EntryResults[0].Currency, Is.EqualTo(currency));
        Assert.That(deposit.EntryResults[0].AmountMinor, Is.EqualTo(amountMinor));
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(amountMinor, 0)));
    }

    [TestCase(EntryKind.Ledger, 100, "EUR")]
    [TestCase(EntryKind.Ledger, 998, "JPY")]
    [TestCase(EntryKind.Blocking, 998, "BHD")]
    public void ShouldDeclineEntryInAnotherCurrency(EntryKind kind, int code, string currency)
    {
        var engine = Funded(10_000);
        long sequence = engine.LastSequence;
        var entry = kind == EntryKind.Ledger
            ? Posting(A, "x1", code, 100, CurrencyCode.Parse(currency))
            : Hold(A, "x1", code, 100, currency: CurrencyCode.Parse(currency));
        var declined = Expect(Post(entry).ApplyTo(engine), ResultCode.CurrencyMismatch);
        Assert.That(declined.Result.EntryIndex, Is.Zero);
        AssertUnchanged(engine, 0, sequence, declined);
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(10_000, 0)));
    }

    [Test]
    public void ShouldDeclineUnblockNamingAnotherCurrency()
    {
        var engine = Funded(10_000);
        Expect(Post(Hold(A, "h1", 998, 1_000)).ApplyTo(engine), ResultCode.Ok);
        var unblock = Unblock(A, "u1", "h1", 100);
        unblock.Currency = Eur;
        Expect(Post(unblock).ApplyTo(engine), ResultCode.CurrencyMismatch);
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(9_000, 1_000)));
    }
}
