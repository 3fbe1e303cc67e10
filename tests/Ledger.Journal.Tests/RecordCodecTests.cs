using System.Buffers.Binary;
using Ledger.Engine.Commands;
using Ledger.Engine.Events;
using Ledger.Journal.Format;
using Ledger.Testing;
using NUnit.Framework;
using static Ledger.Testing.Commands;

namespace Ledger.Journal.Tests;

public class RecordCodecTests
{
    private static JournalRecord RoundTrip(LedgerCommand command, long recordNumber = 7, long lastSequence = 42)
    {
        var buffer = new RecordBuffer();
        RecordCodec.Encode(command, recordNumber, lastSequence, buffer);
        var bytes = buffer.Written.ToArray();
        Assert.That(RecordHeader.TryRead(bytes, out var header), Is.Null);
        var record = new JournalRecord();
        RecordCodec.Decode(in header, bytes.AsMemory(RecordHeader.Size), record);
        return record;
    }

    private static void AssertSameRequest(LedgerCommand expected, LedgerCommand actual)
    {
        Assert.That(actual.Kind, Is.EqualTo(expected.Kind));
        Assert.That(actual.TimestampTicks, Is.EqualTo(expected.TimestampTicks));
        Assert.That(actual.PermittedDomains, Is.EqualTo(expected.PermittedDomains));
        Assert.That(actual.BundleId, Is.EqualTo(expected.BundleId));
        // Fee ids are not journaled: the reader derives those of the fees the record holds (AssertFeeIdsOnlyOfFeesPosted).
        Assert.That(WithoutFeeIds(actual), Is.EqualTo(WithoutFeeIds(expected)));
        if (expected.Kind == CommandKind.OpenAccounts)
            Assert.That(actual.Openings.AsSpan(0, actual.OpeningCount).ToArray(), Is.EqualTo(expected.Openings.AsSpan(0, expected.OpeningCount).ToArray()));
        if (expected.Kind == CommandKind.RemoveEntry)
        {
            Assert.That(actual.TargetAccount, Is.EqualTo(expected.TargetAccount));
            Assert.That(actual.TargetCorrelationId, Is.EqualTo(expected.TargetCorrelationId));
        }
    }

    private static EntryRequest[] WithoutFeeIds(LedgerCommand command) => command.EntrySpan.ToArray().Select(e => e with { FeeCorrelationId = null }).ToArray();

    /// <summary>The reader derives the fee id of each entry that posted a fee (an event of the record names it), and of no other.</summary>
    private static void AssertFeeIdsOnlyOfFeesPosted(JournalRecord record)
    {
        var posted = record.EventSpan.ToArray().Where(e => e.FeeOfSequence != 0).Select(e => e.CorrelationId).ToHashSet();
        foreach (var e in record.Command.EntrySpan)
            Assert.That(e.FeeCorrelationId, posted.Contains(FeeIds.Of(e.CorrelationId)) ? Is.EqualTo(FeeIds.Of(e.CorrelationId)) : Is.Null, e.CorrelationId);
    }

    [Test]
    public void ShouldRoundTripEveryCommandOfAWorkloadWithItsEvents()
    {
        var engine = NewEngine();
        foreach (var command in new RandomWorkload(seed: 11).Take(2_000))
        {
            engine.Apply(command);
            if (!command.ChangedState) continue;
            var record = RoundTrip(command);
            AssertSameRequest(command, record.Command);
            AssertFeeIdsOnlyOfFeesPosted(record);
            Assert.That(record.Result.Code, Is.EqualTo(command.Result.Code));
            Assert.That(record.Result.EntryIndex, Is.EqualTo(command.Result.EntryIndex));
            Assert.That(record.Result.Rule, Is.EqualTo(command.Result.Rule));
            Assert.That(record.EventSpan.ToArray(), Is.EqualTo(command.EventSpan.ToArray()));
        }
    }

    [Test]
    public void ShouldReadAReversalJournaledBeforeIssue18WithTheReversedAmountAndReplayItUnchanged()
    {
        // Before issue 18 the mark of a reversal (ENTRY_REVERSED on Kafka) carried amount 0; the engine now carries the
        // reversed entry's amount. A journal written then must still decode to what the engine gives today, so that
        // replay with event comparison (verify --full) accepts it.
        var account = Account(7);
        var engine = NewEngine();
        Open(account).ApplyTo(engine);
        Post(Posting(account, "c1", 201, 300)).ApplyTo(engine);
        var reversal = Post(Reverse(account, "r1", "c1")).ApplyTo(engine);
        int mark = Array.FindIndex(reversal.Events, 0, reversal.EventCount, e => e.MarksReversal);
        Assert.That(reversal.Events[mark].AmountMinor, Is.EqualTo(300), "the engine carries the reversed entry's amount");

        reversal.Events[mark].AmountMinor = 0; // as written before issue 18
        var record = RoundTrip(reversal);
        Assert.That(record.EventSpan[mark].AmountMinor, Is.EqualTo(300));

        var replay = NewEngine();
        Open(account).ApplyTo(replay);
        Post(Posting(account, "c1", 201, 300)).ApplyTo(replay);
        replay.Apply(record.Command);
        Assert.That(Ledger.Journal.Recovery.LedgerRecovery.DescribeEventDifference(record), Is.Null);
    }

    [Test]
    public void ShouldDecodeOrRefuseMutatedPayloadsButNeverCrash()
    {
        // Hostile bytes on read (issue 17, item 4): a payload that passes its checksum but was written by a bug or a
        // forger. Decode must give a record or JournalFormatException, never another exception, a hang or a huge allocation.
        var random = new Random(20261206);
        var engine = NewEngine();
        var crashes = new List<string>();
        int decoded = 0, refused = 0;
        foreach (var command in new RandomWorkload(seed: 5).Take(600))
        {
            engine.Apply(command);
            if (!command.ChangedState) continue;
            var buffer = new RecordBuffer();
            RecordCodec.Encode(command, 7, 42, buffer);
            var bytes = buffer.Written.ToArray();
            Assert.That(RecordHeader.TryRead(bytes, out var header), Is.Null);
            var payload = bytes.AsSpan(RecordHeader.Size).ToArray();
            for (int m = 0; m < 30; m++)
            {
                var mutated = Mutations.Mutate(payload, random, out string how);
                try
                {
                    RecordCodec.Decode(in header, mutated, new JournalRecord());
                    decoded++;
                }
                catch (JournalFormatException)
                {
                    refused++;
                }
                catch (Exception ex)
                {
                    crashes.Add($"{command.Kind} record, {how}: {ex.GetType().Name}: {ex.Message}");
                }
            }
        }
        TestContext.Out.WriteLine($"{decoded} decoded, {refused} refused, {crashes.Count} crashed");
        Assert.That(crashes, Is.Empty, string.Join("\n", crashes.Take(10)));
        Assert.That(refused, Is.GreaterThan(1_000), "the mutations reach the decoder's checks");
    }

    [Test]
    public void ShouldRoundTripADeleteAndAnExpiry()
    {
        var engine = NewEngine();
        var a = Account(5);
        Open(a).ApplyTo(engine);
        Post(Posting(a, "d", 100, 10_000)).ApplyTo(engine);
        Post(Hold(a, "h1", 998, 500, expiresAt: T0 + TimeSpan.TicksPerSecond)).ApplyTo(engine);
        Post(Hold(a, "h2", 998, 700)).ApplyTo(engine);
        var delete = Delete(a, "h2").ApplyTo(engine);
        var record = RoundTrip(delete);
        AssertSameRequest(delete, record.Command);
        Assert.That(record.EventSpan.ToArray(), Is.EqualTo(delete.EventSpan.ToArray()));
        var tick = Tick(T0 + TimeSpan.TicksPerMinute).ApplyTo(engine);
        Assert.That(tick.ChangedState, Is.True);
        record = RoundTrip(tick);
        Assert.That(record.EventSpan.ToArray(), Is.EqualTo(tick.EventSpan.ToArray()));
        Assert.That(record.EventSpan[0].Status, Is.EqualTo(Engine.Domain.EntryStatus.Expired));
    }

    [Test]
    public void ShouldRoundTripFeeEventsWithTheDerivedIdAndFeeOfSequence()
    {
        // Issue 16: a fee's event has a 16th item (feeOfSequence) and names its id as the fee of entry i; others keep 15.
        var engine = NewEngine();
        var a = Account(7);
        Open(a).ApplyTo(engine);
        Post(Posting(a, "d", 100, 10_000)).ApplyTo(engine);
        Catalogs.Load(Catalogs.WithRules(new Dictionary<int, Engine.Catalog.RuleDefinition[]> { [998] = [Catalogs.Rule("fee", "code=700 fixed=9")] })).ApplyTo(engine);
        var post = Post(Posting(a, "p", 998, 100), Posting(a, "q", 998, 50));
        post.DeriveFeeIds();
        post.ApplyTo(engine);
        var reverse = Post(Reverse(a, "r", "p"));
        reverse.DeriveFeeIds();
        reverse.ApplyTo(engine);
        foreach (var command in new[] { post, reverse })
        {
            var record = RoundTrip(command);
            AssertSameRequest(command, record.Command);
            AssertFeeIdsOnlyOfFeesPosted(record);
            Assert.That(record.EventSpan.ToArray(), Is.EqualTo(command.EventSpan.ToArray()));
            Assert.That(record.EventSpan.ToArray().Count(e => e.FeeOfSequence != 0), Is.EqualTo(command == post ? 2 : 1));
        }
        Assert.That(RoundTrip(post).EventSpan.ToArray().Where(e => e.FeeOfSequence != 0).Select(e => e.CorrelationId), Is.EqualTo(new[] { "p:fee", "q:fee" }));
        var record2 = RoundTrip(post);
        Assert.That(ReferenceEquals(record2.EventSpan[2].CorrelationId, record2.Command.Entries[0].FeeCorrelationId), Is.True, "written as the fee of entry 0, read back as that very string");
    }

    [Test]
    public void ShouldRoundTripACatalog()
    {
        var load = new LedgerCommand { TimestampTicks = T0 };
        load.SetLoadCatalog(DefaultCatalog);
        var record = RoundTrip(load);
        Assert.That(record.Kind, Is.EqualTo(CommandKind.LoadCatalog));
        Assert.That(CatalogCodec.SameDefinitions(record.Command.Catalog!.Definitions, DefaultCatalog.Definitions), Is.True);
    }

    [Test]
    public void ShouldKeepStringsThatAreNotTheEntrysOwn()
    {
        var engine = NewEngine();
        var a = Account(6);
        Open(a).ApplyTo(engine);
        var post = Post(Posting(a, "x1", 100, 5, description: "rent")).ApplyTo(engine);
        post.Events[0].CorrelationId = new string("x1".AsSpan()); // equal text, another instance
        var record = RoundTrip(post);
        Assert.That(record.EventSpan[0].CorrelationId, Is.EqualTo("x1"));
        Assert.That(record.EventSpan[0].Description, Is.EqualTo("rent"));
    }

    [Test]
    public void ShouldDetectAFlippedBitAnywhereInARecord()
    {
        var engine = NewEngine();
        var a = Account(8);
        Open(a).ApplyTo(engine);
        var post = Post(Posting(a, "p", 100, 123_456, description: "d")).ApplyTo(engine);
        var buffer = new RecordBuffer();
        RecordCodec.Encode(post, 3, 1, buffer);
        var bytes = buffer.Written.ToArray();
        for (int i = 0; i < bytes.Length; i++)
        {
            for (int bit = 0; bit < 8; bit++)
            {
                bytes[i] ^= (byte)(1 << bit);
                Assert.That(RecordHeader.TryRead(bytes, out _), Is.Not.Null, $"byte {i} bit {bit}");
                bytes[i] ^= (byte)(1 << bit);
            }
        }
        Assert.That(RecordHeader.TryRead(bytes, out _), Is.Null);
    }

    [Test]
    public void ShouldRefuseAnUnknownFormatVersionRatherThanGuess()
    {
        var post = Post(Posting(Account(1), "p", 100, 1));
        var buffer = new RecordBuffer();
        RecordCodec.Encode(post, 1, 0, buffer);
        var bytes = buffer.Written.ToArray();
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), 2);
        RewriteChecksum(bytes);
        Assert.That(RecordHeader.TryRead(bytes, out var header), Is.Null);
        var ex = Assert.Throws<JournalFormatException>(() => RecordCodec.Decode(in header, bytes.AsMemory(RecordHeader.Size), new JournalRecord()));
        Assert.That(ex!.Message, Does.Contain("format version 2"));
    }

    internal static void RewriteChecksum(byte[] record)
    {
        uint crc = Crc32C.Append(Crc32C.Compute(record.AsSpan(0, RecordHeader.ChecksummedPrefix)), record.AsSpan(RecordHeader.Size));
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(RecordHeader.ChecksummedPrefix), crc);
    }

    [Test]
    public void ShouldWriteSmallRecordsForSingleEntryPostings()
    {
        var engine = NewEngine();
        var a = Account(928013);
        Open(a).ApplyTo(engine);
        var post = Post(Posting(a, "card-2026-000001", 100, 12_345)).ApplyTo(engine);
        var buffer = new RecordBuffer();
        RecordCodec.Encode(post, 1_000_000, 1_000_000, buffer);
        Assert.That(buffer.Length, Is.LessThan(160), "bytes per single-entry record drive durable throughput");
        TestContext.Out.WriteLine($"single-entry record: {buffer.Length} bytes");
        Assert.That(post.EventSpan[0].Kind, Is.EqualTo(LedgerEventKind.EntryApplied));
    }
}
