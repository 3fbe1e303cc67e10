using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Testing;
using NUnit.Framework;
using static Ledger.Engine.Tests.StateMachine.LedgerKit;
using static Ledger.Testing.Commands;

namespace Ledger.Engine.Tests.StateMachine;

/// <summary>docs/contract.md section 3: a correlation id names one attempt; its outcome is final.</summary>
public class IdempotencyTests(CacheMode mode) : EngineFixture(mode)
{
    [Test]
    public void ShouldReturnTheFirstAnswerExactlyAndChangeNothing()
    {
        var engine = Funded(1_000);
        var first = Expect(PostAt(At(1), Posting(A, "p1", 998, 400, description: "coffee")).ApplyTo(engine), ResultCode.Ok);
        Expect(PostAt(At(2), Posting(A, "p2", 998, 100)).ApplyTo(engine), ResultCode.Ok);
        ulong hash = engine.ComputeStateHash();
        long sequence = engine.LastSequence;

        var replay = Expect(PostAt(At(50), Posting(A, "p1", 998, 400, description: "coffee")).ApplyTo(engine), ResultCode.Ok);

        Assert.That(replay.Result.Replayed, Is.True);
        Assert.That(replay.Result.TimestampTicks, Is.EqualTo(At(1)), "the first answer's timestamp");
        Assert.That(replay.Result.EntryIndex, Is.EqualTo(-1));
        Assert.That(replay.EntryResults[0], Is.EqualTo(first.EntryResults[0]), "status, sequence, timestamp, balances of the first answer");
        Assert.That(replay.EntryResults[0].BalancesAfter, Is.EqualTo(new Balances(600, 0)), "not today's balances");
        Assert.That(replay.ChangedState, Is.False, "nothing to journal");
        Assert.That(replay.EventCount, Is.Zero);
        Assert.That(engine.ComputeStateHash(), Is.EqualTo(hash));
        Assert.That(engine.LastSequence, Is.EqualTo(sequence));
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(500, 0)));
    }

    [Test]
    public void ShouldReplayAWholeBatchAnswer()
    {
        var engine = Funded(1_000);
        var batch = new[] { Posting(A, "p1", 998, 100), Hold(A, "h1", 998, 200), Posting(A, "c1", 201, 50) };
        var first = Expect(Post(batch).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Unblock(A, "u1", "h1")).ApplyTo(engine), ResultCode.Ok);

        var replay = Expect(Post(batch).ApplyTo(engine), ResultCode.Ok);
        Assert.That(replay.Result.Replayed, Is.True);
        for (int i = 0; i < batch.Length; i++) Assert.That(replay.EntryResults[i], Is.EqualTo(first.EntryResults[i]));
        Assert.That(replay.EntryResults[1].Status, Is.EqualTo(EntryStatus.Pending), "the answer of then, though the hold is released now");
    }

    [TestCase("amount", ConflictFields.Amount)]
    [TestCase("entryType", ConflictFields.EntryType)]
    [TestCase("currency", ConflictFields.Currency)]
    [TestCase("description", ConflictFields.Description)]
    [TestCase("no description", ConflictFields.Description)]
    [TestCase("kind", ConflictFields.EntryKind)]
    [TestCase("expiresAt", ConflictFields.ExpiresAt)]
    [TestCase("amount+description", ConflictFields.Amount | ConflictFields.Description)]
    [TestCase("entryType+currency+amount", ConflictFields.EntryType | ConflictFields.Currency | ConflictFields.Amount)]
    public void ShouldNameExactlyTheFieldsThatDiffer(string change, ConflictFields expected)
    {
        var engine = Funded(10_000);
        var original = Hold(A, "h1", 998, 400, expiresAt: change == "expiresAt" ? At(60) : 0);
        original.Description = "fuel";
        Expect(Post(original).ApplyTo(engine), ResultCode.Ok);
        ulong hash = engine.ComputeStateHash();

        var changed = original;
        foreach (var field in change.Split('+'))
        {
            switch (field)
            {
                case "amount": changed.AmountMinor = 401; break;
                case "entryType": changed.EntryType = 200; break;
                case "currency": changed.Currency = Eur; break;
                case "description": changed.Description = "fuel!"; break;
                case "no description": changed.Description = null; break;
                case "kind": changed.Kind = EntryKind.Ledger; break;
                case "expiresAt": changed.ExpiresAtTicks = At(61); break;
            }
        }
        var conflict = Expect(Post(changed).ApplyTo(engine), ResultCode.IdempotencyConflict);
        Assert.That(conflict.Result.Conflicts, Is.EqualTo(expected));
        Assert.That(conflict.Result.EntryIndex, Is.Zero);
        Assert.That(conflict.ChangedState, Is.False);
        Assert.That(engine.ComputeStateHash(), Is.EqualTo(hash));
    }

    [TestCase("amount", ConflictFields.Amount)]
    [TestCase("reference", ConflictFields.Reference)]
    public void ShouldNameTheDifferingFieldsOfAnUnblocking(string change, ConflictFields expected)
    {
        var engine = Funded(10_000);
        Expect(Post(Hold(A, "h1", 998, 400), Hold(A, "h2", 998, 400)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Unblock(A, "u1", "h1", 100)).ApplyTo(engine), ResultCode.Ok);
        var changed = change == "amount" ? Unblock(A, "u1", "h1") : Unblock(A, "u1", "h2", 100);
        Assert.That(Expect(Post(changed).ApplyTo(engine), ResultCode.IdempotencyConflict).Result.Conflicts, Is.EqualTo(expected));
    }

    [Test]
    public void ShouldConflictOnTheSecondEntryOfABatchNamingItsIndex()
    {
        var engine = Funded(10_000);
        Expect(Post(Posting(A, "p1", 998, 1), Posting(A, "p2", 998, 2)).ApplyTo(engine), ResultCode.Ok);
        var conflict = Expect(Post(Posting(A, "p1", 998, 1), Posting(A, "p2", 998, 3)).ApplyTo(engine), ResultCode.IdempotencyConflict);
        Assert.That(conflict.Result.EntryIndex, Is.EqualTo(1));
        Assert.That(conflict.Result.Conflicts, Is.EqualTo(ConflictFields.Amount));
    }

    [TestCase("fewer entries", TestName = "ShouldConflictWhenTheBatchIsNotTheSame(fewer entries)")]
    [TestCase("more entries", TestName = "ShouldConflictWhenTheBatchIsNotTheSame(an entry added)")]
    [TestCase("swapped", TestName = "ShouldConflictWhenTheBatchIsNotTheSame(entries swapped)")]
    [TestCase("new first", TestName = "ShouldConflictWhenTheBatchIsNotTheSame(a new id in front of a known one)")]
    [TestCase("straddling", TestName = "ShouldConflictWhenTheBatchIsNotTheSame(ids from two consecutive batches)")]
    public void ShouldConflictWhenTheBatchIsNotTheSame(string shape)
    {
        var engine = Funded(10_000);
        var p1 = Posting(A, "p1", 998, 1);
        var p2 = Posting(A, "p2", 998, 2);
        var p3 = Posting(A, "p3", 998, 3);
        var p4 = Posting(A, "p4", 998, 4);
        Expect(Post(p1, p2).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(p3, p4).ApplyTo(engine), ResultCode.Ok);
        ulong hash = engine.ComputeStateHash();

        var entries = shape switch
        {
            "fewer entries" => new[] { p1 },
            "more entries" => new[] { p1, p2, Posting(A, "p9", 998, 9) },
            "swapped" => new[] { p2, p1 },
            "new first" => new[] { Posting(A, "p9", 998, 9), p1 },
            _ => new[] { p2, p3 },
        };
        var conflict = Expect(Post(entries).ApplyTo(engine), ResultCode.IdempotencyConflict);
        Assert.That(conflict.Result.Conflicts & ConflictFields.Batch, Is.EqualTo(ConflictFields.Batch));
        Assert.That(conflict.Result.Replayed, Is.False);
        Assert.That(engine.ComputeStateHash(), Is.EqualTo(hash), "a conflict changes nothing");
    }

    [TestCase("insufficient funds", ResultCode.InsufficientFunds, null)]
    [TestCase("unknown code", ResultCode.UnknownHistoryCode, null)]
    [TestCase("rule", ResultCode.RuleDeclined, "maxAmount")]
    [TestCase("currency", ResultCode.CurrencyMismatch, null)]
    public void ShouldGiveTheSameDeclineAgainEvenAfterFundsArrive(string reason, ResultCode code, string? rule)
    {
        var engine = Funded(100);
        var entry = reason switch
        {
            "insufficient funds" => Posting(A, "p1", 998, 5_000),
            "unknown code" => Posting(A, "p1", 555, 5_000),
            "rule" => Posting(A, "p1", 998, 5_000_000),
            _ => Posting(A, "p1", 998, 5_000, Jpy),
        };
        var first = Expect(PostAt(At(1), entry).ApplyTo(engine), code);
        Expect(PostAt(At(2), Posting(A, "d2", 100, 10_000_000)).ApplyTo(engine), ResultCode.Ok);
        long sequence = engine.LastSequence;
        ulong hash = engine.ComputeStateHash();

        var again = Expect(PostAt(At(3), entry).ApplyTo(engine), code);
        Assert.That(again.Result.Replayed, Is.True);
        Assert.That(again.Result.Rule, Is.EqualTo(rule));
        Assert.That(again.Result.EntryIndex, Is.EqualTo(first.Result.EntryIndex));
        Assert.That(again.Result.TimestampTicks, Is.EqualTo(At(1)));
        Assert.That(again.ChangedState, Is.False);
        Assert.That(engine.LastSequence, Is.EqualTo(sequence));
        Assert.That(engine.ComputeStateHash(), Is.EqualTo(hash));
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(10_000_100, 0)));
    }

    [Test]
    public void ShouldRememberADeclinedBatchUnderEachOfItsCorrelationIds()
    {
        var engine = Funded(100);
        var ok = Posting(A, "c1", 998, 50);
        var bad = Posting(A, "c2", 998, 5_000);
        var first = Expect(Post(ok, bad).ApplyTo(engine), ResultCode.InsufficientFunds);
        Assert.That(first.Result.EntryIndex, Is.EqualTo(1));
        Expect(Post(Posting(A, "d2", 100, 100_000)).ApplyTo(engine), ResultCode.Ok);

        var again = Expect(Post(ok, bad).ApplyTo(engine), ResultCode.InsufficientFunds);
        Assert.That(again.Result.Replayed, Is.True);
        Assert.That(again.Result.EntryIndex, Is.EqualTo(1));
        Assert.That(Expect(Post(ok).ApplyTo(engine), ResultCode.IdempotencyConflict).Result.Conflicts, Is.EqualTo(ConflictFields.Batch),
            "c1 names the declined attempt: a new attempt takes a new correlation id");
        Expect(Post(bad).ApplyTo(engine), ResultCode.IdempotencyConflict);
        Assert.That(engine.StatusOf(A, "c1"), Is.EqualTo(EntryStatus.None), "nothing of the declined batch applied");
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(100_100, 0)));
    }

    [TestCase("domain", TestName = "ShouldNotRememberARefusal(domain not permitted: 403)")]
    [TestCase("account", TestName = "ShouldNotRememberARefusal(unknown account: 404)")]
    [TestCase("duplicate", TestName = "ShouldNotRememberARefusal(malformed batch: 400)")]
    public void ShouldNotRememberARefusal(string reason)
    {
        var engine = TwoAccounts(1_000);
        ulong hash = engine.ComputeStateHash();
        var refused = reason switch
        {
            "domain" => Post(Posting(A, "c1", 998, 10)).Permitting("deposits"),
            "account" => Post(Posting(A, "c1", 998, 10), Posting(Unknown, "c2", 998, 10)),
            _ => Post(Posting(A, "c1", 998, 10), Posting(A, "c1", 998, 10)),
        };
        refused.BundleId = reason == "account" ? "b1" : null;
        refused.ApplyTo(engine);
        Assert.That((int)refused.Result.Code, Is.LessThan(100), "refused before the ledger");
        Assert.That(refused.ChangedState, Is.False);
        Assert.That(engine.ComputeStateHash(), Is.EqualTo(hash));

        var later = Expect(Post(Posting(A, "c1", 998, 10)).ApplyTo(engine), ResultCode.Ok);
        Assert.That(later.Result.Replayed, Is.False);
    }

    [Test]
    public void ShouldRefuseACodeOutsideThePartnersDomainsNamingTheEntry()
    {
        var engine = Funded(1_000);
        var refused = Expect(Post(Posting(A, "c1", 998, 10), Posting(A, "c2", 700, 10)).Permitting("cards").ApplyTo(engine), ResultCode.DomainNotPermitted);
        Assert.That(refused.Result.EntryIndex, Is.EqualTo(1));
        Expect(Post(Posting(A, "c1", 998, 10), Posting(A, "c2", 700, 10)).Permitting("cards", "fees").ApplyTo(engine), ResultCode.Ok);
    }

    [Test]
    public void ShouldJudgeAReferencingEntrysDomainByTheOriginalsCode()
    {
        var engine = Funded(1_000);
        Expect(Post(Posting(A, "fee1", 700, 10), Hold(A, "h1", 200, 10)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Reverse(A, "r1", "fee1")).Permitting("cards").ApplyTo(engine), ResultCode.DomainNotPermitted);
        Expect(Post(Unblock(A, "u1", "h1")).Permitting("cards").ApplyTo(engine), ResultCode.DomainNotPermitted);
        Expect(Post(Reverse(A, "r1", "fee1")).Permitting("fees").ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Unblock(A, "u1", "h1")).Permitting("transfers").ApplyTo(engine), ResultCode.Ok);
    }

    [Test]
    public void ShouldRefuseAReplayOutsideThePartnersDomains()
    {
        // The domain check comes before idempotency: a partner cannot read another domain's answer by replaying it.
        var engine = Funded(1_000);
        Expect(Post(Posting(A, "c1", 700, 10)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Posting(A, "c1", 700, 10)).Permitting("cards").ApplyTo(engine), ResultCode.DomainNotPermitted);
    }

    [Test]
    public void ShouldKeepCorrelationIdsPerAccount()
    {
        var engine = TwoAccounts(1_000);
        Expect(Post(Posting(B, "d1", 100, 10)).ApplyTo(engine), ResultCode.Ok);
        var onA = Expect(Post(Posting(A, "d1", 100, 10)).ApplyTo(engine), ResultCode.Ok);
        Assert.That(onA.Result.Replayed, Is.False, "the same id on another account is another entry");
        Assert.That(engine.BalancesOf(A), Is.EqualTo(new Balances(1_010, 0)));
    }

    [TestCase("")]
    [TestCase("has space")]
    [TestCase("ümlaut")]
    [TestCase("x/y")]
    public void ShouldRefuseAMalformedCorrelationId(string correlationId)
    {
        var engine = Funded(1_000);
        Expect(Post(Posting(A, correlationId, 100, 10)).ApplyTo(engine), ResultCode.InvalidCommand);
    }

    [Test]
    public void ShouldAcceptCorrelationIdsOfUpTo64AllowedCharacters()
    {
        var engine = Funded(1_000);
        string longest = new string('a', 60) + ".:_-";
        Expect(Post(Posting(A, longest, 100, 10)).ApplyTo(engine), ResultCode.Ok);
        Expect(Post(Posting(A, longest + "Z", 100, 10)).ApplyTo(engine), ResultCode.InvalidCommand);
        Assert.That(Expect(Post(Posting(A, longest, 100, 10)).ApplyTo(engine), ResultCode.Ok).Result.Replayed, Is.True);
    }
}
