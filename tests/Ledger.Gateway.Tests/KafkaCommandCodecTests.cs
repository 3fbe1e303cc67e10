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
