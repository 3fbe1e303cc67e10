using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Testing;
using NUnit.Framework;
using static Ledger.Engine.Tests.StateMachine.LedgerKit;
using static Ledger.Testing.Commands;

namespace Ledger.Engine.Tests.StateMachine;

/// <summary>docs/contract.md section 2: a batch is atomic, at most 1 000 entries; the answer carries balances after the batch.</summary>
public class BatchTests(CacheMode mode) : EngineFixture(mode)
{
    [Test]
    public void ShouldApplyNothingWhenOneEntryFailsAndNameItsIndex()
    {
        var engine = Funded(1_000);
        long sequence = engine.LastSequence;
        var declined = Expect(Post(
            Posting(A, "c1", 100, 500),
            Hold(A, "h1", 998, 200),
            Posting(A, "p1", 998, 5_000),
            Posting(A, "p2", 998, 1)).ApplyTo(engine), ResultCode.InsufficientFunds);
        Assert.That(declined.Result.EntryIndex, Is.EqualTo(2));
        AssertUnchanged(engine, 0, sequence, declined);
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(1_000, 0)));
        Assert.That(engine.StatusOf(A, "h1"), Is.EqualTo(EntryStatus.None));
    }

    [Test]
    public void ShouldJudgeEachEntryOnTheEffectsOfTheEarlierOnes()
    {
        var engine = Funded(0);
        var batch = Expect(Post(Posting(A, "c1", 100, 500), Posting(A, "p1", 998, 300), Hold(A, "h1", 998, 200)).ApplyTo(engine), ResultCode.Ok);
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(0, 200)));
        for (int i = 0; i < 3; i++)
        {
            Assert.That(batch.EntryResults[i].BalancesAfter, Is.EqualTo(new Balances(0, 200)), "every answer carries the balances after the whole batch");
        }
    }

    [Test]
    public void ShouldAcceptExactly1000Entries()
    {
        var engine = Funded(0);
        var entries = Enumerable.Range(0, Limits.EntriesPerBatchMax).Select(i => Posting(A, $"c{i}", 100, 1)).ToArray();
        var batch = Expect(Post(entries).ApplyTo(engine), ResultCode.Ok);
        Assert.That(engine.LastSequence, Is.EqualTo(1_000));
        Assert.That(batch.EventCount, Is.EqualTo(1_000));
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(1_000, 0)));
    }

    [Test]
    public void ShouldRefuse1001Entries()
    {
        var engine = Funded(0);
        ulong hash = engine.ComputeStateHash();
        var entries = Enumerable.Range(0, Limits.EntriesPerBatchMax + 1).Select(i => Posting(A, $"c{i}", 100, 1)).ToArray();
        var refused = Expect(Post(entries).ApplyTo(engine), ResultCode.InvalidCommand);
        Assert.That(refused.ChangedState, Is.False);
        Assert.That(engine.ComputeStateHash(), Is.EqualTo(hash));
    }

    [Test]
    public void ShouldRefuseAnEmptyBatch()
    {
        var engine = Funded(0);
        Expect(Post().ApplyTo(engine), ResultCode.InvalidCommand);
    }

    [Test]
    public void ShouldRefuseDuplicateCorrelationIdsWithinABatch()
    {
        var engine = Funded(1_000);
        ulong hash = engine.ComputeStateHash();
        var refused = Expect(Post(Posting(A, "c1", 100, 1), Posting(A, "c2", 100, 1), Posting(A, "c1", 100, 1)).ApplyTo(engine), ResultCode.InvalidCommand);
        Assert.That(refused.Result.EntryIndex, Is.EqualTo(2));
        Assert.That(engine.ComputeStateHash(), Is.EqualTo(hash), "not remembered");
        Expect(Post(Posting(A, "c1", 100, 1)).ApplyTo(engine), ResultCode.Ok);
    }

    [TestCase(-1, TestName = "ShouldDetectDuplicatesRightAfterTheDuplicateStampWraps(to zero, the stamp of untouched slots)")]
    [TestCase(int.MaxValue, TestName = "ShouldDetectDuplicatesRightAfterTheDuplicateStampWraps(to int.MinValue)")]
    public void ShouldDetectDuplicatesRightAfterTheDuplicateStampWraps(int generation)
    {
        // The per-command duplicate check stamps a table with a generation counter that wraps after 2^32
        // commands (hours at full speed); a wrap must neither refuse a good command nor miss a duplicate.
        var engine = Funded(1_000);
        var field = typeof(LedgerEngine).GetField("_dedupGeneration", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
        field.SetValue(engine, generation);
        Expect(Post(Posting(A, "c1", 100, 1)).ApplyTo(engine), ResultCode.Ok);
        field.SetValue(engine, generation);
        Expect(Post(Posting(A, "c2", 100, 1), Posting(A, "c3", 100, 1)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Posting(A, "c4", 100, 1), Posting(A, "c4", 100, 1)).ApplyTo(engine), ResultCode.InvalidCommand);
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(1_003, 0)));
    }

    [Test]
    public void ShouldRefuseABatchSpanningAccountsWithoutABundleId()
    {
        var engine = TwoAccounts(1_000);
        var refused = Expect(Post(Posting(A, "c1", 100, 1), Posting(B, "c2", 100, 1)).ApplyTo(engine), ResultCode.InvalidCommand);
        Assert.That(refused.Result.EntryIndex, Is.EqualTo(1));
    }

    [TestCase("zero amount")]
    [TestCase("negative amount")]
    [TestCase("no amount")]
    [TestCase("no currency")]
    [TestCase("ledger with a reference")]
    [TestCase("ledger with expiresAt")]
    [TestCase("unblocking without a reference")]
    [TestCase("unblocking with a zero amount")]
    [TestCase("reversal with a zero amount")]
    [TestCase("removal with a malformed reference")]
    [TestCase("description of 257 characters")]
    [TestCase("reversal with expiresAt")]
    [TestCase("unknown kind")]
    public void ShouldRefuseAMalformedEntry(string malformation)
    {
        var engine = Funded(1_000);
        Expect(Post(Hold(A, "h1", 998, 100)).ApplyTo(engine), ResultCode.Ok);
        ulong hash = engine.ComputeStateHash();
        var e = Posting(A, "x1", 998, 10);
        switch (malformation)
        {
            case "zero amount": e.AmountMinor = 0; break;
            case "negative amount": e.AmountMinor = -10; break;
            case "no amount": e.HasAmount = false; break;
            case "no currency": e.Currency = CurrencyCode.None; break;
            case "ledger with a reference": e.Reference = "h1"; break;
            case "ledger with expiresAt": e.ExpiresAtTicks = At(10); break;
            case "unblocking without a reference": e = Unblock(A, "x1", "h1"); e.Reference = null; break;
            case "unblocking with a zero amount": e = Unblock(A, "x1", "h1", 0); break;
            case "reversal with a zero amount": e = Reverse(A, "x1", "h1"); e.HasAmount = true; e.AmountMinor = 0; break;
            case "removal with a malformed reference": e = Remove(A, "x1", "h 1"); break;
            case "description of 257 characters": e.Description = new string('d', 257); break;
            case "reversal with expiresAt": e = Reverse(A, "x1", "h1"); e.ExpiresAtTicks = At(10); break;
            case "unknown kind": e.Kind = (EntryKind)42; break;
        }
        var refused = Expect(Post(Posting(A, "ok", 100, 1), e).ApplyTo(engine), ResultCode.InvalidCommand);
        Assert.That(refused.Result.EntryIndex, Is.EqualTo(1));
        Assert.That(refused.ChangedState, Is.False);
        Assert.That(engine.ComputeStateHash(), Is.EqualTo(hash));
    }

    [Test]
    public void ShouldAcceptADescriptionOf256Characters()
    {
        var engine = Funded(1_000);
        Expect(Post(Posting(A, "p1", 998, 10, description: new string('d', 256))).ApplyTo(engine), ResultCode.Ok);
    }
}
