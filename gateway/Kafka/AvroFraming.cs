using System.Buffers.Binary;
using Avro;
using Avro.Generic;
using Avro.IO;

namespace Ledger.Gateway.Kafka;

/// <summary>
/// Avro single-object encoding: <c>C3 01</c>, the writer schema's CRC-64-AVRO fingerprint (8 bytes, little-endian),
/// then the binary datum. The ledger reads and writes only its own schemas' fingerprints (docs/kafka.md).
/// </summary>
internal static class AvroFraming
{
    public static Schema Load(string file) => Schema.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Kafka", "Schemas", file)));

    public static byte[] Header(Schema schema)
    {
        var header = new byte[10];
        header[0] = 0xC3;
        header[1] = 0x01;
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(2), SchemaNormalization.ParsingFingerprint64(schema));
        return header;
    }

    public static byte[] Write(Schema schema, byte[] header, GenericRecord record)
    {
        using var stream = new MemoryStream(256);
        stream.Write(header);
        new GenericDatumWriter<GenericRecord>(schema).Write(record, new BinaryEncoder(stream));
        return stream.ToArray();
    }

    /// <summary>The record, or null with <paramref name="problem"/> saying why the bytes are not one.</summary>
    public static GenericRecord? TryRead(Schema schema, byte[] header, byte[]? message, out string? problem)
    {
        problem = null;
        if (message is null || message.Length < header.Length || !message.AsSpan(0, 2).SequenceEqual(header.AsSpan(0, 2)))
        {
            problem = "the message is not Avro single-object encoding (it must start with C3 01 and the schema's fingerprint)";
            return null;
        }
        if (!message.AsSpan(2, 8).SequenceEqual(header.AsSpan(2, 8)))
        {
            problem = $"the message's schema fingerprint is not {schema.Fullname}'s (see gateway/Kafka/Schemas)";
            return null;
        }
        try
        {
            using var stream = new MemoryStream(message, header.Length, message.Length - header.Length);
            var record = new GenericDatumReader<GenericRecord>(schema, schema).Read(null!, new BinaryDecoder(stream));
            if (stream.Position != stream.Length) problem = "the message has bytes after its Avro record";
            return problem is null ? record : null;
        }
        catch (Exception ex) when (ex is AvroException or EndOfStreamException or IOException or InvalidCastException or ArgumentException or OverflowException)
        {
            problem = $"the message does not decode as {schema.Fullname} ({ex.Message})";
            return null;
        }
    }
}
