using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using Ledger.Testing;
using NUnit.Framework;
using static Ledger.Engine.Tests.StateMachine.LedgerKit;
using static Ledger.Testing.Commands;

namespace Ledger.Engine.Tests.StateMachine;

/// <summary>The engine's output contract (LedgerEvent): what the read model and Kafka see.</summary>
public class EventTests(CacheMode mode) : EngineFixture(mode)
{
    [Test]
    public void ShouldEmitEntryAppliedWithTheRequestsOwnStringsAndTheBalancesAfterIt()
    {
        var engine = Funded(1_000);
        var entries = new[] { Posting(A, "p1", 998, 100, description: "coffee"), Posting(A, "p2", 998, 200) };
        var post = Expect(PostAt(At(3), entries).ApplyTo(engine), ResultCode.Ok);
        var events = EventsOf(post);
        Assert.That(events.Select(e => e.Kind), Is.All.EqualTo(LedgerEventKind.EntryApplied));
        Assert.That(events.Select(e => e.BalancesAfter), Is.EqualTo(new[] { new Balances(900, 0), new Balances(700, 0) }), "balances right after each entry");
        Assert.That(events.Select(e => e.Sequence), Is.EqualTo(new[] { post.EntryResults[0].Sequence, post.EntryResults[1].Sequence }));
        var e0 = events[0];
        Assert.That(e0.EntryKind, Is.EqualTo(EntryKind.Ledger));
        Assert.That(e0.Status, Is.EqualTo(EntryStatus.Posted));
        Assert.That(e0.EntryType, Is.EqualTo(998));
        Assert.That(e0.AmountMinor, Is.EqualTo(100));
        Assert.That(e0.Currency, Is.EqualTo(Usd));
        Assert.That(e0.Account, Is.EqualTo(A));
        Assert.That(e0.TimestampTicks, Is.EqualTo(At(3)));
        Assert.That(e0.ReferenceSequence, Is.Zero);
        Assert.That(e0.CausedBySequence, Is.Zero);
        Assert.That(ReferenceEquals(e0.CorrelationId, entries[0].CorrelationId), Is.True, "the request's own string, not a copy");
        Assert.That(ReferenceEquals(e0.Description, entries[0].Description), Is.True);
    }

    [Test]
    public void ShouldEmitAPendingHoldWithItsExpiry()
    {
        var engine = Funded(1_000);
        var hold = Expect(Post(Hold(A, "h1", 998, 100, expiresAt: At(30))).ApplyTo(engine), ResultCode.Ok);
        var e = hold.Events[0];
        Assert.That(hold.EventCount, Is.EqualTo(1));
        Assert.That((e.Kind, e.EntryKind, e.Status), Is.EqualTo((LedgerEventKind.EntryApplied, EntryKind.Blocking, EntryStatus.Pending)));
        Assert.That(e.ExpiresAtTicks, Is.EqualTo(At(30)));
        Assert.That(e.BalancesAfter, Is.EqualTo(new Balances(900, 100)));
    }

    [Test]
    public void ShouldEmitOnlyTheUnblockingForAPartialUnblock()
    {
        var engine = Funded(1_000);
        var hold = Expect(Post(Hold(A, "h1", 998, 100)).ApplyTo(engine), ResultCode.Ok);
        var unblock = Expect(Post(Unblock(A, "u1", "h1", 40)).ApplyTo(engine), ResultCode.Ok);
        var e = unblock.Events[0];
        Assert.That(unblock.EventCount, Is.EqualTo(1), "the hold's status did not change");
        Assert.That((e.EntryKind, e.Status, e.AmountMinor), Is.EqualTo((EntryKind.Unblocking, EntryStatus.Posted, 40L)));
        Assert.That(e.ReferenceSequence, Is.EqualTo(hold.EntryResults[0].Sequence));
        Assert.That(e.BalancesAfter, Is.EqualTo(new Balances(940, 60)));
    }

    [Test]
    public void ShouldEmitTheReleaseCausedByAFinalUnblock()
    {
        var engine = Funded(1_000);
        var hold = Expect(Post(Hold(A, "h1", 998, 100)).ApplyTo(engine), ResultCode.Ok);
        var unblock = Expect(Post(Unblock(A, "u1", "h1")).ApplyTo(engine), ResultCode.Ok);
        var events = EventsOf(unblock);
        Assert.That(events.Select(e => e.Kind), Is.EqualTo(new[] { LedgerEventKind.EntryApplied, LedgerEventKind.EntryStatusChanged }));
        var released = events[1];
        Assert.That(released.Sequence, Is.EqualTo(hold.EntryResults[0].Sequence));
        Assert.That(released.CausedBySequence, Is.EqualTo(unblock.EntryResults[0].Sequence));
        Assert.That(released.Status, Is.EqualTo(EntryStatus.Released));
        Assert.That(released.EntryKind, Is.EqualTo(EntryKind.Blocking));
        Assert.That(released.AmountMinor, Is.EqualTo(100));
        Assert.That(released.BalancesAfter, Is.EqualTo(new Balances(1_000, 0)));
    }

    [Test]
    public void ShouldEmitTheReversalAndTheOriginalsReversedBy()
    {
        var engine = Funded(1_000);
        var purchase = Expect(Post(Posting(A, "p1", 998, 100)).ApplyTo(engine), ResultCode.Ok);
        var reversal = Expect(Post(Reverse(A, "r1", "p1")).ApplyTo(engine), ResultCode.Ok);
        var events = EventsOf(reversal);
        Assert.That(events.Select(e => (e.Kind, e.EntryKind)), Is.EqualTo(new[]
        {
            (LedgerEventKind.EntryApplied, EntryKind.Reversal),
            (LedgerEventKind.EntryStatusChanged, EntryKind.Ledger),
        }));
        Assert.That(events[0].ReferenceSequence, Is.EqualTo(purchase.EntryResults[0].Sequence));
        Assert.That(events[0].EntryType, Is.EqualTo(998));
        Assert.That(events[0].AmountMinor, Is.EqualTo(100));
        Assert.That(events[1].CausedBySequence, Is.EqualTo(events[0].Sequence));
    }

    [Test]
    public void ShouldEmitNothingForADeclineOrARefusalOrAReplay()
    {
        var engine = Funded(1_000);
        Expect(Post(Posting(A, "p1", 998, 10)).ApplyTo(engine), ResultCode.Ok);
        Assert.That(Post(Posting(A, "p2", 998, 10_000)).ApplyTo(engine).EventCount, Is.Zero);
        Assert.That(Post(Posting(Unknown, "p3", 998, 10)).ApplyTo(engine).EventCount, Is.Zero);
        Assert.That(Post(Posting(A, "p1", 998, 10)).ApplyTo(engine).EventCount, Is.Zero);
        Assert.That(Post(Posting(A, "p1", 998, 11)).ApplyTo(engine).EventCount, Is.Zero);
    }

    [Test]
    public void ShouldEmitExpiriesBeforeTheCommandsOwnEvents()
    {
        var engine = Funded(1_000);
        Expect(Post(Hold(A, "h1", 998, 100, expiresAt: At(10))).ApplyTo(engine), ResultCode.Ok);
        var post = Expect(PostAt(At(20), Posting(A, "p1", 998, 1_000)).ApplyTo(engine), ResultCode.Ok);
        Assert.That(EventsOf(post).Select(e => e.Kind), Is.EqualTo(new[] { LedgerEventKind.EntryStatusChanged, LedgerEventKind.EntryApplied }));
        Assert.That(post.EntryResults[0].BalancesAfter, Is.EqualTo(new Balances(0, 0)), "the expired hold's funds were available to the purchase");
    }

    [Test]
    public void ShouldGrowTheEventArrayForACommandWithManyEvents()
    {
        var engine = Funded(1_000);
        var holds = Enumerable.Range(0, 10).Select(i => Hold(A, $"h{i}", 998, 10)).ToArray();
        Expect(Post(holds).ApplyTo(engine), ResultCode.Ok);
        var unblocks = Enumerable.Range(0, 10).Select(i => Unblock(A, $"u{i}", $"h{i}")).ToArray();
        var command = Expect(Post(unblocks).ApplyTo(engine), ResultCode.Ok);
        Assert.That(command.EventCount, Is.EqualTo(20));
        Assert.That(command.EventSpan.ToArray().Count(e => e.Status == EntryStatus.Released), Is.EqualTo(10));
    }
}
