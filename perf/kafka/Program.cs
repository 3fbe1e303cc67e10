// Kafka ingress end to end (commands in -> results out) and the event publisher, on librdkafka's mock cluster: the
// gateway's runtime in this process (no HTTP), Kafka ingress and egress on, accounts opened on the ring, then
// MESSAGES pre-encoded POST_BATCH commands of BATCH deposits each produced as fast as the producer takes them. Prints
// entries/s from the first command produced to the last result read, events/s from the first to the last event read
// on ledger.events, and the publisher's lag sampled every 100 ms. The mock cluster is not a real broker: see docs/perf-history.md.
// Usage: [KAFKA_RTT_MS=n] dotnet run -c Release --project perf/kafka -- [batch 100] [messages 20000] [accounts 1000]
//          (KAFKA_RTT_MS: every broker answer n ms late, as a Kafka across a network would be)
//        dotnet perf/kafka/bin/Release/net10.0/Ledger.KafkaBench.dll broker [partitions 4] [topic ...]
//          only the mock cluster, with these topics (default the ledger's three): prints "bootstrap: host:port" and serves until SIGTERM
//          (run-perf.sh points a Kafka-enabled gateway and ledger-bench --kafka at it).
using System.Diagnostics;
using System.Globalization;
using Avro;
using Avro.Generic;
using Avro.IO;
using Confluent.Kafka;
using Ledger.Engine.Domain;
using Ledger.Engine.Commands;
using Ledger.Gateway.Hosting;
using Ledger.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

if (args.Length > 0 && args[0] == "broker")
{
    int partitions = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 4;
    string[] topics = args.Length > 2 ? args[2..] : ["ledger.commands", "ledger.results", "ledger.events"];
    using var broker = KafkaMockCluster.Start(partitions, topics);
    var stopped = new TaskCompletionSource();
    using var onTerm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stopped.TrySetResult(); });
    using var onInt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => { c.Cancel = true; stopped.TrySetResult(); });
    Console.WriteLine($"bootstrap: {broker.BootstrapServers}");
    Console.Out.Flush();
    await stopped.Task;
    return;
}

int batch = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100;
int messages = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20_000;
int accounts = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1_000;

using var kafka = KafkaMockCluster.Start(4, "ledger.commands", "ledger.results", "ledger.events");
// KAFKA_RTT_MS: the broker answers that late (a Kafka across a network instead of in this process).
int rttMs = int.Parse(Environment.GetEnvironmentVariable("KAFKA_RTT_MS") ?? "0", CultureInfo.InvariantCulture);
if (rttMs > 0) kafka.DelayAnswers(TimeSpan.FromMilliseconds(rttMs));
string dir = Path.Combine(Path.GetTempPath(), $"ledger-kafka-bench-{Guid.NewGuid():N}");
var options = new LedgerOptions { DataDir = dir };
options.Kafka.BootstrapServers = kafka.BootstrapServers;
options.Kafka.CommandsPartner = "demo-partner";
var catalog = Ledger.Engine.Catalog.HistoryCatalogFile.Load(Ledger.Engine.Catalog.HistoryCatalogFile.DefaultPath);
var runtime = new LedgerRuntime(Options.Create(options), NullLogger<LedgerRuntime>.Instance, catalog);
runtime.Start();
try
{
    // Accounts, on the ring like an import.
    for (int start = 0; start < accounts; start += 10_000)
    {
        int count = Math.Min(10_000, accounts - start);
        var open = runtime.Pool.Rent();
        open.SetOpenAccounts(count);
        for (int i = 0; i < count; i++) open.Openings[i] = new AccountOpening { Account = new AccountKey(1, 1 + start + i), Currency = CurrencyCode.Parse("USD") };
        await runtime.Host!.SubmitAsync(open);
        if (!open.Result.IsOk) throw new InvalidOperationException($"opening accounts: {open.Result.Code}");
        runtime.Pool.Return(open);
    }

    var schema = Schema.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Kafka", "Schemas", "ledger-command.avsc")));
    var root = (RecordSchema)schema;
    var entrySchema = (RecordSchema)((ArraySchema)root["entries"].Schema).ItemSchema;
    var header = new byte[10];
    header[0] = 0xC3;
    header[1] = 0x01;
    BitConverter.GetBytes(SchemaNormalization.ParsingFingerprint64(schema)).CopyTo(header, 2);
    var writer = new GenericDatumWriter<GenericRecord>(schema);
    var encoded = new (byte[] Key, byte[] Value)[messages];
    for (int m = 0; m < messages; m++)
    {
        long account = 1 + m % accounts;
        var command = new GenericRecord(root);
        command.Add("commandId", $"m{m}");
        command.Add("kind", new GenericEnum((EnumSchema)root["kind"].Schema, "POST_BATCH"));
        command.Add("branch", 1);
        command.Add("account", account);
        var rows = new object[batch];
        for (int i = 0; i < batch; i++)
        {
            var e = new GenericRecord(entrySchema);
            e.Add("entryKind", new GenericEnum((EnumSchema)entrySchema["entryKind"].Schema, "ledger"));
            e.Add("correlationId", $"m{m}-{i}");
            e.Add("entryType", 100);
            e.Add("amount", 1L);
            e.Add("currency", "USD");
            foreach (var name in new[] { "description", "reverses", "unblocks", "removes", "expiresAt" }) e.Add(name, null);
            rows[i] = e;
        }
        command.Add("entries", rows);
        foreach (var name in new[] { "correlationId", "bundleId", "currency", "overdraftLimit" }) command.Add(name, null);
        command.Add("legs", Array.Empty<object>());
        using var stream = new MemoryStream();
        stream.Write(header);
        writer.Write(command, new BinaryEncoder(stream));
        encoded[m] = (System.Text.Encoding.ASCII.GetBytes($"1/{account}"), stream.ToArray());
    }
    Console.WriteLine($"kafka bench: {messages} commands of {batch} entries ({(long)messages * batch} entries) over {accounts} accounts; mock cluster, 4 partitions, 2 cores");

    long expectedEvents = (long)messages * batch + accounts;
    var resultsDone = new TaskCompletionSource<TimeSpan>();
    var eventsDone = new TaskCompletionSource<TimeSpan>();
    var clock = new Stopwatch();
    long results = 0, events = 0;
    Task Reader(string topic, long expected, TaskCompletionSource<TimeSpan> done, Action onMessage) => Task.Run(() =>
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = kafka.BootstrapServers, GroupId = $"bench-{topic}-{Guid.NewGuid():N}", AutoOffsetReset = AutoOffsetReset.Earliest, EnableAutoCommit = false,
        }).Build();
        consumer.Subscribe(topic);
        long n = 0;
        var deadline = DateTime.UtcNow.AddSeconds(90); // a stuck run reports what it read instead of hanging
        while (n < expected && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is null) continue;
            n++;
            onMessage();
        }
        done.TrySetResult(clock.Elapsed);
        consumer.Close();
    });
    var resultsReader = Reader("ledger.results", messages, resultsDone, () => Interlocked.Increment(ref results));
    var eventsReader = Reader("ledger.events", expectedEvents, eventsDone, () => Interlocked.Increment(ref events));

    // The publisher's lag as /metrics gives it (EventPublisher.SecondsBehind: how long the oldest record Kafka has not
    // acknowledged can have waited). Also printed, as the runs before 2026-12-08 measured it: the age of the last
    // acknowledged record's own timestamp while any is behind, which counted the idle second before the load as lag.
    double maxLagSeconds = 0, maxAgeSeconds = 0;
    long maxLagRecords = 0;
    using var sampler = new Timer(_ =>
    {
        if (runtime.Publisher is not { } publisher || runtime.Store is not { } store) return;
        long committed = store.Journal.CommittedRecordNumber;
        var acknowledged = publisher.Acknowledged;
        long behind = Math.Max(0, committed - publisher.AcknowledgedRecord);
        double age = behind == 0 || acknowledged.TimestampTicks == 0 ? 0 : (DateTime.UtcNow.Ticks - acknowledged.TimestampTicks) / (double)TimeSpan.TicksPerSecond;
        maxLagRecords = Math.Max(maxLagRecords, behind);
        maxLagSeconds = Math.Max(maxLagSeconds, publisher.SecondsBehind(committed));
        maxAgeSeconds = Math.Max(maxAgeSeconds, age);
    }, null, 100, 100);

    await Task.Delay(1_000); // let the readers join
    using (var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers, LingerMs = 5, QueueBufferingMaxMessages = 1_000_000 }).Build())
    {
        clock.Start();
        foreach (var (key, value) in encoded) producer.Produce("ledger.commands", new Message<byte[], byte[]> { Key = key, Value = value });
        producer.Flush(TimeSpan.FromMinutes(5));
    }
    var produced = clock.Elapsed;
    var resultsAt = await resultsDone.Task;
    var eventsAt = await eventsDone.Task;
    long entries = (long)messages * batch;
    Console.WriteLine($"  produced in {produced.TotalSeconds:F2} s; results read: {Interlocked.Read(ref results)}/{messages}, events read: {Interlocked.Read(ref events)}/{expectedEvents}");
    Console.WriteLine($"  ingress (commands in -> results out): {entries / resultsAt.TotalSeconds:F0} entries/s, {messages / resultsAt.TotalSeconds:F0} commands/s ({resultsAt.TotalSeconds:F2} s)");
    Console.WriteLine($"  publisher (ledger.events read): {expectedEvents / eventsAt.TotalSeconds:F0} events/s ({eventsAt.TotalSeconds:F2} s)");
    Console.WriteLine($"  publisher lag sampled every 100 ms: max {maxLagRecords} journal records, max {maxLagSeconds:F2} s (ledger_kafka_publisher_lag_seconds)");
    Console.WriteLine($"  age of the last acknowledged record's timestamp while behind (the earlier runs' figure): max {maxAgeSeconds:F2} s");
}
finally
{
    runtime.Stop();
    Directory.Delete(dir, recursive: true);
}
