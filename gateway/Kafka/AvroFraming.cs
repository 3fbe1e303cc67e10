using System.Buffers.Binary;
using Avro;
using Avro.Generic;
using Avro.IO;

namespace Ledger.Gateway.Kafka;

/// <summary>
/// How an Avro message is framed: by default Avro single-object encoding (<c>C3 01</c>, the writer schema's
/// CRC-64-AVRO fingerprint, 8 bytes little-endian, then the binary datum); with <c>Ledger:Kafka:SchemaRegistryUrl</c>
/// the Confluent wire format (<c>00</c>, the schema's registry id, 4 bytes big-endian, then the datum), the schema
/// registered at start-up under the topic's <c>&lt;topic&gt;-value</c> subject. The ledger reads and writes only its
/// own schemas (docs/kafka.md).
/// </summary>
internal static class AvroFraming
{
    public static Schema Load(string file) => Schema.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Kafka", "Schemas", file)));

    /// <summary>The header every message of <paramref name="topic"/> starts with, as this deployment frames them.</summary>
    public static byte[] Header(Schema schema, Ledger.Gateway.Hosting.KafkaOptions options, string topic)
    {
        if (string.IsNullOrWhiteSpace(options.SchemaRegistryUrl)) return Header(schema);
        int id = Register(options.SchemaRegistryUrl, topic + "-value", schema);
        var header = new byte[5];
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(1), id);
        return header;
    }

    /// <summary>Registers <paramref name="schema"/> under <paramref name="subject"/> (or finds it registered) and returns its id.</summary>
    private static int Register(string registry, string subject, Schema schema)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var body = new System.Text.Json.Nodes.JsonObject { ["schema"] = schema.ToString() }.ToJsonString();
        using var content = new StringContent(body, System.Text.Encoding.UTF8);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/vnd.schemaregistry.v1+json");
        string url = $"{registry.TrimEnd('/')}/subjects/{Uri.EscapeDataString(subject)}/versions";
        try
        {
            using var response = http.PostAsync(url, content).GetAwaiter().GetResult();
            string answer = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"HTTP {(int)response.StatusCode}: {answer}");
            return (int?)System.Text.Json.Nodes.JsonNode.Parse(answer)?["id"] ?? throw new InvalidOperationException($"no id in '{answer}'");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException or System.Text.Json.JsonException)
        {
            throw new InvalidOperationException($"Ledger:Kafka:SchemaRegistryUrl {registry} did not register {schema.Fullname} under subject '{subject}': {ex.Message}", ex);
        }
    }

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

    /// <summary>Whether <paramref name="message"/> starts with this deployment's header of <paramref name="schema"/> (else <paramref name="problem"/> says what it is not).</summary>
    public static bool HasHeader(Schema schema, byte[] header, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] byte[]? message, out string? problem)
    {
        problem = null;
        if (message is not null && message.Length >= header.Length && message.AsSpan(0, header.Length).SequenceEqual(header)) return true;
        problem = header[0] == 0
            ? $"the message is not {schema.Fullname} in the Confluent wire format (00 and schema id {BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1))})"
            : $"the message is not {schema.Fullname} in Avro single-object encoding (C3 01 and the schema's fingerprint; see gateway/Kafka/Schemas)";
        return false;
    }
}
