using Avro;
using Avro.Generic;
using Avro.IO;
using Ledger.Gateway.Edge;
using Ledger.Gateway.Kafka;
using Ledger.Gateway.Kafka.Ingress;

namespace Ledger.Gateway.Tests;

/// <summary>
/// The ingress reads ledger-command.avsc straight from the bytes (<see cref="CommandAvro"/>): it must read exactly what
/// Apache.Avro writes from the schema, and refuse anything else without throwing.
/// </summary>
public sealed class KafkaCommandCodecTests
{
    private static readonly RecordSchema Schema = (RecordSchema)AvroFraming.Load("ledger-command.avsc");
    private static readonly string[] Kinds = ["POST_BATCH", "REMOVE_ENTRY", "POST_BUNDLE", "OPEN_ACCOUNT"];
    private static readonly string[] EntryKinds = ["ledger", "blocking", "unblocking", "reversal", "removal"];

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void ShouldReadWhatApacheAvroWritesForRandomCommands(int seed)
    {
        var random = new Random(seed);
        var decoded = new CommandAvro();
        for (int n = 0; n < 300; n++)
        {
            var record = RandomCommand(random);
            Assert.That(decoded.TryRead(Encode(record), out string? problem), Is.True, problem);
            Assert.That(decoded.CommandId, Is.EqualTo(record["commandId"]));
            Assert.That(Kinds[(int)decoded.Kind], Is.EqualTo(((GenericEnum)record["kind"]).Value));
            Assert.That(decoded.Branch, Is.EqualTo(record["branch"]));
            Assert.That(decoded.Account, Is.EqualTo(record["account"]));
            Assert.That(decoded.CorrelationId, Is.EqualTo(record["correlationId"]));
            Assert.That(decoded.BundleId, Is.EqualTo(record["bundleId"]));
            Assert.That(decoded.Currency, Is.EqualTo(record["currency"]));
            Assert.That(decoded.OverdraftLimit, Is.EqualTo(record["overdraftLimit"]));
            var entries = (object[])record["entries"];
            Assert.That(decoded.EntryCount, Is.EqualTo(entries.Length));
            for (int i = 0; i < entries.Length; i++) AssertEntry(decoded.Entries[i], (GenericRecord)entries[i]);
            var legs = (object[])record["legs"];
            Assert.That(decoded.Legs, Has.Count.EqualTo(legs.Length));
            for (int l = 0; l < legs.Length; l++)
            {
                var leg = (GenericRecord)legs[l];
                Assert.That((decoded.Legs[l]!.Branch, decoded.Legs[l]!.Account), Is.EqualTo(((int?)leg["branch"], (long?)leg["account"])));
                var legEntries = (object[])leg["entries"];
                Assert.That(decoded.Legs[l]!.Entries, Has.Count.EqualTo(legEntries.Length));
                for (int i = 0; i < legEntries.Length; i++) AssertEntry(decoded.Legs[l]!.Entries![i], (GenericRecord)legEntries[i]);
            }
        }
    }

    [Test]
    public void ShouldRefuseTruncatedMutatedAndTrailingBytesWithoutThrowing()
    {
        var random = new Random(20261206);
        var decoded = new CommandAvro();
        int refused = 0;
        for (int n = 0; n < 2_000; n++)
        {
            byte[] bytes = Encode(RandomCommand(random));
            switch (n % 4)
            {
                case 0: bytes = bytes[..random.Next(bytes.Length)]; break; // truncated: never a whole record
                case 1: bytes[random.Next(bytes.Length)] = (byte)random.Next(256); break; // one byte changed: may still decode
                case 2: bytes = [.. bytes, (byte)random.Next(256)]; break; // a byte after the record
                default: random.NextBytes(bytes); break; // noise
            }
            bool read = decoded.TryRead(bytes, out string? problem);
            Assert.That(read, Is.EqualTo(problem is null));
            if (n % 4 is 0 or 2) Assert.That(read, Is.False, $"case {n % 4} must be refused");
            if (!read) refused++;
        }
        Assert.That(refused, Is.GreaterThan(1_000));
    }

    [TestCase(new byte[] { 0x02, 0x41, 0x00, 0x00, 0x00, 0x01, 0xFE, 0xFF, 0xFF, 0xFF, 0x0F }, TestName = "a huge array count")]
    [TestCase(new byte[] { 0xFE, 0xFF, 0xFF, 0xFF, 0x0F }, TestName = "a huge string length")]
    [TestCase(new byte[] { 0x01 }, TestName = "a negative string length")]
    [TestCase(new byte[] { 0x02, 0x41, 0x08 }, TestName = "an enum index past the symbols")]
    [TestCase(new byte[] { 0x02, 0x41, 0x00, 0x04 }, TestName = "a union branch past [null, T]")]
    [TestCase(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 }, TestName = "a varint longer than 10 bytes")]
    public void ShouldRefuseHostileLengthsAndIndexes(byte[] bytes)
    {
        Assert.That(new CommandAvro().TryRead(bytes, out string? problem), Is.False);
        Assert.That(problem, Does.StartWith("the message does not decode as ledger.commands.v1.LedgerCommand"));
    }

    /// <summary>A command by hand: every optional field null, one entry, one leg of one entry; the offset of every union's branch index.</summary>
    private static (byte[] Bytes, List<int> Unions) MinimalCommandWithEveryUnion()
    {
        var bytes = new List<byte>();
        var unions = new List<int>();
        void Union()
        {
            unions.Add(bytes.Count);
            bytes.Add(0x00);
        }
        void Entry()
        {
            bytes.AddRange([0x00, 0x00]); // entryKind ledger, correlationId ""
            for (int u = 0; u < 8; u++) Union();
        }
        bytes.AddRange([0x02, 0x41, 0x00]); // commandId "A", kind POST_BATCH
        Union(); // branch
        Union(); // account
        bytes.Add(0x02); // entries: a block of one
        Entry();
        bytes.Add(0x00);
        Union(); // correlationId
        Union(); // bundleId
        bytes.AddRange([0x02, 0x00, 0x00, 0x02]); // legs: a block of one; branch 0, account 0; its entries: a block of one
        Entry();
        bytes.AddRange([0x00, 0x00]);
        Union(); // currency
        Union(); // overdraftLimit
        return (bytes.ToArray(), unions);
    }

    [Test]
    public void ShouldRefuseABranchPastNullOrTInEveryUnion()
    {
        var (bytes, unions) = MinimalCommandWithEveryUnion();
        var decoded = new CommandAvro();
        Assert.That(decoded.TryRead(bytes, out string? problem), Is.True, problem);
        Assert.That((decoded.EntryCount, decoded.LegCount, decoded.LegEntryCount), Is.EqualTo((1, 1, 1)), "the hand-made command is what it says");
        Assert.That(unions, Has.Count.EqualTo(6 + 8 + 8), "every union of the schema: six in the command, eight in each entry");
        foreach (int at in unions)
        {
            foreach (byte branch in new byte[] { 0x04, 0x01, 0x7F }) // 2, -1, -64 in zigzag
            {
                var wrong = (byte[])bytes.Clone();
                wrong[at] = branch;
                Assert.That(decoded.TryRead(wrong, out problem), Is.False, $"branch byte {branch:X2} at {at}");
                Assert.That(problem, Does.StartWith("the message does not decode as ledger.commands.v1.LedgerCommand"));
            }
        }
    }

    [Test]
    public void ShouldReadANegativeBlockCountWithItsSizeAndRefuseMinus2To63()
    {
        // Avro lets a writer give a block's count negated, followed by the block's byte size.
        byte[] entry = [0x00, 0x02, 0x65, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]; // ledger, correlationId "e", eight nulls
        byte[] head = [0x02, 0x41, 0x00, 0x00, 0x00];
        byte[] tail = [0x00, 0x00, 0x00, 0x00, 0x00];
        var decoded = new CommandAvro();
        byte[] negative = [.. head, 0x01, (byte)(entry.Length * 2), .. entry, 0x00, .. tail];
        Assert.That(decoded.TryRead(negative, out string? problem), Is.True, problem);
        Assert.That((decoded.EntryCount, decoded.Entries[0].CorrelationId), Is.EqualTo((1, "e")));
        byte[] minimum = [.. head, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, .. tail]; // zigzag of long.MinValue, then size 0
        Assert.That(decoded.TryRead(minimum, out problem), Is.False, "a count of -2^63 has no positive count: it is not an empty array");
        byte[] sizeTooBig = [.. head, 0x01, 0xFE, 0xFF, 0xFF, 0xFF, 0x0F, .. entry, 0x00, .. tail];
        Assert.That(decoded.TryRead(sizeTooBig, out problem), Is.False, "a block size past the message");
    }

    [Test]
    public void ShouldKeepNoMoreThanTheEdgeTakesOfAHugeArrayAndStillCountIt()
    {
        // The edge takes at most 1 000 entries per batch, 100 legs and 1 000 leg entries per bundle: a message claiming
        // (and holding) more is read to its end, counted for its refusal, and costs no more memory than the limits.
        byte[] entry = [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
        using var message = new MemoryStream();
        message.Write([0x02, 0x41, 0x00, 0x00, 0x00]);
        WriteBlock(message, 200_000, entry);
        message.Write([0x00, 0x00]);
        WriteBlock(message, 50_000, [0x00, 0x00, 0x00]); // legs with no entries
        message.Write([0x00, 0x00]);
        var decoded = new CommandAvro();
        Assert.That(decoded.TryRead(message.ToArray(), out string? problem), Is.True, problem);
        Assert.That((decoded.EntryCount, decoded.LegCount), Is.EqualTo((200_000, 50_000)));
        Assert.That(decoded.Entries, Has.Length.LessThanOrEqualTo(Ledger.Engine.Limits.EntriesPerBatchMax));
        Assert.That(decoded.Legs, Has.Count.EqualTo(Ledger.Engine.Limits.LegsPerBundleMax));

        using var bundle = new MemoryStream();
        bundle.Write([0x02, 0x41, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00]); // POST_BUNDLE, one leg
        WriteBlock(bundle, 5_000, entry);
        bundle.Write([0x00, 0x00, 0x00]); // legs end, currency, overdraftLimit
        Assert.That(decoded.TryRead(bundle.ToArray(), out problem), Is.True, problem);
        Assert.That((decoded.LegCount, decoded.LegEntryCount), Is.EqualTo((1, 5_000)));
        Assert.That(decoded.Legs[0]!.Entries, Has.Count.EqualTo(Ledger.Engine.Limits.EntriesPerBundleMax));
    }

    private static void WriteBlock(MemoryStream into, int count, byte[] item)
    {
        var writer = new AvroWriter();
        writer.WriteLong(count);
        into.Write(writer.Written);
        for (int i = 0; i < count; i++) into.Write(item);
        into.WriteByte(0x00);
    }

    private static void AssertEntry(EntryFields fields, GenericRecord e)
    {
        Assert.That(fields.KindText, Is.EqualTo(((GenericEnum)e["entryKind"]).Value));
        Assert.That(fields.CorrelationId, Is.EqualTo(e["correlationId"]));
        Assert.That(fields.EntryType, Is.EqualTo(e["entryType"]));
        Assert.That(fields.Value, Is.EqualTo(e["amount"]));
        Assert.That(fields.CurrencyText, Is.EqualTo(e["currency"]));
        Assert.That(fields.HasAmount, Is.EqualTo(e["amount"] is not null || e["currency"] is not null));
        Assert.That(fields.Description, Is.EqualTo(e["description"]));
        Assert.That((fields.Reverses, fields.Unblocks, fields.Removes, fields.ExpiresAt), Is.EqualTo((e["reverses"], e["unblocks"], e["removes"], e["expiresAt"])));
    }

    private static byte[] Encode(GenericRecord record)
    {
        using var stream = new MemoryStream();
        new GenericDatumWriter<GenericRecord>(Schema).Write(record, new BinaryEncoder(stream));
        return stream.ToArray();
    }

    private static GenericRecord RandomCommand(Random random)
    {
        var record = new GenericRecord(Schema);
        record.Add("commandId", Text(random, 1 + random.Next(20)));
        record.Add("kind", new GenericEnum((EnumSchema)Schema["kind"].Schema, Kinds[random.Next(Kinds.Length)]));
        record.Add("branch", random.Next(3) == 0 ? null : random.Next(-5, 10_000));
        record.Add("account", random.Next(3) == 0 ? null : random.NextInt64(-5, long.MaxValue));
        var entrySchema = (RecordSchema)((ArraySchema)Schema["entries"].Schema).ItemSchema;
        record.Add("entries", Enumerable.Range(0, random.Next(4) == 0 ? 0 : random.Next(1, 130)).Select(_ => (object)RandomEntry(random, entrySchema)).ToArray());
        record.Add("correlationId", Maybe(random, () => Text(random, 12)));
        record.Add("bundleId", Maybe(random, () => Text(random, 12)));
        var legSchema = (RecordSchema)((ArraySchema)Schema["legs"].Schema).ItemSchema;
        record.Add("legs", Enumerable.Range(0, random.Next(3)).Select(_ =>
        {
            var leg = new GenericRecord(legSchema);
            leg.Add("branch", random.Next(10_000));
            leg.Add("account", random.NextInt64(1, 1_000_000));
            leg.Add("entries", Enumerable.Range(0, random.Next(5)).Select(_ => (object)RandomEntry(random, entrySchema)).ToArray());
            return (object)leg;
        }).ToArray());
        record.Add("currency", Maybe(random, () => random.Next(2) == 0 ? "USD" : "XYZ"));
        record.Add("overdraftLimit", random.Next(2) == 0 ? null : random.NextInt64(long.MinValue, long.MaxValue));
        return record;
    }

    private static GenericRecord RandomEntry(Random random, RecordSchema schema)
    {
        var e = new GenericRecord(schema);
        e.Add("entryKind", new GenericEnum((EnumSchema)schema["entryKind"].Schema, EntryKinds[random.Next(EntryKinds.Length)]));
        e.Add("correlationId", Text(random, random.Next(70)));
        e.Add("entryType", random.Next(3) == 0 ? null : random.Next(int.MinValue, int.MaxValue));
        e.Add("amount", random.Next(3) == 0 ? null : random.NextInt64(long.MinValue, long.MaxValue));
        e.Add("currency", Maybe(random, () => random.Next(3) == 0 ? "JPY" : "USD"));
        e.Add("description", Maybe(random, () => "Café " + Text(random, random.Next(40))));
        e.Add("reverses", Maybe(random, () => Text(random, 10)));
        e.Add("unblocks", Maybe(random, () => Text(random, 10)));
        e.Add("removes", Maybe(random, () => Text(random, 10)));
        e.Add("expiresAt", Maybe(random, () => "2026-12-31T00:00:00Z"));
        return e;
    }

    private static string? Maybe(Random random, Func<string> value) => random.Next(2) == 0 ? null : value();

    private static string Text(Random random, int length) =>
        new(Enumerable.Range(0, length).Select(_ => "abcXYZ019.:-_€"[random.Next(14)]).ToArray());
}
