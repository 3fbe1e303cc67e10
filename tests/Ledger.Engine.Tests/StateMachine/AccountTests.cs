using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using Ledger.Testing;
using NUnit.Framework;
using static Ledger.Engine.Tests.StateMachine.LedgerKit;
using static Ledger.Testing.Commands;

namespace Ledger.Engine.Tests.StateMachine;

/// <summary>docs/contract.md section 1: accounts are opened explicitly, (branch, account) with a currency fixed at opening.</summary>
public class AccountTests(CacheMode mode) : EngineFixture(mode)
{
    [Test]
    public void ShouldOpenAccountWithZeroBalancesAndEmitAccountOpened()
    {
        var engine = NewEngine();
        var open = Expect(Open(A, Eur, overdraft: 2_500).ApplyTo(engine), ResultCode.Ok);

        Assert.That(engine.TryGetAccount(A, out var state), Is.True);
        Assert.That(state.Currency, Is.EqualTo(Eur));
        Assert.That(state.OverdraftLimitMinor, Is.EqualTo(2_500));
        Assert.That(state.Balances, Is.EqualTo(new Balances(0, 0)));
        Assert.That(open.ChangedState, Is.True);
        Assert.That(open.EventCount, Is.EqualTo(1));
        var e = open.Events[0];
        Assert.That(e.Kind, Is.EqualTo(LedgerEventKind.AccountOpened));
        Assert.That(e.Account, Is.EqualTo(A));
        Assert.That(e.Currency, Is.EqualTo(Eur));
        Assert.That(e.AmountMinor, Is.EqualTo(2_500), "AccountOpened carries the overdraft limit");
        Assert.That(e.Sequence, Is.Zero, "an opening is not an entry and takes no sequence");
        Assert.That(engine.LastSequence, Is.Zero);
    }

    [TestCase(-1, 1L, 0L, TestName = "ShouldRefuseOpening(negative branch)")]
    [TestCase(10_000, 1L, 0L, TestName = "ShouldRefuseOpening(branch above 9999)")]
    [TestCase(1, -1L, 0L, TestName = "ShouldRefuseOpening(negative account number)")]
    [TestCase(1, 1_000_000_000_000L, 0L, TestName = "ShouldRefuseOpening(account number above 999 999 999 999)")]
    [TestCase(1, 1L, -1L, TestName = "ShouldRefuseOpening(negative overdraft limit)")]
    [TestCase(1, 1L, Limits.OverdraftLimitMax + 1, TestName = "ShouldRefuseOpening(overdraft limit above the maximum)")]
    public void ShouldRefuseInvalidOpening(int branch, long number, long overdraft)
    {
        var engine = NewEngine();
        var open = Expect(Open(new AccountKey(branch, number), Usd, overdraft).ApplyTo(engine), ResultCode.InvalidCommand);
        Assert.That(open.Result.EntryIndex, Is.Zero);
        Assert.That(open.ChangedState, Is.False);
        Assert.That(engine.Accounts.Count, Is.Zero);
    }

    [TestCase(9_999, 999_999_999_999L, TestName = "ShouldOpenAccountAtTheLimits(branch 9999, account 999 999 999 999)")]
    [TestCase(0, 0L, TestName = "ShouldOpenAccountAtTheLimits(branch 0, account 0)")]
    public void ShouldOpenAccountAtTheLimits(int branch, long number)
    {
        var engine = NewEngine();
        var key = new AccountKey(branch, number);
        Expect(Open(key).ApplyTo(engine), ResultCode.Ok);
        Assert.That(engine.TryGetAccount(key, out _), Is.True);
        Assert.That(engine.TryGetAccount(new AccountKey(branch, number == 0 ? 1 : number - 1), out _), Is.False, "keys do not alias");
    }

    [Test]
    public void ShouldRefuseOpeningWithoutCurrency()
    {
        var engine = NewEngine();
        Expect(Open(A, CurrencyCode.None).ApplyTo(engine), ResultCode.InvalidCommand);
    }

    [Test]
    public void ShouldRefuseOpeningAnExistingAccountAndKeepIt()
    {
        var engine = Funded(1_000);
        ulong hash = engine.ComputeStateHash();
        var again = Expect(Open(A, Eur).ApplyTo(engine), ResultCode.AccountExists);
        Assert.That(again.Result.EntryIndex, Is.Zero);
        Assert.That(again.ChangedState, Is.False, "a refusal is not journaled");
        Assert.That(engine.ComputeStateHash(), Is.EqualTo(hash));
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(1_000, 0)));
    }

    [Test]
    public void ShouldOpenBulkAtomically()
    {
        var engine = Funded(0);
        var bulk = new LedgerCommand { TimestampTicks = T0 };
        bulk.SetOpenAccounts(2);
        bulk.Openings[0] = new AccountOpening { Account = B, Currency = Usd };
        bulk.Openings[1] = new AccountOpening { Account = A, Currency = Usd };
        Expect(bulk.ApplyTo(engine), ResultCode.AccountExists);
        Assert.That(bulk.Result.EntryIndex, Is.EqualTo(1));
        Assert.That(engine.TryGetAccount(B, out _), Is.False, "the first opening of a refused bulk is not applied");
    }

    [Test]
    public void ShouldRefuseBulkNamingAnAccountTwice()
    {
        var engine = NewEngine();
        var bulk = new LedgerCommand { TimestampTicks = T0 };
        bulk.SetOpenAccounts(3);
        bulk.Openings[0] = new AccountOpening { Account = A, Currency = Usd };
        bulk.Openings[1] = new AccountOpening { Account = B, Currency = Usd };
        bulk.Openings[2] = new AccountOpening { Account = A, Currency = Eur };
        Expect(bulk.ApplyTo(engine), ResultCode.InvalidCommand);
        Assert.That(bulk.Result.EntryIndex, Is.EqualTo(2));
        Assert.That(engine.Accounts.Count, Is.Zero);
    }

    [Test]
    public void ShouldOpenBulkOfManyAccountsWithOneEventEach()
    {
        var engine = NewEngine();
        var bulk = new LedgerCommand { TimestampTicks = T0 };
        bulk.SetOpenAccounts(50);
        for (int i = 0; i < 50; i++) bulk.Openings[i] = new AccountOpening { Account = Account(i), Currency = Jpy };
        Expect(bulk.ApplyTo(engine), ResultCode.Ok);
        Assert.That(engine.Accounts.Count, Is.EqualTo(50));
        Assert.That(bulk.EventCount, Is.EqualTo(50));
        Assert.That(bulk.EventSpan.ToArray().Select(e => e.Account), Is.EqualTo(Enumerable.Range(0, 50).Select(i => Account(i))));
    }

    [Test]
    public void ShouldRefusePostingToUnknownAccountWithoutRememberingIt()
    {
        var engine = NewEngine();
        var refused = Expect(Post(Posting(Unknown, "x1", 100, 500)).ApplyTo(engine), ResultCode.AccountNotFound);
        Assert.That(refused.Result.EntryIndex, Is.Zero);
        Assert.That(refused.ChangedState, Is.False);

        Expect(Open(Unknown).ApplyTo(engine), ResultCode.Ok);
        var later = Expect(Post(Posting(Unknown, "x1", 100, 500)).ApplyTo(engine), ResultCode.Ok);
        Assert.That(later.Result.Replayed, Is.False, "a 404 is not remembered: the same correlation id applies later");
        Assert.That(engine.BalancesOf(Unknown), Is.EqualTo(new Balances(500, 0)));
    }
}
