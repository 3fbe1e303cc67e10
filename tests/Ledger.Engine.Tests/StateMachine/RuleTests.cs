using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Testing;
using NUnit.Framework;
using static Ledger.Engine.Tests.StateMachine.LedgerKit;
using static Ledger.Testing.Commands;

namespace Ledger.Engine.Tests.StateMachine;

/// <summary>docs/contract.md section 1: history codes and their rules; a rule that declines is a 422 naming the rule.</summary>
public class RuleTests(CacheMode mode) : EngineFixture(mode)
{
    [TestCase(998, 1_000_001L)]
    [TestCase(999, 1_000_001L)]
    [TestCase(998, long.MaxValue)]
    public void ShouldDeclineAboveMaxAmountNamingTheRule(int code, long amount)
    {
        var engine = Funded(5_000_000);
        var declined = Expect(Post(Posting(A, "e1", code, amount)).ApplyTo(engine), ResultCode.RuleDeclined);
        Assert.That(declined.Result.Rule, Is.EqualTo("maxAmount"));
        Assert.That(declined.Result.EntryIndex, Is.Zero);
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(5_000_000, 0)));
    }

    [TestCase(998)]
    [TestCase(999)]
    public void ShouldAllowExactlyTheMaxAmount(int code)
    {
        var engine = Funded(5_000_000);
        Expect(Post(Posting(A, "e1", code, 1_000_000)).ApplyTo(engine), ResultCode.Ok);
    }

    [Test]
    public void ShouldDeclineAHoldAboveMaxAmount()
    {
        var engine = Funded(5_000_000);
        var declined = Expect(Post(Hold(A, "h1", 998, 1_000_001)).ApplyTo(engine), ResultCode.RuleDeclined);
        Assert.That(declined.Result.Rule, Is.EqualTo("maxAmount"));
    }

    [TestCase(100, TestName = "ShouldDeclineAKindTheCodeDoesNotAllow(100 cash deposit: no blocking)")]
    [TestCase(201, TestName = "ShouldDeclineAKindTheCodeDoesNotAllow(201 transfer in: no blocking)")]
    [TestCase(700, TestName = "ShouldDeclineAKindTheCodeDoesNotAllow(700 fee: no blocking)")]
    [TestCase(999, TestName = "ShouldDeclineAKindTheCodeDoesNotAllow(999 card refund: no blocking)")]
    public void ShouldDeclineAKindTheCodeDoesNotAllow(int code)
    {
        var engine = Funded(5_000);
        var declined = Expect(Post(Hold(A, "h1", code, 10)).ApplyTo(engine), ResultCode.RuleDeclined);
        Assert.That(declined.Result.Rule, Is.EqualTo("allowedKinds"));
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(5_000, 0)));
    }

    [TestCase(998)]
    [TestCase(200)]
    public void ShouldAllowHoldsWhereTheCodeAllowsBlocking(int code)
    {
        var engine = Funded(5_000);
        Expect(Post(Hold(A, "h1", code, 10)).ApplyTo(engine), ResultCode.Ok);
    }

    // Precedence (ResultCode's documented order): unknown code, allowedKinds, currency, the code's rules, overflow, funds.
    [TestCase(EntryKind.Blocking, 555, 2_000_000L, "EUR", ResultCode.UnknownHistoryCode, null,
        TestName = "ShouldDeclineByPrecedence(unknown code before everything)")]
    [TestCase(EntryKind.Blocking, 100, 2_000_000L, "EUR", ResultCode.RuleDeclined, "allowedKinds",
        TestName = "ShouldDeclineByPrecedence(allowedKinds before currency)")]
    [TestCase(EntryKind.Ledger, 998, 2_000_000L, "EUR", ResultCode.CurrencyMismatch, null,
        TestName = "ShouldDeclineByPrecedence(currency before maxAmount)")]
    [TestCase(EntryKind.Ledger, 998, 2_000_000L, "USD", ResultCode.RuleDeclined, "maxAmount",
        TestName = "ShouldDeclineByPrecedence(maxAmount before insufficient funds)")]
    [TestCase(EntryKind.Ledger, 998, 1_000_000L, "USD", ResultCode.InsufficientFunds, null,
        TestName = "ShouldDeclineByPrecedence(insufficient funds last)")]
    public void ShouldDeclineByPrecedence(EntryKind kind, int code, long amount, string currency, ResultCode expected, string? rule)
    {
        var engine = Funded(10);
        var c = CurrencyCode.Parse(currency);
        var entry = kind == EntryKind.Ledger ? Posting(A, "e1", code, amount, c) : Hold(A, "e1", code, amount, currency: c);
        var declined = Expect(Post(entry).ApplyTo(engine), expected);
        Assert.That(declined.Result.Rule, Is.EqualTo(rule));
    }

    [Test]
    public void ShouldReportTheFirstFailingEntryOfABatch()
    {
        var engine = Funded(10);
        var declined = Expect(Post(
            Posting(A, "e1", 100, 5),
            Posting(A, "e2", 998, 2_000_000),
            Posting(A, "e3", 555, 1)).ApplyTo(engine), ResultCode.RuleDeclined);
        Assert.That(declined.Result.EntryIndex, Is.EqualTo(1), "entries are judged in batch order; the first failure decides");
        Assert.That(declined.Result.Rule, Is.EqualTo("maxAmount"));
    }

    /// <summary>A catalog of the tests' own, for the rules the shipped catalog does not use.</summary>
    private static LedgerEngine EngineWithRules(CurrencyCode accountCurrency)
    {
        var catalog = HistoryCatalog.Create(
        [
            new HistoryCodeDefinition(100, "Deposit", Direction.Credit, "deposits", [EntryKind.Ledger], false, []),
            new HistoryCodeDefinition(300, "Wire", Direction.Debit, "wires", [EntryKind.Ledger], false,
                [new RuleDefinition("minAmount", "100"), new RuleDefinition("currencies", "USD EUR"), new RuleDefinition("maxAmount", "500")]),
        ]);
        var engine = new LedgerEngine(catalog, SmallEngine);
        Expect(Open(A, accountCurrency).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Posting(A, "fund", 100, 10_000, accountCurrency)).ApplyTo(engine), ResultCode.Ok);
        return engine;
    }

    [TestCase("USD", 99L, ResultCode.RuleDeclined, "minAmount")]
    [TestCase("USD", 100L, ResultCode.Ok, null)]
    [TestCase("USD", 501L, ResultCode.RuleDeclined, "maxAmount")]
    [TestCase("JPY", 200L, ResultCode.RuleDeclined, "currencies")]
    [TestCase("JPY", 50L, ResultCode.RuleDeclined, "minAmount")]
    public void ShouldCheckTheCodesRulesInCatalogOrder(string currency, long amount, ResultCode expected, string? rule)
    {
        var c = CurrencyCode.Parse(currency);
        var engine = EngineWithRules(c);
        var result = Expect(Post(Posting(A, "w1", 300, amount, c)).ApplyTo(engine), expected);
        Assert.That(result.Result.Rule, Is.EqualTo(rule));
    }

    [TestCase("noSuchRule", "1")]
    [TestCase("maxAmount", "-5")]
    [TestCase("maxAmount", "ten")]
    [TestCase("currencies", "USD XYZ")]
    public void ShouldRefuseACatalogWithABadRule(string name, string parameter)
    {
        Assert.Throws<CatalogException>(() => HistoryCatalog.Create(
        [
            new HistoryCodeDefinition(300, "Wire", Direction.Debit, "wires", [EntryKind.Ledger], false, [new RuleDefinition(name, parameter)]),
        ]));
    }

    [Test]
    public void ShouldSwitchCatalogWithLoadCatalog()
    {
        var engine = Funded(1_000);
        var catalog = HistoryCatalog.Create(
        [
            new HistoryCodeDefinition(100, "Deposit", Direction.Credit, "deposits", [EntryKind.Ledger], false, []),
            new HistoryCodeDefinition(555, "New debit", Direction.Debit, "misc", [EntryKind.Ledger], false, []),
        ]);
        var load = new LedgerCommand { TimestampTicks = T0 };
        load.SetLoadCatalog(catalog);
        Expect(load.ApplyTo(engine), ResultCode.Ok);
        Assert.That(load.ChangedState, Is.True, "the catalog in force is journaled so replay uses it");
        Expect(Post(Posting(A, "e1", 555, 10)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Posting(A, "e2", 998, 10)).ApplyTo(engine), ResultCode.UnknownHistoryCode);
    }
}
