using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using NUnit.Framework;
using static Ledger.Testing.Commands;

namespace Ledger.Engine.Tests;

public class SmokeTests
{
    [Test]
    public void ShouldDepositPurchaseHoldReleaseAndReverse()
    {
        var engine = NewEngine();
        var a = Account(928013);
        Assert.That(Open(a).ApplyTo(engine).Result.Code, Is.EqualTo(ResultCode.Ok));
        Assert.That(Post(Posting(a, "d1", 100, 10_000)).ApplyTo(engine).Result.Code, Is.EqualTo(ResultCode.Ok));
        var buy = Post(Posting(a, "p1", 998, 5_000)).ApplyTo(engine);
        Assert.That(buy.Result.Code, Is.EqualTo(ResultCode.Ok));
        Assert.That(buy.EntryResults[0].BalancesAfter, Is.EqualTo(new Balances(5_000, 0)));
        Assert.That(Post(Hold(a, "h1", 998, 3_000)).ApplyTo(engine).EntryResults[0].Status, Is.EqualTo(EntryStatus.Pending));
        Assert.That(engine.BalancesOf(a), Is.EqualTo(new Balances(2_000, 3_000)));
        Assert.That(Post(Unblock(a, "u1", "h1", 1_000)).ApplyTo(engine).Result.Code, Is.EqualTo(ResultCode.Ok));
        Assert.That(engine.BalancesOf(a), Is.EqualTo(new Balances(3_000, 2_000)));
        Assert.That(Post(Reverse(a, "r1", "p1")).ApplyTo(engine).Result.Code, Is.EqualTo(ResultCode.Ok));
        Assert.That(engine.BalancesOf(a), Is.EqualTo(new Balances(8_000, 2_000)));
        var again = Post(Reverse(a, "r2", "p1")).ApplyTo(engine);
        Assert.That(again.Result.Code, Is.EqualTo(ResultCode.AlreadyReversed));
        var replay = Post(Posting(a, "p1", 998, 5_000)).ApplyTo(engine);
        Assert.That(replay.Result.Replayed, Is.True);
        Assert.That(replay.EntryResults[0].BalancesAfter, Is.EqualTo(new Balances(5_000, 0)));
        var conflict = Post(Posting(a, "p1", 998, 5_001)).ApplyTo(engine);
        Assert.That(conflict.Result.Code, Is.EqualTo(ResultCode.IdempotencyConflict));
        Assert.That(conflict.Result.Conflicts, Is.EqualTo(ConflictFields.Amount));
    }
}
