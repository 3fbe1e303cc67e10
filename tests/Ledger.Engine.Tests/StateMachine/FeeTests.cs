using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using Ledger.Testing;
using NUnit.Framework;
using static Ledger.Engine.Tests.StateMachine.LedgerKit;
using static Ledger.Testing.Catalogs;
using static Ledger.Testing.Commands;

namespace Ledger.Engine.Tests.StateMachine;

/// <summary>
/// Issue 16, the <c>fee</c> rule: a ledger posting of a code with a fee also posts a fee entry of another (debit) code
/// on the same account, after the requested entries, in the same atomic batch, with the derived id <c>&lt;id&gt;:fee</c>;
/// a replay answers it again, a reversal reverses it too. Amount boundaries: basis-point rounding, min/max clamps, overflow.
/// </summary>
public class FeeTests(CacheMode mode) : EngineFixture(mode)
{
    private static HistoryCatalog WithFee(string fee, int code = 998) => WithRules(new Dictionary<int, RuleDefinition[]> { [code] = [Rule("fee", fee)] });

    private static LedgerEngine Under(HistoryCatalog catalog, long deposit = 1_000_000, long overdraft = 0)
    {
        var engine = Funded(deposit, overdraft);
        Expect(Load(catalog).ApplyTo(engine), ResultCode.Ok);
        return engine;
    }

    // ---------------- the amount ----------------

    [TestCase("code=700 fixed=150", 1L, 150L, TestName = "ShouldComputeTheFee(fixed, whatever the amount)")]
    [TestCase("code=700 bps=25", 1_800L, 5L, TestName = "ShouldComputeTheFee(bps: 4.5 rounds half up to 5)")]
    [TestCase("code=700 bps=25", 1_799L, 4L, TestName = "ShouldComputeTheFee(bps: 4.4975 rounds down to 4)")]
    [TestCase("code=700 bps=25", 1_999L, 5L, TestName = "ShouldComputeTheFee(bps: 4.9975 rounds to 5)")]
    [TestCase("code=700 bps=1", 4_999L, 0L, TestName = "ShouldComputeTheFee(bps: below half a unit is no fee)")]
    [TestCase("code=700 bps=1", 5_000L, 1L, TestName = "ShouldComputeTheFee(bps: exactly half a unit rounds up)")]
    [TestCase("code=700 bps=25 min=50", 1_800L, 50L, TestName = "ShouldComputeTheFee(min clamps up)")]
    [TestCase("code=700 bps=25 min=5", 1_800L, 5L, TestName = "ShouldComputeTheFee(exactly at the min)")]
    [TestCase("code=700 bps=25 max=1000", 400_000L, 1_000L, TestName = "ShouldComputeTheFee(exactly at the max)")]
    [TestCase("code=700 bps=25 max=1000", 400_400L, 1_000L, TestName = "ShouldComputeTheFee(max clamps down)")]
    [TestCase("code=700 bps=10000", LedgerEngine.BalanceMaxMinor, LedgerEngine.BalanceMaxMinor, TestName = "ShouldComputeTheFee(10000 bps of the largest amount: no overflow)")]
    [TestCase("code=700 bps=9999", long.MaxValue, 9_222_449_699_651_090_329L, TestName = "ShouldComputeTheFee(amount x bps past long: computed in 128 bits)")]
    public void ShouldComputeTheFee(string fee, long amount, long expected) =>
        Assert.That(FeeRule.Parse(fee).AmountOf(amount), Is.EqualTo(expected));

    [TestCase("code=700", "exactly one of")]
    [TestCase("code=700 fixed=1 bps=2", "exactly one of")]
    [TestCase("fixed=5", "needs 'code=C'")]
    [TestCase("code=700 fixed=0", "at least 1 minor unit")]
    [TestCase("code=700 bps=0", "1 to 10000")]
    [TestCase("code=700 bps=10001", "from 0 to 10000")]
    [TestCase("code=700 bps=5 min=10 max=5", "min=10 above max=5")]
    [TestCase("code=700 fixed=5 min=1", "takes no 'min' or 'max'")]
    [TestCase("code=x fixed=5", "'code' to be a whole number")]
    [TestCase("code=700 code=701 fixed=1", "each once")]
    [TestCase("code=700 percent=1", "each once")]
    public void ShouldRefuseABadFeeSayingWhatToFix(string fee, string says)
    {
        var ex = Assert.Throws<CatalogException>(() => WithFee(fee));
        Assert.That(ex!.Message, Does.Contain("History code 998, rule 2").And.Contain(says));
    }

    [TestCase("code=701 fixed=5", "code 701 is not defined")]
    [TestCase("code=999 fixed=5", "is a credit code")]
    public void ShouldRefuseAFeeOfACodeThatCannotCarryIt(string fee, string says)
    {
        var ex = Assert.Throws<CatalogException>(() => WithFee(fee));
        Assert.That(ex!.Message, Does.Contain("History code 998, rule 2 (fee)").And.Contain(says));
    }

    [Test]
    public void ShouldRefuseAFeeOnAFeeCodeTwoFeesAndAFeeOnADomain()
    {
        Assert.That(Assert.Throws<CatalogException>(() => WithRules(new Dictionary<int, RuleDefinition[]>
        {
            [998] = [Rule("fee", "code=200 fixed=1")], [200] = [Rule("fee", "code=700 fixed=1")],
        }))!.Message, Does.Contain("has a fee of its own"));
        Assert.That(Assert.Throws<CatalogException>(() => WithRules(new Dictionary<int, RuleDefinition[]>
        {
            [998] = [Rule("fee", "code=700 fixed=1"), Rule("fee", "code=700 fixed=2")],
        }))!.Message, Does.Contain("more than one 'fee'"));
        Assert.That(Assert.Throws<CatalogException>(() => WithRules(domainRules: new Dictionary<string, RuleDefinition[]>
        {
            ["cards"] = [Rule("fee", "code=700 fixed=1")],
        }))!.Message, Does.Contain("Domain 'cards', rule 1").And.Contain("belongs to a history code"));
    }

    [Test]
    public void ShouldReadAndWriteTheFeeInTheCatalogFile()
    {
        var catalog = WithFee("code=700 bps=25 min=50 max=5000");
        var again = HistoryCatalogFile.Parse(HistoryCatalogFile.ToJson(catalog));
        Assert.That(again.Find(998)!.Fee!.Parameter, Is.EqualTo("code=700 bps=25 min=50 max=5000"));
        Assert.That(again.Find(998)!.Rules.Select(r => r.Name), Is.EqualTo(new[] { "maxAmount" }), "a fee is not a check");
    }

    // ---------------- posting ----------------

    [Test]
    public void ShouldPostTheFeeAfterTheRequestedEntriesInTheSameBatch()
    {
        var engine = Under(WithFee("code=700 fixed=150"));
        long before = engine.LastSequence;
        var c = Expect(Post(Posting(A, "p1", 998, 1_000), Posting(A, "p2", 200, 10)).ApplyTo(engine), ResultCode.Ok);
        Assert.That(c.Result.FeeCount, Is.EqualTo(1));
        Assert.That(c.ResultCount, Is.EqualTo(3));
        var fee = c.EntryResults[2];
        Assert.That((fee.FeeOfIndex, fee.EntryType, fee.AmountMinor, fee.Status, fee.Sequence), Is.EqualTo((0, 700, 150L, EntryStatus.Posted, before + 3)));
        Assert.That(c.EntryResults[0].Sequence, Is.EqualTo(before + 1));
        var expected = 1_000_000 - 1_000 - 10 - 150;
        Assert.That(engine.BalancesOf(A).AvailableMinor, Is.EqualTo(expected));
        Assert.That(fee.BalancesAfter.AvailableMinor, Is.EqualTo(expected), "every answer carries the balances after the whole command");
        var applied = EventsOf(c).Where(e => e.Kind == LedgerEventKind.EntryApplied).ToArray();
        Assert.That(applied.Select(e => e.CorrelationId), Is.EqualTo(new[] { "p1", "p2", "p1:fee" }));
        Assert.That(applied[2].FeeOfSequence, Is.EqualTo(before + 1));
        Assert.That((applied[2].EntryKind, applied[2].EntryType, applied[2].AmountMinor), Is.EqualTo((EntryKind.Ledger, 700, 150L)));
        Assert.That(applied[0].FeeOfSequence + applied[1].FeeOfSequence, Is.Zero);
        Assert.That(engine.StatusOf(A, "p1:fee"), Is.EqualTo(EntryStatus.Posted));
    }

    [Test]
    public void ShouldPostNoFeeForAHoldNorForAFeeOfZero()
    {
        var engine = Under(WithFee("code=700 bps=1"));
        var hold = Expect(Post(Hold(A, "h1", 998, 100_000)).ApplyTo(engine), ResultCode.Ok);
        var small = Expect(Post(Posting(A, "tiny", 998, 49)).ApplyTo(engine), ResultCode.Ok);
        Assert.That((hold.Result.FeeCount, small.Result.FeeCount), Is.EqualTo((0, 0)));
        Assert.That(engine.StatusOf(A, "tiny:fee"), Is.EqualTo(EntryStatus.None));
    }

    [Test]
    public void ShouldDeclineTheWholeBatchWhenTheFeeIsNotFunded()
    {
        var engine = Under(WithFee("code=700 fixed=150"), deposit: 1_000);
        ulong hash = engine.ComputeStateHash();
        long sequence = engine.LastSequence;
        var c = Expect(Post(Posting(A, "p1", 998, 1_000)).ApplyTo(engine), ResultCode.InsufficientFunds);
        Assert.That(c.Result.EntryIndex, Is.EqualTo(0), "the decline names the entry that carries the fee");
        AssertUnchanged(engine, hash, sequence, c);
        Assert.That(engine.BalancesOf(A).AvailableMinor, Is.EqualTo(1_000));
        Assert.That(engine.StatusOf(A, "p1:fee"), Is.EqualTo(EntryStatus.None));
        Expect(Post(Posting(A, "p2", 998, 850)).ApplyTo(engine), ResultCode.Ok); // exactly enough for both
        Assert.That(engine.BalancesOf(A).AvailableMinor, Is.Zero);
    }

    [Test]
    public void ShouldLetTheFeeOverdrawWhenItsCodeMayOverdraw()
    {
        var engine = Under(WithFee("code=700 fixed=150"), deposit: 1_000, overdraft: 150); // code 700 may overdraw, 998 may not
        Expect(Post(Posting(A, "p1", 998, 1_000)).ApplyTo(engine), ResultCode.Ok);
        Assert.That(engine.BalancesOf(A).AvailableMinor, Is.EqualTo(-150));
    }

    [Test]
    public void ShouldJudgeTheRequestedEntryByItsRulesButNotTheFee()
    {
        // minBalanceAfter judges the entry as requested; the fee (the bank's) is judged by funds only.
        var engine = Under(WithRules(new Dictionary<int, RuleDefinition[]>
        {
            [998] = [Rule("minBalanceAfter", 0), Rule("fee", "code=700 fixed=150")],
            [700] = [Rule("maxAmount", 1)],
        }), deposit: 1_000, overdraft: 500);
        Expect(Post(Posting(A, "p1", 998, 1_000)).ApplyTo(engine), ResultCode.Ok);
        Assert.That(engine.BalancesOf(A).AvailableMinor, Is.EqualTo(-150));
    }

    [Test]
    public void ShouldPostTheFeesOfABundleOnEachLegsAccount()
    {
        var engine = Under(WithFee("code=700 fixed=7"));
        Expect(Open(B, Usd).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Posting(B, "fundB", 100, 500)).ApplyTo(engine), ResultCode.Ok);
        var c = Expect(Bundle("b1", Posting(A, "a1", 998, 100), Posting(B, "b1", 998, 100)).ApplyTo(engine), ResultCode.Ok);
        Assert.That(c.Result.FeeCount, Is.EqualTo(2));
        Assert.That((c.EntryResults[2].Account, c.EntryResults[3].Account), Is.EqualTo((A, B)));
        Assert.That(engine.BalancesOf(B).AvailableMinor, Is.EqualTo(500 - 107));
        var again = Bundle("b1", Posting(A, "a1", 998, 100), Posting(B, "b1", 998, 100)).ApplyTo(engine);
        Assert.That((again.Result.Replayed, again.Result.FeeCount), Is.EqualTo((true, 2)));
    }

    // ---------------- ids ----------------

    [Test]
    public void ShouldRefuseAFeeIdThatIsTakenEarlierOrInTheSameBatch()
    {
        var engine = Under(WithFee("code=700 fixed=1"));
        Expect(Post(Posting(A, "x:fee", 100, 5)).ApplyTo(engine), ResultCode.Ok);
        var taken = Expect(Post(Posting(A, "x", 998, 10)).ApplyTo(engine), ResultCode.IdempotencyConflict);
        Assert.That((taken.Result.EntryIndex, taken.Result.Conflicts), Is.EqualTo((0, ConflictFields.Batch)));
        var same = Expect(Post(Posting(A, "y:fee", 100, 5), Posting(A, "y", 998, 10)).ApplyTo(engine), ResultCode.IdempotencyConflict);
        Assert.That(same.Result.EntryIndex, Is.EqualTo(1));
        Expect(Post(Posting(A, "z", 998, 10)).ApplyTo(engine), ResultCode.Ok);
        // A partner naming a fee's id asks for another batch than the one that posted it.
        var named = Expect(Post(Posting(A, "z:fee", 700, 1)).ApplyTo(engine), ResultCode.IdempotencyConflict);
        Assert.That(named.Result.Conflicts, Is.EqualTo(ConflictFields.Batch));
    }

    [Test]
    public void ShouldRefuseAnIdTooLongToDeriveItsFeeId()
    {
        var engine = Under(WithFee("code=700 fixed=1"));
        string sixty = new('a', FeeIds.CarrierIdLengthMax);
        var ok = Expect(Post(Posting(A, sixty, 998, 10)).ApplyTo(engine), ResultCode.Ok);
        Assert.That(ok.EventSpan[1].CorrelationId, Has.Length.EqualTo(Limits.CorrelationIdLengthMax));
        var c = Expect(Post(Posting(A, new string('b', FeeIds.CarrierIdLengthMax + 1), 998, 10)).ApplyTo(engine), ResultCode.InvalidCommand);
        Assert.That(c.Result.EntryIndex, Is.EqualTo(0));
        Expect(Post(Posting(A, new string('c', Limits.CorrelationIdLengthMax), 200, 10)).ApplyTo(engine), ResultCode.Ok); // no fee: any id
    }

    // ---------------- replay and reversal ----------------

    [Test]
    public void ShouldAnswerAReplayWithTheFeeAsFirstAnsweredEvenUnderAnotherCatalog()
    {
        var engine = Under(WithFee("code=700 bps=100 min=3"));
        var first = Expect(Post(Posting(A, "p1", 998, 1_000)).ApplyTo(engine), ResultCode.Ok);
        var firstResults = first.EntryResults.AsSpan(0, first.ResultCount).ToArray();
        Expect(Load(DefaultCatalog).ApplyTo(engine), ResultCode.Ok); // the fee is gone from the catalog
        Expect(Post(Posting(A, "later", 200, 5)).ApplyTo(engine), ResultCode.Ok);
        var again = Post(Posting(A, "p1", 998, 1_000)).ApplyTo(engine);
        Assert.That(again.Result.Replayed, Is.True);
        Assert.That(again.EntryResults.AsSpan(0, again.ResultCount).ToArray(), Is.EqualTo(firstResults));
        Assert.That(again.Result.FeeCount, Is.EqualTo(1));
    }

    [Test]
    public void ShouldReverseTheFeeWithItsEntry()
    {
        var engine = Under(WithFee("code=700 fixed=150"));
        var post = Expect(Post(Posting(A, "p1", 998, 1_000)).ApplyTo(engine), ResultCode.Ok);
        long feeSequence = post.EntryResults[1].Sequence;
        Expect(Load(DefaultCatalog).ApplyTo(engine), ResultCode.Ok); // the entry's own record decides, not today's catalog
        var c = Expect(Post(Reverse(A, "r1", "p1")).ApplyTo(engine), ResultCode.Ok);
        Assert.That(engine.BalancesOf(A).AvailableMinor, Is.EqualTo(1_000_000));
        Assert.That(c.Result.FeeCount, Is.EqualTo(1));
        Assert.That((c.EntryResults[1].EntryType, c.EntryResults[1].AmountMinor, c.EntryResults[1].FeeOfIndex), Is.EqualTo((700, 150L, 0)));
        var events = EventsOf(c);
        var feeReversal = events.Single(e => e.Kind == LedgerEventKind.EntryApplied && e.CorrelationId == "r1:fee");
        Assert.That((feeReversal.EntryKind, feeReversal.ReferenceSequence, feeReversal.FeeOfSequence), Is.EqualTo((EntryKind.Reversal, feeSequence, c.EntryResults[0].Sequence)));
        Assert.That(events.Count(e => e.MarksReversal), Is.EqualTo(2), "the entry and its fee read reversedBy");
        Assert.That(events.Single(e => e.MarksReversal && e.Sequence == feeSequence).CausedBySequence, Is.EqualTo(feeReversal.Sequence));
        Expect(Post(Reverse(A, "r2", "p1")).ApplyTo(engine), ResultCode.AlreadyReversed);
        var replay = Post(Reverse(A, "r1", "p1")).ApplyTo(engine);
        Assert.That((replay.Result.Replayed, replay.Result.FeeCount), Is.EqualTo((true, 1)));
    }

    [Test]
    public void ShouldNotReverseAFeeAlone()
    {
        var engine = Under(WithFee("code=700 fixed=150"));
        Expect(Post(Posting(A, "p1", 998, 1_000)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Reverse(A, "r1", "p1:fee")).ApplyTo(engine), ResultCode.NotReversible);
    }

    [Test]
    public void ShouldRebuildTheSameStateFromTheJournaledCommands()
    {
        var catalog = WithFee("code=700 bps=30 min=2 max=400");
        LedgerCommand[] Script() =>
        [
            Open(A, Usd), Post(Posting(A, "fund", 100, 1_000_000)), Load(catalog),
            Post(Posting(A, "p1", 998, 10_000)), Post(Posting(A, "p2", 998, 989_970)), // p2's fee does not fit: declined
            Post(Posting(A, "p3", 998, 100_000)), Post(Reverse(A, "r3", "p3")), Post(Posting(A, "p3", 998, 100_000)),
        ];
        var first = NewEngine();
        var journaled = new List<LedgerCommand>();
        foreach (var c in Script())
        {
            c.ApplyTo(first);
            if (c.ChangedState) journaled.Add(c);
        }
        var again = NewEngine();
        foreach (var c in journaled)
        {
            c.FromJournal = true;
            c.Prefetched = false;
            c.ApplyTo(again);
        }
        Assert.That(again.ComputeStateHash(), Is.EqualTo(first.ComputeStateHash()));
        Assert.That(first.BalancesOf(A).AvailableMinor, Is.EqualTo(1_000_000 - 10_000 - 30));
    }
}
