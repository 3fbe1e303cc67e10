using System.Text;
using Avro;
using Avro.Generic;
using Avro.IO;
using Ledger.Engine;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using Ledger.Gateway.Kafka;
using Ledger.Testing;

namespace Ledger.Gateway.Tests;

/// <summary>
/// A statements replica reads ledger-event.avsc straight from the bytes (<see cref="EventAvroReader"/>): it must read
/// exactly what Apache.Avro writes from the schema, and what the ledger's own publisher writes, for every event kind;
/// and refuse anything else with a sentence, never throwing and never making a row of an event the ledger never writes.
/// </summary>
public sealed class KafkaEventCodecTests
{
    private static readonly RecordSchema Schema = (RecordSchema)AvroFraming.Load(EventAvro.SchemaFile);
    private static readonly string[] KindSymbols = ["ACCOUNT_OPENED", "ENTRY_POSTED", "ENTRY_PENDING", "ENTRY_RELEASED", "ENTRY_REMOVED", "ENTRY_REVERSED", "ENTRY_EXPIRED"];
    private static readonly string[] EntryKindSymbols = ["ledger", "blocking", "unblocking", "reversal", "removal"];
    private static readonly string[] StatusSymbols = ["POSTED", "PENDING", "EXPIRED", "RELEASED", "REMOVED"];
    private static readonly string[] DirectionSymbols = ["DEBIT", "CREDIT"];

    [TestCase(0, TestName = "ACCOUNT_OPENED")]
    [TestCase(1, TestName = "ENTRY_POSTED")]
    [TestCase(2, TestName = "ENTRY_PENDING")]
    [TestCase(3, TestName = "ENTRY_RELEASED")]
    [TestCase(4, TestName = "ENTRY_REMOVED")]
    [TestCase(5, TestName = "ENTRY_REVERSED")]
    [TestCase(6, TestName = "ENTRY_EXPIRED")]
    public void ShouldReadWhatApacheAvroWritesForEveryEventKind(int kind)
    {
        var random = new Random(1000 + kind);
        for (int n = 0; n < 300; n++)
        {
            var expected = RandomEvent(random, kind);
            long record = random.NextInt64(1, long.MaxValue);
            int index = random.Next(0, int.MaxValue);
            var generic = ToRecord(random, in expected, record, index, kind);
            byte[] bytes = Encode(generic);
            Assert.That(EventAvroReader.TryRead(bytes, EventLayout.V2, out int recordEvents, out long readRecord, out int readIndex, out var read, out string? problem), Is.True, problem);
            Assert.That((readRecord, readIndex, recordEvents), Is.EqualTo((record, index, generic["recordEvents"] is int count ? count : 0)), "recordEvents null reads as 0: the writer did not say");
            AssertSame(read, expected);
        }
    }

    [Test]
    public void ShouldEncodeAnEventIntoOneArrayAndItsKeyIntoAnother()
    {
        // Issue 14, item 4: events encode without per-entry allocations beyond the two arrays a Kafka message takes
        // (the encoder allocated an Avro encoder object, the currency's string, the key's string and each text field's
        // UTF-8 bytes before).
        var random = new Random(77);
        var writer = new EventAvro(Commands.DefaultCatalog, AvroFraming.Header(Schema));
        var events = Enumerable.Range(0, 200).Select(i => RandomEvent(random, 1)).ToArray();
        foreach (var e in events) writer.Encode(in e, 1, 0, 1); // warm: the buffer grows once
        long arrays = 0;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < events.Length; i++)
        {
            arrays += writer.Encode(in events[i], i + 1, 0, 1).Length + EventAvro.KeyOf(events[i].Account).Length;
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        const int arrayOverhead = 24 + 8; // header and length, rounded up to 8 bytes
        Assert.That(allocated, Is.LessThanOrEqualTo(arrays + 2 * events.Length * arrayOverhead), $"{allocated} B for {events.Length} events whose arrays hold {arrays} B");
        Assert.That(Encoding.ASCII.GetString(EventAvro.KeyOf(new AccountKey(7, 123_456_789))), Is.EqualTo("7/123456789"));
        Assert.That(Encoding.ASCII.GetString(EventAvro.KeyOf(new AccountKey(int.MaxValue, long.MaxValue))), Is.EqualTo($"{int.MaxValue}/{long.MaxValue}"));
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    [TestCase(5)]
    [TestCase(6)]
    public void ShouldReadWhatTheLedgersPublisherWrites(int kind)
    {
        var random = new Random(2000 + kind);
        byte[] header = AvroFraming.Header(Schema);
        var writer = new EventAvro(Commands.DefaultCatalog, header);
        var reader = new GenericDatumReader<GenericRecord>(Schema, Schema);
        for (int n = 0; n < 300; n++)
        {
            var expected = RandomEvent(random, kind);
            byte[] message = writer.Encode(in expected, record: n + 1, index: n % 7, recordEvents: 7);
            Assert.That(EventAvroReader.TryRead(message.AsSpan(header.Length), EventLayout.V2, out int recordEvents, out long record, out int index, out var read, out string? problem), Is.True, problem);
            Assert.That((record, index, recordEvents), Is.EqualTo((n + 1L, n % 7, 7)));
            AssertSame(read, expected);
            // And Apache.Avro reads the same message as the same kind: the two readers agree on the bytes.
            var generic = reader.Read(null!, new BinaryDecoder(new MemoryStream(message, header.Length, message.Length - header.Length)));
            Assert.That(((GenericEnum)generic["kind"]).Value, Is.EqualTo(KindSymbols[kind]));
            Assert.That(generic["recordEvents"], Is.EqualTo(7));
        }
    }

    /// <summary>
    /// recordEvents was added to ledger-event.v2.avsc before its release (issue 19): messages of the builds before it
    /// (version 2 without the field) keep their fingerprint, which the replica derives from the shipped file, and read
    /// with recordEvents 0 (applied per partition, as those builds' replicas did).
    /// </summary>
    [Test]
    public void ShouldReadVersionTwoAsWrittenBeforeRecordEvents()
    {
        var draft = (RecordSchema)EventAvro.V2Draft();
        Assert.That(draft.Fields.Select(f => f.Name), Is.EqualTo(Schema.Fields.Select(f => f.Name).SkipLast(1)));
        Assert.That(SchemaNormalization.ParsingFingerprint64(draft), Is.EqualTo(V2DraftFingerprint), "the fingerprint of ledger-event.v2.avsc as main shipped it at 5cb81a1");
        var random = new Random(3);
        var expected = RandomEvent(random, 1);
        var full = ToRecord(random, in expected, 5, 2, 1);
        var record = new GenericRecord(draft);
        foreach (var field in draft.Fields) record.Add(field.Name, full[field.Name]);
        using var stream = new MemoryStream();
        new GenericDatumWriter<GenericRecord>(draft).Write(record, new BinaryEncoder(stream));
        Assert.That(EventAvroReader.TryRead(stream.ToArray(), EventLayout.V2Draft, out int recordEvents, out long at, out int index, out var read, out string? problem), Is.True, problem);
        Assert.That((at, index, recordEvents), Is.EqualTo((5L, 2, 0)));
        AssertSame(read, expected);
    }

    private const long V2DraftFingerprint = 8660670205230966476; // computed from `git show 5cb81a1:gateway/Kafka/Schemas/ledger-event.v2.avsc`

    /// <summary>
    /// Issue 18 item 7, as an integrator reads it (Apache.Avro with the schema only): what the ledger's own engine
    /// decides, published, says what ledger-event.v2.avsc and docs/kafka.md say; and the statements replica's strict
    /// reader takes every one of these events.
    /// </summary>
    [Test]
    public void ShouldPublishAReversalARemovalEntryAndADeleteAsTheSchemaSays()
    {
        var a = Commands.Account(7);
        var engine = Commands.NewEngine();
        Commands.Open(a).ApplyTo(engine);
        Commands.Post(Commands.Posting(a, "c0", 201, 1_000)).ApplyTo(engine);
        var credit = Commands.Post(Commands.Posting(a, "c1", 201, 300)).ApplyTo(engine);
        var reversal = Commands.Post(Commands.Reverse(a, "r1", "c1")).ApplyTo(engine);
        var hold = Commands.Post(Commands.Hold(a, "h1", 998, 50)).ApplyTo(engine);
        var removal = Commands.Post(Commands.Remove(a, "x1", "h1")).ApplyTo(engine);
        var hold2 = Commands.Post(Commands.Hold(a, "h2", 998, 40)).ApplyTo(engine);
        var delete = Commands.Delete(a, "h2").ApplyTo(engine);
        Assert.That(new[] { credit, reversal, hold, removal, hold2, delete }.Select(c => c.Result.Code), Is.All.EqualTo(ResultCode.Ok));

        byte[] header = AvroFraming.Header(Schema);
        var writer = new EventAvro(Commands.DefaultCatalog, header);
        var generic = new GenericDatumReader<GenericRecord>(Schema, Schema);
        List<GenericRecord> Publish(LedgerCommand c)
        {
            var published = new List<GenericRecord>();
            for (int i = 0; i < c.EventCount; i++)
            {
                byte[] message = writer.Encode(in c.Events[i], 9, i, c.EventCount);
                Assert.That(EventAvroReader.TryRead(message.AsSpan(header.Length), EventLayout.V2, out _, out _, out _, out _, out string? problem), Is.True, problem);
                published.Add(generic.Read(null!, new BinaryDecoder(new MemoryStream(message, header.Length, message.Length - header.Length))));
            }
            return published;
        }
        static string Kind(GenericRecord r) => ((GenericEnum)r["kind"]).Value;
        static string? Status(GenericRecord r) => (r["status"] as GenericEnum)?.Value;

        var reversed = Publish(reversal).Single(r => Kind(r) == "ENTRY_REVERSED");
        Assert.That(reversed["sequence"], Is.EqualTo(credit.EntryResults[0].Sequence));
        Assert.That(reversed["causedBySequence"], Is.EqualTo(reversal.EntryResults[0].Sequence));
        Assert.That(reversed["amount"], Is.EqualTo(300L), "ENTRY_REVERSED: amount is the reversed entry's (schema: 'the entry's amount')");

        var removed = Publish(removal);
        Assert.That(removed.Select(r => (Kind(r), Status(r))), Is.EqualTo(new[] { ("ENTRY_POSTED", "REMOVED"), ("ENTRY_REMOVED", "REMOVED") }),
            "a removal entry is applied as ENTRY_POSTED (a new entry, not a hold) in its own status REMOVED; the hold it removes is ENTRY_REMOVED");
        Assert.That(((GenericEnum)removed[0]["entryKind"]).Value, Is.EqualTo("removal"));
        Assert.That(removed[1]["sequence"], Is.EqualTo(hold.EntryResults[0].Sequence));
        Assert.That(removed[1]["causedBySequence"], Is.EqualTo(removal.EntryResults[0].Sequence));
        Assert.That(removed[1]["amount"], Is.EqualTo(50L));

        var deleted = Publish(delete).Single();
        Assert.That((Kind(deleted), Status(deleted)), Is.EqualTo(("ENTRY_REMOVED", "REMOVED")));
        Assert.That(deleted["sequence"], Is.EqualTo(hold2.EntryResults[0].Sequence));
        Assert.That(deleted["causedBySequence"], Is.EqualTo(0L), "REMOVE_ENTRY and DELETE create no entry: no sequence caused it");
        Assert.That(deleted["amount"], Is.EqualTo(40L));
        // ... and the schema an integrator reads says so, field by field.
        Assert.That(Schema["causedBySequence"].Documentation, Does.Contain("REMOVE_ENTRY").And.Contain("DELETE"));
        Assert.That(Schema["amount"].Documentation, Does.Contain("ENTRY_REVERSED"));
        Assert.That(Schema["kind"].Documentation, Does.Contain("ENTRY_POSTED").And.Contain("removal"));
    }

    [Test]
    public void ShouldRefuseTruncatedMutatedAndTrailingBytesWithoutThrowing()
    {
        var random = new Random(20261206);
        int refused = 0;
        for (int n = 0; n < 4_000; n++)
        {
            int kind = random.Next(KindSymbols.Length);
            byte[] bytes = Encode(ToRecord(random, RandomEvent(random, kind), random.NextInt64(1, 1_000_000), random.Next(100), kind));
            switch (n % 4)
            {
                case 0: bytes = bytes[..random.Next(bytes.Length)]; break; // truncated: never a whole record
                case 1: bytes[random.Next(bytes.Length)] = (byte)random.Next(256); break; // one byte changed: may still be an event
                case 2: bytes = [.. bytes, (byte)random.Next(256)]; break; // a byte after the record
                default: random.NextBytes(bytes); break; // noise
            }
            bool read = EventAvroReader.TryRead(bytes, EventLayout.V2, out _, out _, out _, out _, out string? problem);
            Assert.That(read, Is.EqualTo(problem is null));
            if (n % 4 is 0 or 2) Assert.That(read, Is.False, $"case {n % 4} must be refused");
            if (!read) refused++;
        }
        Assert.That(refused, Is.GreaterThan(3_000), "a changed byte is mostly caught too (both timestamps, kind against status, ranges)");
    }

    [TestCase(new byte[] { 0x02, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFE, 0xFF, 0xFF, 0xFF, 0x0F }, TestName = "a huge currency length")]
    [TestCase(new byte[] { 0x02, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01 }, TestName = "a negative currency length")]
    [TestCase(new byte[] { 0x02, 0x00, 0x0E }, TestName = "an event kind past the symbols")]
    [TestCase(new byte[] { 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F }, TestName = "an index past an int")]
    [TestCase(new byte[] { 0x02, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x55, 0x53, 0x44, 0x04 }, TestName = "a union branch past [null, T]")]
    [TestCase(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 }, TestName = "a varint longer than 10 bytes")]
    [TestCase(new byte[0], TestName = "nothing")]
    public void ShouldRefuseHostileLengthsAndIndexes(byte[] bytes)
    {
        Assert.That(EventAvroReader.TryRead(bytes, EventLayout.V2, out _, out _, out _, out _, out string? problem), Is.False);
        Assert.That(problem, Does.StartWith("the message does not decode as ledger.events.v1.LedgerEvent"));
    }

    /// <summary>Well-formed Avro, but not an event the ledger writes: each would be a wrong or unreadable row.</summary>
    private static IEnumerable<TestCaseData> NotTheLedgersEvents()
    {
        TestCaseData Case(string name, int kind, Action<GenericRecord> change, string expected) =>
            new TestCaseData(kind, change, expected) { TestName = name };
        yield return Case("an unknown currency", 1, r => r.Add("currency", "XYZ"), "currency 'XYZ'");
        yield return Case("a currency in lower case", 1, r => r.Add("currency", "usd"), "currency 'usd'");
        yield return Case("timestamps that disagree", 1, r => r.Add("timestampTicks", (long)r["timestampTicks"] + 10), "disagrees with timestamp");
        yield return Case("ticks past year 9999", 1, r => r.Add("timestampTicks", long.MaxValue), "is not an instant");
        yield return Case("an expiry before year 1", 2, r => r.Add("expiresAtTicks", -1L), "expiresAtTicks -1");
        yield return Case("a branch past 9999", 1, r => r.Add("branch", 10_000), "out of range");
        yield return Case("a negative account", 1, r => r.Add("account", -1L), "out of range");
        yield return Case("record 0", 1, r => r.Add("record", 0L), "journal record");
        yield return Case("a negative index", 1, r => r.Add("index", -1), "journal record");
        yield return Case("POSTED with status PENDING", 1, r => r.Add("status", Symbol("status", "PENDING")), "with status Pending");
        yield return Case("RELEASED with status REMOVED", 3, r => r.Add("status", Symbol("status", "REMOVED")), "with status Removed");
        yield return Case("an entry without status", 1, r => r.Add("status", null), "without entryType, entryKind or status");
        yield return Case("an entry without entryKind", 2, r => r.Add("entryKind", null), "without entryType, entryKind or status");
        yield return Case("an entry with sequence 0", 1, r => r.Add("sequence", 0L), "sequence 0");
        yield return Case("a new entry without correlationId", 1, r => r.Add("correlationId", null), "correlationId");
        yield return Case("a correlationId with a space", 1, r => r.Add("correlationId", "a b"), "correlationId");
        yield return Case("a correlationId of 65 characters", 2, r => r.Add("correlationId", new string('c', 65)), "correlationId");
        yield return Case("a description of 257 characters", 1, r => r.Add("description", new string('d', 257)), "a description of 257 characters");
        yield return Case("a new entry with a cause", 1, r => r.Add("causedBySequence", 5L), "causedBySequence");
        yield return Case("a reversal without its reversal", 5, r => r.Add("causedBySequence", 0L), "a reversal without");
        yield return Case("an account opened with a status", 0, r => r.Add("status", Symbol("status", "POSTED")), "ACCOUNT_OPENED event with entry fields");
        yield return Case("an account opened with a sequence", 0, r => r.Add("sequence", 9L), "ACCOUNT_OPENED event with entry fields");
        yield return Case("a status change with a correlationId", 4, r => r.Add("correlationId", "x1"), "a status change with");
        yield return Case("a negative reference", 1, r => r.Add("reference", -3L), "negative");
        yield return Case("recordEvents not above the index", 1, r => r.Add("recordEvents", 3), "recordEvents 3 does not count index 3");
        yield return Case("recordEvents 0", 1, r => r.Add("recordEvents", 0), "recordEvents 0 does not count");
    }

    [TestCaseSource(nameof(NotTheLedgersEvents))]
    public void ShouldRefuseWhatTheLedgerNeverWrites(int kind, Action<GenericRecord> change, string expected)
    {
        var random = new Random(7);
        var record = ToRecord(random, RandomEvent(random, kind), 12, 3, kind);
        Assert.That(EventAvroReader.TryRead(Encode(record), EventLayout.V2, out _, out _, out _, out _, out string? unchanged), Is.True, unchanged);
        change(record);
        Assert.That(EventAvroReader.TryRead(Encode(record), EventLayout.V2, out _, out _, out _, out _, out string? problem), Is.False);
        Assert.That(problem, Does.Contain(expected));
    }

    /// <summary>
    /// Decoding alone, the old way (Apache.Avro GenericDatumReader into a GenericRecord, then fields by name) against
    /// <see cref="EventAvroReader"/>, on the same messages in the same process (figures for docs/perf.md, not a gate).
    /// </summary>
    [Test, Explicit("measurement: dotnet test tests/Ledger.Gateway.Tests -c Release --filter Name~MeasureEventDecoding")]
    public void MeasureEventDecoding()
    {
        var random = new Random(5);
        byte[] header = AvroFraming.Header(Schema);
        var writer = new EventAvro(Commands.DefaultCatalog, header);
        var messages = new byte[200_000][];
        for (int i = 0; i < messages.Length; i++)
        {
            int kind = i % 10 == 0 ? random.Next(KindSymbols.Length) : 1; // mostly ENTRY_POSTED, as a posting load
            messages[i] = writer.Encode(RandomEvent(random, kind), i + 1, 0, 1);
        }
        var reader = new GenericDatumReader<GenericRecord>(Schema, Schema);
        for (int round = 0; round < 3; round++)
        {
            long checksum = 0;
            long allocated = GC.GetAllocatedBytesForCurrentThread();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            foreach (byte[] m in messages)
            {
                var r = reader.Read(null!, new BinaryDecoder(new MemoryStream(m, header.Length, m.Length - header.Length)));
                checksum += (long)r["sequence"] + (long)r["amount"] + ((string)r["currency"]).Length + (r["correlationId"] as string)?.Length ?? 0;
                checksum += (long)r["available"] + (long)r["held"] + (long)r["timestampTicks"] + (int)r["branch"] + (long)r["account"];
                checksum += ((GenericEnum)r["kind"]).Value.Length + (r["status"] is GenericEnum s ? s.Value.Length : 0);
            }
            double generic = clock.Elapsed.TotalSeconds;
            long genericBytes = GC.GetAllocatedBytesForCurrentThread() - allocated;
            allocated = GC.GetAllocatedBytesForCurrentThread();
            clock.Restart();
            var slot = new LedgerEvent[1];
            foreach (byte[] m in messages)
            {
                if (!EventAvroReader.TryRead(m.AsSpan(header.Length), EventLayout.V2, out _, out _, out _, out slot[0], out string? problem)) Assert.Fail(problem ?? "");
                checksum -= slot[0].Sequence + slot[0].AmountMinor + slot[0].BalancesAfter.AvailableMinor;
            }
            double direct = clock.Elapsed.TotalSeconds;
            long directBytes = GC.GetAllocatedBytesForCurrentThread() - allocated;
            TestContext.Out.WriteLine($"round {round}: {messages.Length} events: GenericRecord {messages.Length / generic:N0} events/s ({genericBytes / messages.Length} B/event), " +
                $"EventAvroReader {messages.Length / direct:N0} events/s ({directBytes / messages.Length} B/event): x{generic / direct:F1} (checksum {checksum})");
        }
    }

    private static void AssertSame(in LedgerEvent read, in LedgerEvent expected)
    {
        Assert.That((read.Kind, read.Sequence, read.CausedBySequence, read.TimestampTicks, read.Account, read.Currency),
            Is.EqualTo((expected.Kind, expected.Sequence, expected.CausedBySequence, expected.TimestampTicks, expected.Account, expected.Currency)));
        Assert.That((read.EntryKind, read.Status, read.EntryType, read.AmountMinor, read.CorrelationId, read.Description),
            Is.EqualTo((expected.EntryKind, expected.Status, expected.EntryType, expected.AmountMinor, expected.CorrelationId, expected.Description)));
        Assert.That((read.ReferenceSequence, read.ExpiresAtTicks, read.BalancesAfter, read.MarksReversal),
            Is.EqualTo((expected.ReferenceSequence, expected.ExpiresAtTicks, expected.BalancesAfter, expected.MarksReversal)));
    }

    /// <summary>A valid event of the EventKind symbol <paramref name="kind"/>, with the fields the publisher writes for it.</summary>
    private static LedgerEvent RandomEvent(Random random, int kind)
    {
        var e = new LedgerEvent
        {
            TimestampTicks = random.Next(5) == 0 ? random.NextInt64(DateTime.UnixEpoch.Ticks, DateTime.MaxValue.Ticks) : Commands.T0 + random.NextInt64(TimeSpan.TicksPerDay * 365),
            Account = new AccountKey(random.Next(Limits.BranchMax + 1), random.NextInt64(Limits.AccountNumberMax + 1)),
            Currency = CurrencyCode.Parse(random.Next(3) == 0 ? "JPY" : "USD"),
            AmountMinor = random.NextInt64(long.MinValue, long.MaxValue),
            BalancesAfter = new Balances(random.NextInt64(long.MinValue, long.MaxValue), random.NextInt64(long.MaxValue)),
        };
        if (kind == 0)
        {
            e.Kind = LedgerEventKind.AccountOpened;
            return e;
        }
        e.Sequence = random.NextInt64(1, long.MaxValue);
        e.EntryKind = (EntryKind)random.Next(1, 6);
        e.EntryType = random.Next(int.MinValue, int.MaxValue);
        if (kind is 1 or 2)
        {
            e.Kind = LedgerEventKind.EntryApplied;
            e.Status = kind == 2 ? EntryStatus.Pending : e.EntryKind == EntryKind.Removal ? EntryStatus.Removed : EntryStatus.Posted;
            e.CorrelationId = Key(random, random.Next(1, Limits.CorrelationIdLengthMax + 1));
            e.Description = random.Next(2) == 0 ? null : "Café " + new string('€', random.Next(Limits.DescriptionLengthMax - 5));
            e.ReferenceSequence = random.Next(2) == 0 ? 0 : random.NextInt64(1, long.MaxValue);
            e.ExpiresAtTicks = random.Next(2) == 0 ? 0 : random.NextInt64(DateTime.MaxValue.Ticks);
            return e;
        }
        e.Kind = LedgerEventKind.EntryStatusChanged;
        e.Status = kind switch { 3 => EntryStatus.Released, 4 => EntryStatus.Removed, 5 => EntryStatus.Posted, _ => EntryStatus.Expired };
        e.CausedBySequence = kind == 6 ? 0 : random.NextInt64(1, long.MaxValue);
        return e;
    }

    private static string Key(Random random, int length) =>
        new(Enumerable.Range(0, length).Select(_ => "abcXYZ019._:-"[random.Next(13)]).ToArray());

    /// <summary>The event as a GenericRecord of the schema, for Apache.Avro's writer (direction: any, the reader does not keep it).</summary>
    private static GenericRecord ToRecord(Random random, in LedgerEvent e, long record, int index, int kind)
    {
        bool entry = kind != 0;
        var r = new GenericRecord(Schema);
        r.Add("record", record);
        r.Add("index", index);
        r.Add("kind", Symbol("kind", KindSymbols[kind]));
        r.Add("sequence", e.Sequence);
        r.Add("causedBySequence", e.CausedBySequence);
        r.Add("timestamp", new DateTime(e.TimestampTicks, DateTimeKind.Utc));
        r.Add("timestampTicks", e.TimestampTicks);
        r.Add("branch", e.Account.Branch);
        r.Add("account", e.Account.Number);
        r.Add("currency", e.Currency.ToString());
        r.Add("correlationId", e.CorrelationId);
        r.Add("entryType", entry ? e.EntryType : null);
        r.Add("entryKind", entry ? Symbol("entryKind", EntryKindSymbols[(int)e.EntryKind - 1]) : null);
        r.Add("direction", entry && random.Next(3) > 0 ? Symbol("direction", DirectionSymbols[random.Next(2)]) : null);
        r.Add("status", entry ? Symbol("status", StatusSymbols[(int)e.Status - 1]) : null);
        r.Add("amount", e.AmountMinor);
        r.Add("description", e.Description);
        r.Add("reference", e.ReferenceSequence);
        r.Add("expiresAtTicks", e.ExpiresAtTicks);
        r.Add("available", e.BalancesAfter.AvailableMinor);
        r.Add("held", e.BalancesAfter.HeldMinor);
        r.Add("feeOf", e.FeeOfSequence != 0 ? e.FeeOfSequence : null);
        r.Add("recordEvents", index < int.MaxValue - 1_000 && random.Next(2) == 0 ? index + 1 + random.Next(1_000) : null);
        return r;
    }

    /// <summary>A symbol of the enum of field <paramref name="field"/> (the enum itself or the non-null branch of its union).</summary>
    private static GenericEnum Symbol(string field, string symbol)
    {
        var schema = Schema[field].Schema;
        var enumSchema = schema as EnumSchema ?? (EnumSchema)((UnionSchema)schema).Schemas[1];
        return new GenericEnum(enumSchema, symbol);
    }

    private static byte[] Encode(GenericRecord record)
    {
        using var stream = new MemoryStream();
        new GenericDatumWriter<GenericRecord>(Schema).Write(record, new BinaryEncoder(stream));
        return stream.ToArray();
    }
}
