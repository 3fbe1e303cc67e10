using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using Ledger.Testing;
using NUnit.Framework;
using static Ledger.Engine.Tests.StateMachine.LedgerKit;
using static Ledger.Testing.Commands;

namespace Ledger.Engine.Tests.StateMachine;

/// <summary>docs/contract.md section 2: transaction bundles apply atomically across accounts and are idempotent by bundleId.</summary>
public class BundleTests(CacheMode mode) : EngineFixture(mode)
{
    private static LedgerCommand Transfer(string bundleId, long amount, string outId = "t-out", string inId = "t-in") =>
        Bundle(bundleId, Posting(A, outId, 200, amount), Posting(B, inId, 201, amount));

    [Test]
    public void ShouldMoveMoneyAcrossAccountsAtomically()
    {
        var engine = TwoAccounts(1_000);
        var bundle = Expect(Transfer("b1", 300).ApplyTo(engine), ResultCode.Ok);
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(700, 0)));
        Assert.That(engine.BalancesOf(B), Is.EqualTo(new Balances(300, 0)));
        Assert.That(bundle.EntryResults[0].Account, Is.EqualTo(A));
        Assert.That(bundle.EntryResults[0].BalancesAfter, Is.EqualTo(new Balances(700, 0)), "each leg answers its own account's balances");
        Assert.That(bundle.EntryResults[1].Account, Is.EqualTo(B));
        Assert.That(bundle.EntryResults[1].BalancesAfter, Is.EqualTo(new Balances(300, 0)));
        Assert.That(bundle.EntryResults[1].Sequence, Is.EqualTo(bundle.EntryResults[0].Sequence + 1));
        Assert.That(EventsOf(bundle).Select(e => e.Account), Is.EqualTo(new[] { A, B }));
    }

    [Test]
    public void ShouldApplyNoLegWhenOneLegFails()
    {
        var engine = TwoAccounts(1_000);
        long sequence = engine.LastSequence;
        var declined = Expect(Bundle("b1", Posting(B, "t-in", 201, 5_000), Posting(A, "t-out", 200, 5_000)).ApplyTo(engine), ResultCode.InsufficientFunds);
        Assert.That(declined.Result.EntryIndex, Is.EqualTo(1));
        AssertUnchanged(engine, 0, sequence, declined);
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(1_000, 0)));
        Assert.That(engine.BalancesOf(B), Is.EqualTo(new Balances(0, 0)), "the credit leg is not applied either");
    }

    [Test]
    public void ShouldRefuseABundleWithALegOnAnUnknownAccount()
    {
        var engine = TwoAccounts(1_000);
        var refused = Expect(Bundle("b1", Posting(A, "t-out", 200, 5), Posting(Unknown, "t-in", 201, 5)).ApplyTo(engine), ResultCode.AccountNotFound);
        Assert.That(refused.Result.EntryIndex, Is.EqualTo(1));
        Assert.That(refused.ChangedState, Is.False);
    }

    [Test]
    public void ShouldReplayTheFirstAnswerForTheSameBundle()
    {
        var engine = TwoAccounts(1_000);
        var first = Expect(Transfer("b1", 300).ApplyTo(engine), ResultCode.Ok);
        ulong hash = engine.ComputeStateHash();
        var again = Expect(Transfer("b1", 300).ApplyTo(engine), ResultCode.Ok);
        Assert.That(again.Result.Replayed, Is.True);
        Assert.That(again.EntryResults[0], Is.EqualTo(first.EntryResults[0]));
        Assert.That(again.EntryResults[1], Is.EqualTo(first.EntryResults[1]));
        Assert.That(engine.ComputeStateHash(), Is.EqualTo(hash));
        Assert.That(engine.BalancesOf(B), Is.EqualTo(new Balances(300, 0)));
    }

    [Test]
    public void ShouldRememberADeclinedBundle()
    {
        var engine = TwoAccounts(100);
        Expect(Transfer("b1", 300).ApplyTo(engine), ResultCode.InsufficientFunds);
        Expect(Post(Posting(A, "d2", 100, 10_000)).ApplyTo(engine), ResultCode.Ok);
        var again = Expect(Transfer("b1", 300).ApplyTo(engine), ResultCode.InsufficientFunds);
        Assert.That(again.Result.Replayed, Is.True);
        Assert.That(again.Result.EntryIndex, Is.Zero);
        Assert.That(engine.BalancesOf(B), Is.EqualTo(new Balances(0, 0)));
    }

    [TestCase("amount", ConflictFields.Amount, TestName = "ShouldConflictWhenABundleIdIsReused(another amount)")]
    [TestCase("leg added", ConflictFields.Batch, TestName = "ShouldConflictWhenABundleIdIsReused(a leg added)")]
    [TestCase("leg moved", ConflictFields.Account | ConflictFields.Batch, TestName = "ShouldConflictWhenABundleIdIsReused(a leg on another account)")]
    [TestCase("other ids", ConflictFields.Account | ConflictFields.Batch, TestName = "ShouldConflictWhenABundleIdIsReused(other correlation ids)")]
    public void ShouldConflictWhenABundleIdIsReused(string change, ConflictFields expected)
    {
        var engine = TwoAccounts(1_000);
        Expect(Open(Account(3)).ApplyTo(engine), ResultCode.Ok);
        Expect(Transfer("b1", 300).ApplyTo(engine), ResultCode.Ok);
        ulong hash = engine.ComputeStateHash();
        var reuse = change switch
        {
            "amount" => Bundle("b1", Posting(A, "t-out", 200, 300), Posting(B, "t-in", 201, 301)),
            "leg added" => Bundle("b1", Posting(A, "t-out", 200, 300), Posting(B, "t-in", 201, 300), Posting(B, "t-fee", 700, 1)),
            "leg moved" => Bundle("b1", Posting(A, "t-out", 200, 300), Posting(Account(3), "t-in", 201, 300)),
            _ => Transfer("b1", 300, "o2", "i2"),
        };
        var conflict = Expect(reuse.ApplyTo(engine), ResultCode.IdempotencyConflict);
        Assert.That(conflict.Result.Conflicts, Is.EqualTo(expected));
        Assert.That(engine.ComputeStateHash(), Is.EqualTo(hash));
    }

    [Test]
    public void ShouldConflictWhenABundleReusesACorrelationIdOfABatch()
    {
        var engine = TwoAccounts(1_000);
        Expect(Post(Posting(A, "t-out", 200, 300)).ApplyTo(engine), ResultCode.Ok);
        var conflict = Expect(Transfer("b1", 300).ApplyTo(engine), ResultCode.IdempotencyConflict);
        Assert.That(conflict.Result.Conflicts & ConflictFields.Batch, Is.EqualTo(ConflictFields.Batch));
        Assert.That(engine.BalancesOf(B), Is.EqualTo(new Balances(0, 0)));
    }

    [Test]
    public void ShouldConflictWhenABatchReusesACorrelationIdOfABundle()
    {
        var engine = TwoAccounts(1_000);
        Expect(Transfer("b1", 300).ApplyTo(engine), ResultCode.Ok);
        var conflict = Expect(Post(Posting(A, "t-out", 200, 300)).ApplyTo(engine), ResultCode.IdempotencyConflict);
        Assert.That(conflict.Result.Conflicts, Is.EqualTo(ConflictFields.Batch));
    }

    [Test]
    public void ShouldKeepBundleIdsApartFromCorrelationIds()
    {
        var engine = TwoAccounts(1_000);
        Expect(Post(Posting(A, "same", 100, 1)).ApplyTo(engine), ResultCode.Ok);
        var bundle = Expect(Bundle("same", Posting(A, "o1", 200, 5), Posting(B, "i1", 201, 5)).ApplyTo(engine), ResultCode.Ok);
        Assert.That(bundle.Result.Replayed, Is.False);
    }

    [TestCase("")]
    [TestCase("bad id")]
    public void ShouldRefuseAMalformedBundleId(string bundleId)
    {
        var engine = TwoAccounts(1_000);
        Expect(Transfer(bundleId, 5).ApplyTo(engine), ResultCode.InvalidCommand);
    }

    [Test]
    public void ShouldAllowHoldsAndReferencesInABundle()
    {
        var engine = TwoAccounts(1_000);
        Expect(Post(Hold(A, "h1", 200, 300)).ApplyTo(engine), ResultCode.Ok);
        var bundle = Expect(Bundle("settle", Unblock(A, "u1", "h1"), Posting(A, "t-out", 200, 300), Posting(B, "t-in", 201, 300)).ApplyTo(engine), ResultCode.Ok);
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(700, 0)));
        Assert.That(engine.BalancesOf(B), Is.EqualTo(new Balances(300, 0)));
        Assert.That(EventsOf(bundle).Count(e => e.Kind == LedgerEventKind.EntryStatusChanged && e.Status == EntryStatus.Released), Is.EqualTo(1));
    }
}
