using System.Diagnostics;
using System.Buffers.Binary;
using System.Text;
using Avro.Generic;
using Avro.IO;
using Avro;
using Confluent.Kafka;
using Ledger.Testing;

namespace Ledger.Gateway.Tests;

/// <summary>The mock cluster itself: an independent producer and consumer round-trip a message over the real protocol.</summary>
public sealed class KafkaMockClusterTests
{
    [Test]
    public void ShouldCarryAMessageBetweenTwoClients()
    {
        using var kafka = KafkaMockCluster.Start("probe");
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers }).Build())
        {
            producer.Produce("probe", new Message<string, string> { Key = "k", Value = "hello" });
            Assert.That(producer.Flush(TimeSpan.FromSeconds(10)), Is.Zero);
        }
        using var consumer = EventReader.Consumer(kafka, "probe");
        consumer.Subscribe("probe");
        var result = consumer.Consume(TimeSpan.FromSeconds(20));
        Assert.That(Encoding.UTF8.GetString(result!.Message.Value), Is.EqualTo("hello"));
        consumer.Close();
    }
}

/// <summary>
/// ledger.events, produced from the journal: every event of every entry arrives, keyed by account, in Avro that an
/// independent reader (Apache.Avro's GenericDatumReader with the shipped .avsc) decodes; after a restart the publisher
/// resumes where Kafka acknowledged it and a consumer that drops duplicates by (record, index) sees each event once.
/// </summary>
public sealed class KafkaEgressTests
{
    [Test]
    public async Task EveryEventShouldArriveInAvroKeyedByItsAccount()
    {
        using var kafka = KafkaMockCluster.Start("ledger.events");
        await using var server = await GatewayServer.StartAsync($"Ledger:Kafka:BootstrapServers={kafka.BootstrapServers}");
        var a = await server.OpenAccountAsync();
        var b = await server.OpenAccountAsync();
        using var client = await server.ClientAsync();
        (await client.PostAsync(a.Batches, Batch(Entry("ledger", "dep", 100, 10_000), Entry("blocking", "hold", 998, 3_000)))).EnsureSuccessStatusCode();
        (await client.PostAsync(a.Batches, Batch(Entry("unblocking", "rel", unblocks: "hold", amount: 1_000), Entry("ledger", "buy", 998, 500)))).EnsureSuccessStatusCode();
        (await client.PostAsync(a.Batches, Batch(Entry("reversal", "rev", reverses: "buy")))).EnsureSuccessStatusCode();
        (await client.PostAsync(b.Batches, Deposit("b-dep", 42))).EnsureSuccessStatusCode();

        var events = EventReader.ReadUntil(kafka, "ledger.events", all => all.Count >= 9);
        var ofA = events.Where(e => (long)e["account"]! == a.Number).ToList();
        Assert.That(ofA.Select(e => ((string)e["kind"]!, (string?)e["correlationId"])), Is.EqualTo(new (string, string?)[]
        {
            ("ACCOUNT_OPENED", null),
            ("ENTRY_POSTED", "dep"), ("ENTRY_PENDING", "hold"),
            ("ENTRY_POSTED", "rel"), ("ENTRY_POSTED", "buy"),
            ("ENTRY_POSTED", "rev"), ("ENTRY_REVERSED", null),
        }).Or.EqualTo(new (string, string?)[]
        {
            ("ACCOUNT_OPENED", null),
            ("ENTRY_POSTED", "dep"), ("ENTRY_PENDING", "hold"),
            ("ENTRY_POSTED", "rel"), ("ENTRY_POSTED", "buy"),
            ("ENTRY_REVERSED", null), ("ENTRY_POSTED", "rev"),
        }), "an account's events in order, one partition per key");
        var last = ofA[^1];
        Assert.That(((long)last["available"]!, (long)last["held"]!), Is.EqualTo((10_000L - 3_000 + 1_000, 2_000L)), "balances after the last event");
        var hold = ofA.Single(e => (string?)e["correlationId"] == "hold");
        Assert.That(((string)hold["direction"]!, (string)hold["entryKind"]!, (long)hold["amount"]!, (int)hold["entryType"]!), Is.EqualTo(("DEBIT", "blocking", 3_000L, 998)));
        Assert.That(ofA.Select(e => ((long)e["record"]!, (int)e["index"]!)), Is.Ordered, "positions increase along a key");
        Assert.That(events.Where(e => (long)e["account"]! == b.Number).Select(e => (string)e["kind"]!), Is.EqualTo(new[] { "ACCOUNT_OPENED", "ENTRY_POSTED" }));
    }

    [Category("Tools")]
    [Test]
    public async Task KcatShouldReadTheEventsAndTheSchemaShouldDecodeWhatItPrinted()
    {
        using var kafka = KafkaMockCluster.Start(1, "ledger.events");
        await using var server = await GatewayServer.StartAsync($"Ledger:Kafka:BootstrapServers={kafka.BootstrapServers}");
        var account = await server.OpenAccountAsync();
        using var client = await server.ClientAsync();
        (await client.PostAsync(account.Batches, Batch(Entry("ledger", "k1", 100, 700), Entry("blocking", "k2", 998, 200)))).EnsureSuccessStatusCode();
        EventReader.ReadUntil(kafka, "ledger.events", all => all.Count >= 3); // published

        // kcat (Debian's, its own librdkafka): each message as "<value length> <key>\n<value>\n", raw bytes to a file.
        string file = Path.GetTempFileName();
        var run = ToolRun.Run("bash", ["-c", $"kcat -b {kafka.BootstrapServers} -C -t ledger.events -o beginning -e -q -f '%S %k\\n%s\\n' > {file}"], null, TimeSpan.FromSeconds(60));
        Assert.That(run.ExitCode, Is.Zero, "kcat is installed by .ci/setup.sh\n" + run);
        var bytes = File.ReadAllBytes(file);
        File.Delete(file);
        var events = new List<Dictionary<string, object?>>();
        for (int at = 0; at < bytes.Length;)
        {
            int newline = Array.IndexOf(bytes, (byte)'\n', at);
            var head = Encoding.ASCII.GetString(bytes, at, newline - at).Split(' ');
            int length = int.Parse(head[0], System.Globalization.CultureInfo.InvariantCulture);
            var e = EventReader.Decode(bytes[(newline + 1)..(newline + 1 + length)]);
            Assert.That(head[1], Is.EqualTo($"{e["branch"]}/{e["account"]}"));
            events.Add(e);
            at = newline + 1 + length + 1;
        }
        var mine = events.Where(e => (long)e["account"]! == account.Number).ToList();
        Assert.That(mine.Select(e => (string)e["kind"]!), Is.EqualTo(new[] { "ACCOUNT_OPENED", "ENTRY_POSTED", "ENTRY_PENDING" }));
        Assert.That(((long)mine[^1]["available"]!, (long)mine[^1]["held"]!), Is.EqualTo((500L, 200L)));
    }

    [Test]
    public async Task AfterARestartThePublisherShouldResumeWithNoGap()
    {
        using var kafka = KafkaMockCluster.Start("ledger.events");
        string dataDir = GatewayServer.NewDataDir();
        string setting = $"Ledger:Kafka:BootstrapServers={kafka.BootstrapServers}";
        TestAccount account;
        await using (var first = await GatewayServer.StartOnAsync(dataDir, setting))
        {
            account = await first.OpenAccountAsync();
            using var client = await first.ClientAsync();
            for (int i = 0; i < 20; i++) (await client.PostAsync(account.Batches, Deposit($"d{i}", 1))).EnsureSuccessStatusCode();
        }
        await using (var second = await GatewayServer.StartOnAsync(dataDir, setting))
        {
            using var client = await second.ClientAsync();
            for (int i = 20; i < 40; i++) (await client.PostAsync(account.Batches, Deposit($"d{i}", 1))).EnsureSuccessStatusCode();
            var events = EventReader.ReadUntil(kafka, "ledger.events", all => all.Any(e => (string?)e["correlationId"] == "d39"));
            // A consumer that drops what it has seen by position sees each event once, and none is missing.
            var once = events.DistinctBy(e => ((long)e["record"]!, (int)e["index"]!)).Where(e => (long)e["account"]! == account.Number).ToList();
            Assert.That(once.Where(e => (string)e["kind"]! == "ENTRY_POSTED").Select(e => (string)e["correlationId"]!),
                Is.EqualTo(Enumerable.Range(0, 40).Select(i => $"d{i}")));
            Assert.That((long)once[^1]["available"]!, Is.EqualTo(40));
        }
        Directory.Delete(dataDir, recursive: true);
    }

    [Test]
    public async Task AfterAStopUnderLoadNoEventShouldBePublishedTwice()
    {
        using var kafka = KafkaMockCluster.Start("ledger.events");
        string dataDir = GatewayServer.NewDataDir();
        string setting = $"Ledger:Kafka:BootstrapServers={kafka.BootstrapServers}";
        int posted = 0;
        TestAccount account;
        await using (var first = await GatewayServer.StartOnAsync(dataDir, setting))
        {
            account = await first.OpenAccountAsync();
            using var client = await first.ClientAsync();
            kafka.DelayAnswers(TimeSpan.FromMilliseconds(500)); // so the last records are still in flight at the stop
            var until = DateTime.UtcNow.AddSeconds(2);
            await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
            {
                for (int i = 0; DateTime.UtcNow < until; i++)
                {
                    (await client.PostAsync(account.Batches, Deposit($"w{w}-{i}", 1))).EnsureSuccessStatusCode();
                    Interlocked.Increment(ref posted);
                }
            })));
        } // stopped as the load ends, with events of the last records in flight
        kafka.DelayAnswers(TimeSpan.Zero);
        await using (var second = await GatewayServer.StartOnAsync(dataDir, setting))
        {
            using var client = await second.ClientAsync();
            (await client.PostAsync(account.Batches, Deposit("after", 1))).EnsureSuccessStatusCode(); // the same key: after the others on its partition
            var events = EventReader.ReadUntil(kafka, "ledger.events", all => all.Any(e => (string?)e["correlationId"] == "after"));
            Assert.That(events.Select(e => ((long)e["record"]!, (int)e["index"]!)), Is.Unique, "a stop saves what Kafka acknowledged, so the next start publishes none of it again");
            Assert.That(events.Count(e => ((string?)e["correlationId"])?.StartsWith('w') == true), Is.EqualTo(posted), "and misses nothing");
        }
        Directory.Delete(dataDir, recursive: true);
    }

    [Test]
    public async Task ThePublishersLagShouldCountARecordsOwnWaitNotTheIdleTimeBeforeIt()
    {
        var kafka = KafkaMockCluster.Start("ledger.events");
        try
        {
            await using var server = await GatewayServer.StartAsync($"Ledger:Kafka:BootstrapServers={kafka.BootstrapServers}");
            var account = await server.OpenAccountAsync();
            using var client = await server.ClientAsync();
            (await client.PostAsync(account.Batches, Deposit("before", 1))).EnsureSuccessStatusCode();
            var publisher = server.Runtime.Publisher!;
            var journal = server.Runtime.Store!.Journal;
            var caughtUp = Stopwatch.StartNew();
            while (publisher.Acknowledged.Record < journal.CommittedRecordNumber && caughtUp.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(20);
            Assert.That(publisher.SecondsBehind(journal.CommittedRecordNumber), Is.Zero, "caught up");

            await Task.Delay(3_000); // idle: the last acknowledged record grows old
            kafka.Dispose(); // Kafka down: the next record stays unacknowledged
            (await client.PostAsync(account.Batches, Deposit("after", 1))).EnsureSuccessStatusCode();
            var waiting = Stopwatch.StartNew();
            double lag = publisher.SecondsBehind(journal.CommittedRecordNumber);
            Assert.That(lag, Is.GreaterThan(0).And.LessThan(1.5 + waiting.Elapsed.TotalSeconds), "the new record's own wait, not the 3 s idle before it");
            while (waiting.Elapsed < TimeSpan.FromSeconds(2)) await Task.Delay(50); // a timer may fire a few ms early: ask the stopwatch
            Assert.That(publisher.SecondsBehind(journal.CommittedRecordNumber), Is.GreaterThanOrEqualTo(2), "and it grows while Kafka is down");
        }
        finally
        {
            kafka.Dispose();
        }
    }
}

/// <summary>
/// SIGKILL of the service (a child process) at seeded moments while it posts and publishes: after the last restart
/// every acknowledged entry's event is on ledger.events, no journal record's events are missing, and a consumer that
/// drops duplicates by (record, index) sees each event once; a duplicate is the same event, byte for byte.
/// </summary>
[Category("Process")]
public sealed class KafkaPublisherCrashTests
{
    private const int Seed = 20261201;

    [Test]
    public async Task AfterEachKillNoAcknowledgedEventShouldBeMissingOrAppliedTwice()
    {
        using var kafka = KafkaMockCluster.Start("ledger.events");
        string dataDir = GatewayServer.NewDataDir();
        string[] settings = [$"Ledger:Kafka:BootstrapServers={kafka.BootstrapServers}", "Ledger:Kafka:PublisherSaveMilliseconds=50"];
        var random = new Random(Seed);
        var acked = new HashSet<string>();
        var account = new Ledger.Engine.Domain.AccountKey(4, 700_001);
        try
        {
            for (int round = 0; round < 3; round++)
            {
                using var gateway = await GatewayProcess.StartAsync(dataDir, settings);
                if (round == 0)
                {
                    using var admin = await gateway.ClientAsync("ledger-admin");
                    (await admin.PostAsync("/v1/accounts", Json($"{{\"branch\":4,\"account\":{account.Number},\"currency\":\"USD\"}}"))).EnsureSuccessStatusCode();
                }
                using var client = await gateway.ClientAsync();
                var until = DateTime.UtcNow.AddMilliseconds(random.Next(800, 2_000));
                var workers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
                {
                    for (int i = 0; DateTime.UtcNow < until; i++)
                    {
                        string id = $"r{round}-w{w}-{i}";
                        try
                        {
                            using var posted = await client.PostAsync($"/v1/accounts/4/{account.Number}/batches", Deposit(id, 1));
                            if (posted.StatusCode == System.Net.HttpStatusCode.Created) lock (acked) acked.Add(id);
                        }
                        catch (HttpRequestException)
                        {
                            return; // killed under us
                        }
                    }
                })).ToArray();
                await Task.Delay(random.Next(300, 900));
                gateway.Kill(); // mid-load: posts and publishing in flight
                await Task.WhenAll(workers);
            }

            using (var last = await GatewayProcess.StartAsync(dataDir, settings))
            {
                var events = EventReader.ReadUntil(kafka, "ledger.events", all =>
                {
                    var ids = all.Where(e => (string)e["kind"]! == "ENTRY_POSTED").Select(e => (string)e["correlationId"]!).ToHashSet();
                    lock (acked) return acked.All(ids.Contains);
                });
                var byPosition = new Dictionary<(long, int), Dictionary<string, object?>>();
                foreach (var e in events)
                {
                    var position = ((long)e["record"]!, (int)e["index"]!);
                    if (byPosition.TryGetValue(position, out var seen))
                        Assert.That(e, Is.EquivalentTo(seen), $"a duplicate at {position} is the same event");
                    else
                        byPosition[position] = e;
                }
                var once = byPosition.OrderBy(p => p.Key).Select(p => p.Value).ToList();
                var records = once.Select(e => (long)e["record"]!).Distinct().ToList();
                Assert.That(records, Is.EqualTo(Enumerable.Range((int)records[0], records.Count).Select(r => (long)r)), "no journal record's events missing");
                var posted = once.Where(e => (string)e["kind"]! == "ENTRY_POSTED").ToList();
                Assert.That(posted.Select(e => (long)e["available"]!), Is.EqualTo(Enumerable.Range(1, posted.Count).Select(v => (long)v)),
                    "each deposit once, balances after it in order");
                TestContext.Out.WriteLine($"{acked.Count} acknowledged deposits over 3 kills; {events.Count} messages read, {once.Count} distinct events, {events.Count - once.Count} duplicates dropped");
            }
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }
}

/// <summary>Reads ledger.events as an independent consumer would: Apache.Avro's generic reader with the shipped schema.</summary>
internal static class EventReader
{
    private static readonly Schema EventSchema = Schema.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Kafka", "Schemas", "ledger-event.v2.avsc")));

    public static IConsumer<byte[], byte[]> Consumer(KafkaMockCluster kafka, string name) => new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
    {
        BootstrapServers = kafka.BootstrapServers, GroupId = $"{name}-{Guid.NewGuid():N}", AutoOffsetReset = AutoOffsetReset.Earliest, EnableAutoCommit = false,
    }).Build();

    /// <summary>Every event from the topic's start (all partitions) until <paramref name="done"/> says so (30 s at the most).</summary>
    public static List<Dictionary<string, object?>> ReadUntil(KafkaMockCluster kafka, string topic, Func<List<Dictionary<string, object?>>, bool> done)
    {
        using var consumer = Consumer(kafka, "reader");
        consumer.Subscribe(topic);
        var events = new List<Dictionary<string, object?>>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(500));
            if (result is null) continue;
            var e = Decode(result.Message.Value);
            Assert.That(Encoding.ASCII.GetString(result.Message.Key), Is.EqualTo($"{e["branch"]}/{e["account"]}"), "keyed by account");
            events.Add(e);
            if (done(events)) return events;
        }
        Assert.Fail($"the awaited event did not arrive in 30 s ({events.Count} read)");
        return events;
    }

    /// <summary>Avro single-object encoding: C3 01, the schema's CRC-64-AVRO fingerprint, then the record.</summary>
    public static Dictionary<string, object?> Decode(byte[] message)
    {
        Assert.That(message[0..2], Is.EqualTo(new byte[] { 0xC3, 0x01 }), "single-object marker");
        Assert.That(BinaryPrimitives.ReadInt64LittleEndian(message.AsSpan(2, 8)), Is.EqualTo(SchemaNormalization.ParsingFingerprint64(EventSchema)), "the shipped schema's fingerprint");
        var reader = new GenericDatumReader<GenericRecord>(EventSchema, EventSchema);
        using var stream = new MemoryStream(message, 10, message.Length - 10);
        var record = reader.Read(null!, new BinaryDecoder(stream));
        Assert.That(stream.Position, Is.EqualTo(stream.Length), "nothing after the record");
        return EventSchema is RecordSchema rs
            ? rs.Fields.ToDictionary(f => f.Name, f => record[f.Name] is GenericEnum en ? en.Value : (object?)record[f.Name])
            : throw new InvalidOperationException("the event schema is a record");
    }
}
