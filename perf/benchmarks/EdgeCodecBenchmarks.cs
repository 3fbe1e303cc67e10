using System.Buffers;
using System.Text;
using Avro;
using Avro.Generic;
using Avro.IO;
using BenchmarkDotNet.Attributes;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Gateway.Api;
using Ledger.Gateway.Kafka;
using Ledger.Perf;

namespace Ledger.Benchmarks;

/// <summary>
/// The two doors' readers of a 100-entry POST_BATCH into a pooled command: REST's <c>{"entries":[…]}</c> body
/// (gateway/Api/BatchJson: <see cref="BatchJsonReader"/>, Utf8JsonReader straight into the command's entry slots, with
/// the edge checks of EntryMapper) and Kafka's <c>ledger-command.avsc</c> datum (gateway/Kafka/CommandAvro: the
/// hand-written Avro reader, then EntryMapper per entry, as CommandConsumer does). Both carry the same 100 entries
/// (card refunds and fees, 36-char ids, a description); time and allocation are per 100-entry batch. The set-up checks
/// that both yield the same 100 requests, so a reader that drops or changes an entry fails.
/// </summary>
[MemoryDiagnoser]
public class EdgeCodecBenchmarks
{
    public const int Entries = 100;
    private static readonly AccountKey Account = PerfWorkload.Account(0);

    private ReadOnlySequence<byte> _json;
    private byte[] _avro = [];
    private readonly CommandAvro _decoded = new();
    private readonly LedgerCommand _command = PerfWorkload.CommandPool(1, Entries)[0];
    private EntryRequest[] _requests = [];

    [GlobalSetup]
    public void Setup()
    {
        _requests = PerfWorkload.Batches(1, Entries, 1, seed: 11);
        var json = new StringBuilder("{\"entries\":[");
        for (int i = 0; i < Entries; i++)
        {
            var e = _requests[i];
            if (i > 0) json.Append(',');
            json.Append("{\"entryKind\":\"ledger\",\"correlationId\":\"").Append(e.CorrelationId).Append("\",\"entryType\":").Append(e.EntryType)
                .Append(",\"amount\":{\"value\":").Append(e.AmountMinor).Append(",\"currency\":\"USD\"},\"description\":\"").Append(e.Description).Append("\"}");
        }
        json.Append("]}");
        _json = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(json.ToString()));
        _avro = AvroDatum(_requests);

        Check(RestBatchJson(), "REST JSON");
        Check(KafkaCommandAvro(), "Kafka Avro");
        Console.WriteLine($"// [codec] 100-entry batch: JSON body {_json.Length} bytes, Avro datum {_avro.Length} bytes");
    }

    private void Check(int count, string door)
    {
        if (count != Entries) throw new InvalidOperationException($"{door}: {count} entries read, not {Entries}.");
        for (int i = 0; i < Entries; i++)
        {
            ref readonly var got = ref _command.Entries[i];
            var want = _requests[i];
            if (got.CorrelationId != want.CorrelationId || got.AmountMinor != want.AmountMinor || got.EntryType != want.EntryType || got.Account != Account
                || got.Description != want.Description || got.Currency != want.Currency || got.Kind != want.Kind)
                throw new InvalidOperationException($"{door}: entry {i} read as {got.CorrelationId}/{got.AmountMinor}, not {want.CorrelationId}/{want.AmountMinor}.");
        }
    }

    [Benchmark]
    public int RestBatchJson()
    {
        _command.Reset();
        if (BatchJsonReader.Read(in _json, Account, _command) is not null) throw new InvalidOperationException("The body was refused.");
        return _command.EntryCount;
    }

    [Benchmark]
    public int KafkaCommandAvro()
    {
        _command.Reset();
        if (!_decoded.TryRead(_avro, out string? problem)) throw new InvalidOperationException(problem);
        _command.EnsureEntryCapacity(_decoded.EntryCount);
        for (int i = 0; i < _decoded.EntryCount; i++)
        {
            if (EntryMapper.TryMap(in _decoded.Entries[i], Account, -1, i, ref _command.Entries[i]) is { } error) throw new InvalidOperationException(error);
        }
        _command.SetPost(_decoded.EntryCount);
        return _command.EntryCount;
    }

    /// <summary>The datum (no single-object header: CommandConsumer strips it before TryRead), written by Apache.Avro from the shipped schema.</summary>
    private static byte[] AvroDatum(EntryRequest[] requests)
    {
        var schema = Schema.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Kafka", "Schemas", "ledger-command.avsc")));
        var root = (RecordSchema)schema;
        var entrySchema = (RecordSchema)((ArraySchema)root["entries"].Schema).ItemSchema;
        var command = new GenericRecord(root);
        command.Add("commandId", "bench-1");
        command.Add("kind", new GenericEnum((EnumSchema)root["kind"].Schema, "POST_BATCH"));
        command.Add("branch", Account.Branch);
        command.Add("account", Account.Number);
        var rows = new object[requests.Length];
        for (int i = 0; i < requests.Length; i++)
        {
            var e = new GenericRecord(entrySchema);
            e.Add("entryKind", new GenericEnum((EnumSchema)entrySchema["entryKind"].Schema, "ledger"));
            e.Add("correlationId", requests[i].CorrelationId);
            e.Add("entryType", requests[i].EntryType);
            e.Add("amount", requests[i].AmountMinor);
            e.Add("currency", "USD");
            e.Add("description", requests[i].Description);
            foreach (var name in new[] { "reverses", "unblocks", "removes", "expiresAt" }) e.Add(name, null);
            rows[i] = e;
        }
        command.Add("entries", rows);
        foreach (var name in new[] { "correlationId", "bundleId", "currency", "overdraftLimit" }) command.Add(name, null);
        command.Add("legs", Array.Empty<object>());
        using var stream = new MemoryStream();
        new GenericDatumWriter<GenericRecord>(schema).Write(command, new BinaryEncoder(stream));
        return stream.ToArray();
    }
}
