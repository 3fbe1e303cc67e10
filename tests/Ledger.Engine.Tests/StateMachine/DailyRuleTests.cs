using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Testing;
using NUnit.Framework;
using static Ledger.Engine.Tests.StateMachine.LedgerKit;
using static Ledger.Testing.Catalogs;
using static Ledger.Testing.Commands;

namespace Ledger.Engine.Tests.StateMachine;

/// <summary>
/// Issue 16: the rules a bank tunes. dailyLimit and dailyCount (a code's, or a whole domain's debits per account and UTC
/// business day by the ledger's clock), minBalanceAfter. Boundaries: exactly at the limit, the day's edge, overflow.
/// </summary>
public class DailyRuleTests(CacheMode mode) : EngineFixture(mode)
{
    private static readonly long Midnight = T0 + TimeSpan.TicksPerDay;

    /// <summary>Account A funded with 1 000 000 under the shipped catalog plus <paramref name="catalog"/> loaded at T0.</summary>
    private static LedgerEngine Under(HistoryCatalog catalog, long deposit = 1_000_000)
    {
        var engine = Funded(deposit);
        Expect(Load(catalog).ApplyTo(engine), ResultCode.Ok);
        return engine;
    }

    private static HistoryCatalog CodeRules(int code, params RuleDefinition[] rules) => WithRules(new Dictionary<int, RuleDefinition[]> { [code] = rules });

    [TestCase(1_000L, ResultCode.Ok, TestName = "ShouldAllowDebitsUpToExactlyTheDailyLimit(at the limit)")]
    [TestCase(1_001L, ResultCode.RuleDeclined, TestName = "ShouldAllowDebitsUpToExactlyTheDailyLimit(one above)")]
    public void ShouldAllowDebitsUpToExactlyTheDailyLimit(long second, ResultCode expected)
    {
        var engine = Under(CodeRules(998, Rule("dailyLimit", 5_000)));
        Expect(PostAt(At(10), Posting(A, "p1", 998, 4_000)).ApplyTo(engine), ResultCode.Ok);
        var c = Expect(PostAt(At(20), Posting(A, "p2", 998, second)).ApplyTo(engine), expected);
        if (expected != ResultCode.Ok) Assert.That(c.Result.Rule, Is.EqualTo("dailyLimit"));
    }

    [Test]
    public void ShouldCountEarlierEntriesOfTheSameBatch()
    {
        var engine = Under(CodeRules(998, Rule("dailyLimit", 5_000)));
        var c = Expect(Post(Posting(A, "p1", 998, 3_000), Posting(A, "p2", 998, 2_000), Posting(A, "p3", 998, 1)).ApplyTo(engine), ResultCode.RuleDeclined);
        Assert.That((c.Result.EntryIndex, c.Result.Rule), Is.EqualTo((2, "dailyLimit")));
        Assert.That(engine.BalancesOf(A).AvailableMinor, Is.EqualTo(1_000_000), "the batch is atomic");
        Expect(Post(Posting(A, "p4", 998, 5_000)).ApplyTo(engine), ResultCode.Ok); // the declined batch counted nothing
    }

    [Test]
    public void ShouldStartANewBusinessDayAtUtcMidnightByTheLedgersClock()
    {
        var engine = Under(CodeRules(998, Rule("dailyLimit", 5_000)));
        Expect(PostAt(Midnight - 1, Posting(A, "late", 998, 5_000)).ApplyTo(engine), ResultCode.Ok);
        Expect(PostAt(Midnight - 1, Posting(A, "still-today", 998, 1)).ApplyTo(engine), ResultCode.RuleDeclined);
        Expect(PostAt(Midnight, Posting(A, "tomorrow", 998, 5_000)).ApplyTo(engine), ResultCode.Ok);
        // A command stamped behind the clock is raised to it: it is on the new day, whatever its stamp said.
        Expect(PostAt(Midnight - 10, Posting(A, "behind", 998, 1)).ApplyTo(engine), ResultCode.RuleDeclined);
    }

    [TestCase(3, ResultCode.Ok)]
    [TestCase(4, ResultCode.RuleDeclined)]
    public void ShouldAllowExactlyTheDailyCount(int entries, ResultCode expected)
    {
        var engine = Under(CodeRules(998, Rule("dailyCount", 3)));
        var batch = Enumerable.Range(0, entries).Select(i => Posting(A, $"p{i}", 998, 10)).ToArray();
        var c = Expect(Post(batch).ApplyTo(engine), expected);
        if (expected != ResultCode.Ok) Assert.That((c.Result.EntryIndex, c.Result.Rule), Is.EqualTo((3, "dailyCount")));
    }

    [Test]
    public void ShouldCountHoldsAndNotGiveBackWhatAReversalOrReleaseReturns()
    {
        var engine = Under(CodeRules(998, Rule("dailyLimit", 1_000)));
        Expect(Post(Hold(A, "h1", 998, 600)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Unblock(A, "u1", "h1")).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Posting(A, "p1", 998, 400)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Reverse(A, "r1", "p1")).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Posting(A, "p2", 998, 1)).ApplyTo(engine), ResultCode.RuleDeclined);
    }

    [Test]
    public void ShouldNotCountCreditsOrOtherCodes()
    {
        var engine = Under(CodeRules(998, Rule("dailyCount", 1)));
        Expect(Post(Posting(A, "refund", 999, 10), Posting(A, "transfer", 200, 10), Posting(A, "p1", 998, 10)).ApplyTo(engine), ResultCode.Ok);
    }

    [Test]
    public void ShouldCountADomainsDebitsTogetherAcrossItsCodes()
    {
        var atm = new HistoryCodeDefinition(996, "ATM cash", Direction.Debit, "cards", [EntryKind.Ledger], false, []);
        var catalog = WithRules(domainRules: new Dictionary<string, RuleDefinition[]> { ["cards"] = [Rule("dailyLimit", 1_000)] }, extraCodes: atm);
        var engine = Under(catalog);
        Expect(Post(Posting(A, "pos", 998, 600)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Posting(A, "fee", 700, 5_000)).ApplyTo(engine), ResultCode.Ok); // another domain
        var c = Expect(Post(Posting(A, "atm", 996, 401)).ApplyTo(engine), ResultCode.RuleDeclined);
        Assert.That(c.Result.Rule, Is.EqualTo("dailyLimit"));
        Expect(Post(Posting(A, "atm2", 996, 400)).ApplyTo(engine), ResultCode.Ok);
    }

    [Test]
    public void ShouldCheckTheCodesRulesBeforeItsDomains()
    {
        var catalog = WithRules(new Dictionary<int, RuleDefinition[]> { [998] = [Rule("dailyCount", 1)] },
            new Dictionary<string, RuleDefinition[]> { ["cards"] = [Rule("dailyLimit", 10)] });
        var engine = Under(catalog);
        Expect(Post(Posting(A, "p1", 998, 10)).ApplyTo(engine), ResultCode.Ok);
        Assert.That(Expect(Post(Posting(A, "p2", 998, 10)).ApplyTo(engine), ResultCode.RuleDeclined).Result.Rule, Is.EqualTo("dailyCount"));
    }

    [Test]
    public void ShouldDeclineADebitWhoseDailySumWouldOverflow()
    {
        var engine = Under(CodeRules(200, Rule("dailyLimit", long.MaxValue)), deposit: LedgerEngine.BalanceMaxMinor);
        Expect(Post(Posting(A, "big", 200, LedgerEngine.BalanceMaxMinor)).ApplyTo(engine), ResultCode.Ok);
        var c = Expect(Post(Hold(A, "huge", 200, long.MaxValue)).ApplyTo(engine), ResultCode.RuleDeclined);
        Assert.That(c.Result.Rule, Is.EqualTo("dailyLimit"), "a sum past long.MaxValue is above any limit, never a wrap");
    }

    [TestCase(1_000L, ResultCode.Ok, TestName = "ShouldKeepAvailableAtOrAboveMinBalanceAfter(exactly at the floor)")]
    [TestCase(1_001L, ResultCode.RuleDeclined, TestName = "ShouldKeepAvailableAtOrAboveMinBalanceAfter(one below)")]
    public void ShouldKeepAvailableAtOrAboveMinBalanceAfter(long amount, ResultCode expected)
    {
        var engine = Under(CodeRules(200, Rule("minBalanceAfter", 500)), deposit: 1_500);
        var c = Expect(Post(Posting(A, "t1", 200, amount)).ApplyTo(engine), expected);
        if (expected != ResultCode.Ok) Assert.That(c.Result.Rule, Is.EqualTo("minBalanceAfter"));
    }

    [Test]
    public void ShouldDeclineMinBalanceAfterBeforeInsufficientFundsAndAllowANegativeFloor()
    {
        var engine = Under(CodeRules(700, Rule("minBalanceAfter", -300)), deposit: 100);
        // 700 may overdraw, but the account has no overdraft: the rule (a later check in precedence) comes first.
        Assert.That(Expect(Post(Posting(A, "f1", 700, 401)).ApplyTo(engine), ResultCode.RuleDeclined).Result.Rule, Is.EqualTo("minBalanceAfter"));
        Expect(Post(Posting(A, "f2", 700, 400)).ApplyTo(engine), ResultCode.InsufficientFunds);
    }

    [Test]
    public void ShouldKeepTheCountersInTheStateHashAndAcrossARestart()
    {
        var engine = Under(CodeRules(998, Rule("dailyLimit", 5_000)));
        ulong before = engine.ComputeStateHash();
        Expect(Post(Posting(A, "p1", 998, 4_000)).ApplyTo(engine), ResultCode.Ok);
        Assert.That(engine.DailyCounters.Count, Is.EqualTo(1));
        Assert.That(engine.ComputeStateHash(), Is.Not.EqualTo(before));
        if (EngineRigs.For(engine) is { } rig)
        {
            ulong hash = engine.ComputeStateHash();
            engine = rig.Restart(null);
            Assert.That(engine.ComputeStateHash(), Is.EqualTo(hash), "the counters are in the store's checkpoint");
        }
        Expect(Post(Posting(A, "p2", 998, 1_001)).ApplyTo(engine), ResultCode.RuleDeclined);
        Expect(Post(Posting(A, "p3", 998, 1_000)).ApplyTo(engine), ResultCode.Ok);
    }

    [Test]
    public void ShouldStampTheInstalledCatalogWithItsVersionAndFirstSequence()
    {
        var engine = Funded(1_000);
        var catalog = CodeRules(998, Rule("dailyCount", 1));
        var load = Expect(Load(catalog).ApplyTo(engine), ResultCode.Ok);
        Assert.That((engine.Catalog.Version, engine.Catalog.SinceSequence), Is.EqualTo((1, engine.LastSequence + 1)));
        Assert.That(load.Catalog, Is.SameAs(engine.Catalog), "the store keeps the catalog as installed");
        Expect(Load(catalog).ApplyTo(engine), ResultCode.Ok);
        Assert.That(engine.Catalog.Version, Is.EqualTo(2));
    }

    [TestCase("dailyLimit", "-1")]
    [TestCase("dailyCount", "1.5")]
    [TestCase("minBalanceAfter", "ten")]
    public void ShouldRefuseABadParameter(string name, string value) =>
        Assert.Throws<CatalogException>(() => CodeRules(998, new RuleDefinition(name, value)));

    [Test]
    public void ShouldRefuseRulesForADomainNoCodeHas() =>
        Assert.That(() => WithRules(domainRules: new Dictionary<string, RuleDefinition[]> { ["nosuch"] = [Rule("dailyCount", 1)] }),
            Throws.TypeOf<CatalogException>().With.Message.Contains("nosuch"));

    [Test]
    public void ShouldRefuseADailyRuleOnACreditCodeThatCountsNothing() =>
        Assert.That(() => CodeRules(100, Rule("dailyLimit", 1)), Throws.TypeOf<CatalogException>().With.Message.Contains("credit"));
}
