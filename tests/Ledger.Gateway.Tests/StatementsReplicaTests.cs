using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Ledger.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ledger.Gateway.Tests;

/// <summary>
/// The statements role: two replicas (<c>--Ledger:Role=statements</c>, each its own consumer group and read store), fed
/// only from ledger.events, answer balances, <c>?at=</c> and statements (v1, v2, the whole ledger) byte for byte as the
/// ledger's in-process read side does, after a mixed workload; and they serve no write endpoint. Windows that start and
/// end inside multi-entry records, readiness on a sparse topic, one trust across nodes, read-your-writes through a
/// replica with <c>Ledger-Min-Sequence</c>; and a replica (a child process) SIGKILLed at seeded moments.
/// </summary>
public sealed partial class StatementsReplicaTests
{
    private static async Task PublishedAsync(GatewayServer main, int secondsMax = 60)
    {
        // Everything the primary journaled is in ledger.events (the publisher's acknowledged position is the journal's end).
        var deadline = DateTime.UtcNow.AddSeconds(secondsMax);
        while (main.Runtime.Publisher!.Acknowledged.Record < main.Runtime.Store!.Journal.CommittedRecordNumber)
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "the primary publishes what it journaled");
            await Task.Delay(20);
        }
    }

    private static HttpRequestMessage ReadAfter(string path, long sequence)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Ledger-Min-Sequence", sequence.ToString(CultureInfo.InvariantCulture));
        return request;
    }

    private static async Task<long> PostAsync(HttpClient client, string path, HttpContent body)
    {
        using var response = await client.PostAsync(path, body);
        Assert.That(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return MaxSequence(await response.BodyAsync());
    }

    /// <summary>The highest entry sequence anywhere in an answer (a batch's entries, a bundle's legs).</summary>
    private static long MaxSequence(JsonNode? node) => node switch
    {
        JsonObject o => o.Max(p => p.Key == "sequence" && p.Value is JsonValue v ? (long)v : MaxSequence(p.Value)),
        JsonArray a => a.Count == 0 ? 0 : a.Max(MaxSequence),
        _ => 0,
    };

    [Test]
    public async Task ReplicasShouldAgreeWithThePrimaryOnWindowsThatStartAndEndInsideMultiEntryRecords()
    {
        using var kafka = KafkaMockCluster.Start("ledger.events");
        string bootstrap = $"Ledger:Kafka:BootstrapServers={kafka.BootstrapServers}";
        await using var main = await GatewayServer.StartAsync(bootstrap);
        await using var first = await GatewayServer.StartAsync(bootstrap, "Ledger:Role=statements", "Ledger:Kafka:StatementsGroup=w-1", "Ledger:ReadYourWritesWaitMax=00:00:30");
        await using var second = await GatewayServer.StartAsync(bootstrap, "Ledger:Role=statements", "Ledger:Kafka:StatementsGroup=w-2", "Ledger:ReadYourWritesWaitMax=00:00:30");

        var a = await main.OpenAccountAsync();
        var b = await main.OpenAccountAsync();
        using var writer = await main.ClientAsync();
        long last = 0;
        last = await PostAsync(writer, a.Batches, Batch(Entry("ledger", "d1", 100, 1_000), Entry("ledger", "d2", 100, 2_000), Entry("ledger", "d3", 100, 3_000)));
        last = await PostAsync(writer, a.Batches, Batch(Entry("blocking", "h1", 998, 500), Entry("ledger", "p1", 998, 100), Entry("ledger", "d4", 100, 40)));
        last = await PostAsync(writer, a.Batches, Deposit("d5", 7));
        last = await PostAsync(writer, "/v1/transaction-bundles", Json($"{{\"bundleId\":\"w1\",\"legs\":[{{\"branch\":{a.Branch},\"account\":{a.Number},\"entries\":[{Entry("ledger", "t-out", 200, 250)},{Entry("ledger", "t-out2", 200, 50)}]}},{{\"branch\":{b.Branch},\"account\":{b.Number},\"entries\":[{Entry("ledger", "t-in", 201, 250)},{Entry("ledger", "t-in2", 201, 50)}]}}]}}"));
        last = Math.Max(last, await PostAsync(writer, a.Batches, Batch(Entry("ledger", "d6", 100, 1), Entry("unblocking", "u1", unblocks: "h1", amount: 200), Entry("reversal", "r1", reverses: "p1"), Entry("ledger", "d7", 100, 2))));

        using var reference = await main.ClientAsync();
        var instants = (await reference.StatementAsync(a)).Select(e => (string)e!["timestamp"]!).Distinct().ToList();
        Assert.That(instants, Has.Count.EqualTo(5), "five journal records on account a");
        var froms = instants.Prepend("2000-01-01").ToList();
        var tos = instants.Append("2100-01-01").ToList();
        var queries = new List<string>();
        foreach (var account in new[] { a, b })
        {
            foreach (string from in froms)
            {
                foreach (string to in tos)
                {
                    if (DateTime.Parse(to, CultureInfo.InvariantCulture) <= DateTime.Parse(from, CultureInfo.InvariantCulture)) continue;
                    string window = $"from={Uri.EscapeDataString(from)}&to={Uri.EscapeDataString(to)}";
                    queries.Add($"{account.Statement}&{window}");
                    queries.Add($"{account.StatementV2}&{window}&limit=2");
                    queries.Add($"/v1/entries?{window}");
                }
                if (from != froms[0]) queries.Add($"{account.Balances}?at={Uri.EscapeDataString(from)}"); // (before opening: a Problem with its own traceId)
            }
        }
        foreach (var replica in new[] { first, second })
        {
            using var client = await replica.ClientAsync();
            // Read-your-writes with the newest sequence of each account (what its partner was answered last).
            using (var caughtUp = await client.SendAsync(ReadAfter(a.Statement, last))) caughtUp.EnsureSuccessStatusCode();
            long lastOfB = MaxSequence(await reference.StatementAsync(b));
            using (var caughtUpB = await client.SendAsync(ReadAfter(b.Statement, lastOfB))) caughtUpB.EnsureSuccessStatusCode();
            foreach (var q in queries)
            {
                using var expected = await reference.GetAsync(q);
                Assert.That(expected.StatusCode, Is.EqualTo(HttpStatusCode.OK), q);
                Assert.That(await Body(client, q), Is.EqualTo(await expected.Content.ReadAsStringAsync()), $"{q} on {replica.Address}");
            }
        }
    }

    [Test]
    public async Task AReplicaOnASparseTopicShouldNeverBeReadyBeforeItHoldsTheData()
    {
        using var kafka = KafkaMockCluster.Start(partitions: 4, "ledger.events");
        string bootstrap = $"Ledger:Kafka:BootstrapServers={kafka.BootstrapServers}";
        await using var main = await GatewayServer.StartAsync(bootstrap);
        var a = await main.OpenAccountAsync(); // one account: its events are all in one of the four partitions
        using var writer = await main.ClientAsync();
        for (int i = 0; i < 60; i++)
        {
            await PostAsync(writer, a.Batches, Batch(Entry("ledger", $"s{i}a", 100, 10 + i), Entry("ledger", $"s{i}b", 100, 1), Entry("blocking", $"s{i}c", 998, 1)));
        }
        await PublishedAsync(main);
        using var reference = await main.ClientAsync();
        string balances = await Body(reference, a.Balances), statement = await Body(reference, a.Statement + "&limit=1000");

        for (int start = 0; start < 4; start++)
        {
            // StartAsync returns when the runtime turned ready: from then on, reads must show everything published before.
            await using var replica = await GatewayServer.StartAsync(bootstrap, "Ledger:Role=statements", $"Ledger:Kafka:StatementsGroup=sparse-{start}");
            using (var ready = await replica.Anonymous.GetAsync("/health/ready"))
            {
                string text = await ready.Content.ReadAsStringAsync();
                Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
                Assert.That(text, Does.StartWith($"Healthy: journal record {main.Runtime.Store!.Journal.CommittedRecordNumber}, "), "the readiness body says how far the replica is");
                Assert.That(text, Does.Contain("0 records and 0.0 s behind"));
            }
            using var client = await replica.ClientAsync();
            Assert.That(await Body(client, a.Balances), Is.EqualTo(balances), $"start {start}");
            Assert.That(await Body(client, a.Statement + "&limit=1000"), Is.EqualTo(statement), $"start {start}");
            string metrics = await Body(replica.Anonymous, "/metrics");
            Assert.That(metrics, Does.Contain("ledger_replica_lag_records 0").And.Contain("ledger_replica_caught_up 1").And.Contain($"ledger_replica_journal_record {main.Runtime.Store!.Journal.CommittedRecordNumber}\n"));
        }
    }

    [Test]
    public async Task AReplicaShouldRefuseATopicThatLostItsBeginningInsteadOfServingStatementsWithHoles()
    {
        // The mock cluster keeps at most 5 MB per partition and deletes the oldest message sets past it, as retention
        // would: publish more than that to one partition, and the topic no longer holds its first events.
        using var kafka = KafkaMockCluster.Start(partitions: 1, "ledger.events");
        string bootstrap = $"Ledger:Kafka:BootstrapServers={kafka.BootstrapServers}";
        await using var main = await GatewayServer.StartAsync(bootstrap);
        var a = await main.OpenAccountAsync();
        using var writer = await main.ClientAsync();
        string padding = new('x', 200);
        await Parallel.ForEachAsync(Enumerable.Range(0, 300), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (b, cancel) =>
        {
            var entries = Enumerable.Range(0, 100).Select(k => Entry("ledger", $"hole-{b}-{k}", 100, 1, description: padding)).ToArray();
            using var response = await writer.PostAsync(a.Batches, Batch(entries), cancel);
            response.EnsureSuccessStatusCode();
        });
        await PublishedAsync(main);
        using (var probe = new Confluent.Kafka.ConsumerBuilder<byte[], byte[]>(new Confluent.Kafka.ConsumerConfig { BootstrapServers = kafka.BootstrapServers, GroupId = "probe" }).Build())
        {
            var marks = probe.QueryWatermarkOffsets(new Confluent.Kafka.TopicPartition("ledger.events", 0), TimeSpan.FromSeconds(10));
            Assume.That(marks.Low.Value, Is.GreaterThan(0), "the mock cluster deleted the partition's first events");
        }

        string dataDir = GatewayServer.NewDataDir();
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            using var replica = await GatewayProcess.StartAsync(dataDir, bootstrap, "Ledger:Role=statements", "Ledger:Kafka:StatementsGroup=holes");
        });
        Assert.That(refused!.Message, Does.Contain("The gateway exited with 1"), "never ready: it stops");
        Assert.That(refused.Message, Does.Contain("ledger.events partition 0 begins at offset").And.Contain("retention.ms=-1"), "and says why");
        Directory.Delete(dataDir, recursive: true);
    }

    [Test]
    public async Task AnEventItCannotReadShouldStopTheReplicaNotReadySayingWhereAndWhy()
    {
        using var kafka = KafkaMockCluster.Start(partitions: 1, "ledger.events");
        await using var replica = await GatewayServer.StartAsync($"Ledger:Kafka:BootstrapServers={kafka.BootstrapServers}", "Ledger:Role=statements",
            "Ledger:Kafka:StatementsGroup=hostile"); // an empty topic: ready at once
        // This deployment's framing header, then a datum whose event kind is past the schema's symbols.
        byte[] header = Kafka.AvroFraming.Header(Kafka.AvroFraming.Load(Kafka.EventAvro.SchemaFile));
        using (var producer = new Confluent.Kafka.ProducerBuilder<byte[], byte[]>(new Confluent.Kafka.ProducerConfig { BootstrapServers = kafka.BootstrapServers }).Build())
        {
            await producer.ProduceAsync("ledger.events", new Confluent.Kafka.Message<byte[], byte[]> { Key = "1/1"u8.ToArray(), Value = [.. header, 0x02, 0x00, 0x0E] });
        }
        string body = await StoppedBodyAsync(replica);
        Assert.That(body, Does.Contain("stopped reading ledger.events: ledger.events partition 0 offset 0: the message does not decode as ledger.events.v1.LedgerEvent"));
        using var client = await replica.ClientAsync();
        using var read = await client.GetAsync("/v1/entries");
        var problem = await read.ProblemAsync(503, "not-ready");
        Assert.That((string?)problem["detail"], Does.Contain("partition 0 offset 0"), "a read says why too");
        Assert.That(replica.Runtime.FeedFault, Is.Not.Null, "the process stays up (a restart would stop at the same offset)");
    }

    [Test]
    public async Task APrimarysTokenShouldBeAcceptedByAReplicaSharingItsKeyAndIssuer()
    {
        using var kafka = KafkaMockCluster.Start("ledger.events");
        string bootstrap = $"Ledger:Kafka:BootstrapServers={kafka.BootstrapServers}";
        string keyFile = Path.Combine(Path.GetTempPath(), $"ledger-shared-key-{Guid.NewGuid():N}.pem");
        using (var rsa = RSA.Create(2048)) await File.WriteAllTextAsync(keyFile, rsa.ExportPkcs8PrivateKeyPem());
        try
        {
            string[] trust = [$"Ledger:Auth:SigningKeyPath={keyFile}", "Ledger:Auth:Issuer=https://ledger.example.test/"];
            await using var main = await GatewayServer.StartAsync([bootstrap, .. trust]);
            await using var replica = await GatewayServer.StartAsync([bootstrap, "Ledger:Role=statements", "Ledger:Kafka:StatementsGroup=trust", "Ledger:ReadYourWritesWaitMax=00:00:30", .. trust]);
            await using var stranger = await GatewayServer.StartAsync(bootstrap, "Ledger:Role=statements", "Ledger:Kafka:StatementsGroup=stranger");

            var a = await main.OpenAccountAsync();
            using var writer = await main.ClientAsync();
            long sequence = await PostAsync(writer, a.Batches, Deposit("tok", 5));

            using var onReplica = replica.ClientWithToken(await main.TokenAsync("demo-partner"));
            using (var read = await onReplica.SendAsync(ReadAfter(a.Balances, sequence)))
            {
                Assert.That(read.StatusCode, Is.EqualTo(HttpStatusCode.OK), await read.Content.ReadAsStringAsync());
            }
            using var replicaToken = main.ClientWithToken(await replica.TokenAsync("demo-partner"));
            using (var back = await replicaToken.GetAsync(a.Balances)) Assert.That(back.StatusCode, Is.EqualTo(HttpStatusCode.OK), "and a replica's token on the primary");

            using var onStranger = stranger.ClientWithToken(await main.TokenAsync("demo-partner"));
            using var refused = await onStranger.GetAsync(a.Balances);
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "a node with a key of its own does not trust the primary's tokens");
        }
        finally
        {
            File.Delete(keyFile);
        }
    }

    [Test]
    public async Task AReplicaShouldReadEventsWrittenUnderTheFirstSchemaVersion()
    {
        // Issue 16 added feeOf in ledger-event.v2.avsc; a topic written before holds version-1 events, which a new replica
        // resolves into version 2 (feeOf null). Written here by hand, as the earlier build framed them.
        using var kafka = KafkaMockCluster.Start("ledger.events");
        var v1 = (Avro.RecordSchema)Kafka.AvroFraming.Load(Kafka.EventAvro.SchemaFileV1);
        var header = Kafka.AvroFraming.Header(v1);
        const int branch = 1;
        const long account = 424_242;
        long ticks = new DateTime(2026, 6, 21, 12, 0, 0, DateTimeKind.Utc).Ticks;
        byte[] Event(long record, string kind, long sequence, string? correlationId, long amount, long available)
        {
            var r = new Avro.Generic.GenericRecord(v1);
            Avro.Schema Of(string field) => v1[field].Schema is Avro.UnionSchema u ? u.Schemas[1] : v1[field].Schema;
            bool entry = kind != "ACCOUNT_OPENED";
            r.Add("record", record);
            r.Add("index", 0);
            r.Add("kind", new Avro.Generic.GenericEnum((Avro.EnumSchema)Of("kind"), kind));
            r.Add("sequence", sequence);
            r.Add("causedBySequence", 0L);
            r.Add("timestamp", new DateTime(ticks, DateTimeKind.Utc));
            r.Add("timestampTicks", ticks);
            r.Add("branch", branch);
            r.Add("account", account);
            r.Add("currency", "USD");
            r.Add("correlationId", correlationId);
            r.Add("entryType", entry ? 100 : null);
            r.Add("entryKind", entry ? new Avro.Generic.GenericEnum((Avro.EnumSchema)Of("entryKind"), "ledger") : null);
            r.Add("direction", entry ? new Avro.Generic.GenericEnum((Avro.EnumSchema)Of("direction"), "CREDIT") : null);
            r.Add("status", entry ? new Avro.Generic.GenericEnum((Avro.EnumSchema)Of("status"), "POSTED") : null);
            r.Add("amount", amount);
            r.Add("description", null);
            r.Add("reference", 0L);
            r.Add("expiresAtTicks", 0L);
            r.Add("available", available);
            r.Add("held", 0L);
            return Kafka.AvroFraming.Write(v1, header, r);
        }
        using (var producer = new Confluent.Kafka.ProducerBuilder<byte[], byte[]>(new Confluent.Kafka.ProducerConfig { BootstrapServers = kafka.BootstrapServers }).Build())
        {
            byte[] key = System.Text.Encoding.ASCII.GetBytes($"{branch}/{account}");
            producer.Produce("ledger.events", new Confluent.Kafka.Message<byte[], byte[]> { Key = key, Value = Event(2, "ACCOUNT_OPENED", 0, null, 0, 0) });
            producer.Produce("ledger.events", new Confluent.Kafka.Message<byte[], byte[]> { Key = key, Value = Event(3, "ENTRY_POSTED", 1, "old-dep", 700, 700) });
            Assert.That(producer.Flush(TimeSpan.FromSeconds(10)), Is.Zero);
        }
        await using var replica = await GatewayServer.StartAsync($"Ledger:Kafka:BootstrapServers={kafka.BootstrapServers}", "Ledger:Role=statements",
            "Ledger:Kafka:StatementsGroup=v1", "Ledger:ReadYourWritesWaitMax=00:00:30");
        using var reader = await replica.ClientAsync();
        var a = new TestAccount(branch, account);
        using var statement = await reader.SendAsync(ReadAfter(a.Statement, 1));
        var entries = (await statement.EnsureSuccessStatusCode().BodyAsync())["entries"]!.AsArray();
        Assert.That(entries.Select(e => ((string?)e!["correlationId"], (long)e["amount"]!["value"]!)), Is.EqualTo(new[] { ((string?)"old-dep", 700L) }));
    }

    [Test]
    public async Task APartnerShouldReadItsOwnWriteThroughAReplicaWithTheSequenceHeader()
    {
        using var kafka = KafkaMockCluster.Start("ledger.events");
        string bootstrap = $"Ledger:Kafka:BootstrapServers={kafka.BootstrapServers}";
        await using var main = await GatewayServer.StartAsync(bootstrap);
        await using var replica = await GatewayServer.StartAsync(bootstrap, "Ledger:Role=statements", "Ledger:Kafka:StatementsGroup=ryw",
            "Ledger:ReadYourWritesWaitMax=00:00:30", "Ledger:Statements:WritesUrl=https://ledger-primary.example.test");
        var a = await main.OpenAccountAsync();
        using var writer = await main.ClientAsync();
        using var reader = await replica.ClientAsync();
        for (int i = 0; i < 25; i++)
        {
            using var posted = await writer.PostAsync(a.Batches, Batch(Entry("ledger", $"ryw{i}", 100, 100 + i), Entry("blocking", $"ryw{i}h", 998, 10)));
            var answer = await posted.EnsureSuccessStatusCode().BodyAsync();
            long sequence = answer["entries"]!.AsArray().Max(e => (long)e!["sequence"]!);
            using var read = await reader.SendAsync(ReadAfter(a.Balances, sequence));
            var balances = await read.EnsureSuccessStatusCode().BodyAsync();
            Assert.That(Http.Balances(balances["balances"]!), Is.EqualTo(Http.Balances(answer["balances"]!)), $"write {i}: the replica waited for it");
            using var statement = await reader.SendAsync(ReadAfter(a.Statement + "&limit=1000", sequence));
            var entries = (await statement.EnsureSuccessStatusCode().BodyAsync())["entries"]!.AsArray();
            Assert.That((long)entries[^1]!["sequence"]!, Is.EqualTo(sequence));
        }

        using (var bad = await reader.SendAsync(ReadAfter(a.Balances, 0))) await bad.ProblemAsync(400, "validation");
        using var write = await reader.PostAsync(a.Batches, Deposit("to-replica", 1));
        var problem = await write.ProblemAsync(421, "read-only-replica");
        Assert.That((string?)problem["detail"], Does.Contain("https://ledger-primary.example.test"));
        using var delete = await reader.DeleteAsync($"{a.Path}/entries?correlationId=ryw0h");
        await delete.ProblemAsync(421, "read-only-replica");
    }

    [Category("Process")]
    [Test]
    public async Task AReplicaKilledAtSeededMomentsShouldResumeWhereItWasAndAnswerAsThePrimary()
    {
        var random = new Random(20261206);
        using var kafka = KafkaMockCluster.Start("ledger.events");
        string bootstrap = $"Ledger:Kafka:BootstrapServers={kafka.BootstrapServers}";
        await using var main = await GatewayServer.StartAsync(bootstrap);
        var accounts = new TestAccount[4];
        for (int i = 0; i < accounts.Length; i++) accounts[i] = await main.OpenAccountAsync();
        var lastOf = new long[accounts.Length];
        using var writer = await main.ClientAsync();
        using var stop = new CancellationTokenSource();
        var posting = Task.Run(async () =>
        {
            var load = new Random(7);
            for (int n = 0; !stop.IsCancellationRequested; n++)
            {
                int i = n % accounts.Length;
                var entries = Enumerable.Range(0, load.Next(1, 5)).Select(k => Entry("ledger", $"k{n}-{k}", 100, 1 + load.Next(1000))).ToArray();
                lastOf[i] = await PostAsync(writer, accounts[i].Batches, Batch(entries));
            }
        });

        string dataDir = GatewayServer.NewDataDir();
        string[] settings = [bootstrap, "Ledger:Role=statements", "Ledger:Kafka:StatementsGroup=crash", "Ledger:ReadYourWritesWaitMax=00:00:30"];
        long heldBeforeKill = 0;
        int rounds = 3;
        for (int round = 0; round <= rounds; round++)
        {
            if (round == rounds)
            {
                await stop.CancelAsync();
                await posting;
                await PublishedAsync(main);
            }
            using var replica = await GatewayProcess.StartAsync(dataDir, settings);
            var resumed = Regex.Match(replica.Log, @"Statements feed resumes at journal record (\d+)");
            Assert.That(resumed.Success, replica.Log);
            long resumedAt = long.Parse(resumed.Groups[1].Value, CultureInfo.InvariantCulture);
            if (round > 0)
            {
                Assert.That(resumedAt, Is.GreaterThanOrEqualTo(heldBeforeKill), $"round {round}: no regression in time\n{replica.Log}");
                Assert.That(resumedAt, Is.GreaterThan(0));
                Assert.That(replica.Log, Does.Not.Contain("every partition from its beginning"), "no re-read from the beginning");
            }
            if (round < rounds)
            {
                await Task.Delay(random.Next(100, 1_500));
                heldBeforeKill = await HeldRecordAsync(replica);
                replica.Kill();
                continue;
            }

            // The last start: caught up, it answers as the primary for every account.
            using var client = await replica.ClientAsync();
            using var reference = await main.ClientAsync();
            for (int i = 0; i < accounts.Length; i++)
            {
                string statement = accounts[i].Statement + "&limit=1000";
                using var held = await client.SendAsync(ReadAfter(statement, lastOf[i]));
                Assert.That(held.StatusCode, Is.EqualTo(HttpStatusCode.OK));
                Assert.That(await held.Content.ReadAsStringAsync(), Is.EqualTo(await Body(reference, statement)), $"account {i}");
                Assert.That(await Body(client, accounts[i].Balances), Is.EqualTo(await Body(reference, accounts[i].Balances)));
            }
            string metrics = await Body(client, "/metrics");
            var applied = Regex.Match(metrics, @"ledger_replica_events_applied_total (\d+)");
            Assert.That(applied.Success, metrics);
            Assert.That(long.Parse(applied.Groups[1].Value, CultureInfo.InvariantCulture), Is.LessThan(main.Runtime.Host!.Engine.LastSequence),
                "the last start applied only what came after the last kill");
            TestContext.Out.WriteLine(replica.Log);
        }
        Directory.Delete(dataDir, recursive: true);
    }

    /// <summary>
    /// Replica catch-up rate and restart-to-ready (figures for docs/perf.md, not a gate): the primary posts
    /// <c>LEDGER_REPLICA_EVENTS</c> entries (default 200 000) in batches of <c>LEDGER_REPLICA_BATCH</c> (default 100) over 8 accounts, everything is published,
    /// then a replica (a child process) starts on an empty store: time to ready and events/s; then SIGKILL and a restart:
    /// time to ready again (nothing to catch up, so this is process start, store open and the end-offset check).
    /// <c>LEDGER_REPLICA_SPREAD=1</c>: each batch is a bundle with one entry on each of <c>LEDGER_REPLICA_BATCH</c> consecutive
    /// accounts instead, so every record's events span partitions (the replica holds them until the record is whole).
    /// </summary>
    [Test, Explicit("measurement: LEDGER_REPLICA_EVENTS=200000 dotnet test tests/Ledger.Gateway.Tests --filter Name~MeasureReplicaCatchUp")]
    public async Task MeasureReplicaCatchUpAndRestartToReady()
    {
        int events = int.TryParse(Environment.GetEnvironmentVariable("LEDGER_REPLICA_EVENTS"), out int n) ? n : 200_000;
        int batch = int.TryParse(Environment.GetEnvironmentVariable("LEDGER_REPLICA_BATCH"), out int size) ? size : 100;
        // The mock keeps at most 5 MB per partition (KafkaMockCluster): big runs need more partitions, and accounts to fill them.
        int partitions = int.TryParse(Environment.GetEnvironmentVariable("LEDGER_REPLICA_PARTITIONS"), out int p) ? p : 4;
        int accountCount = int.TryParse(Environment.GetEnvironmentVariable("LEDGER_REPLICA_ACCOUNTS"), out int c) ? c : 8;
        bool spread = Environment.GetEnvironmentVariable("LEDGER_REPLICA_SPREAD") == "1";
        using var kafka = KafkaMockCluster.Start(partitions, "ledger.events");
        string bootstrap = $"Ledger:Kafka:BootstrapServers={kafka.BootstrapServers}";
        await using var main = await GatewayServer.StartAsync(bootstrap);
        var accounts = new TestAccount[accountCount];
        for (int i = 0; i < accounts.Length; i++) accounts[i] = await main.OpenAccountAsync();
        using var writer = await main.ClientAsync();
        var posting = System.Diagnostics.Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, events / batch), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (b, cancel) =>
        {
            using var response = spread
                ? await writer.PostAsync("/v1/transaction-bundles", Json($"{{\"bundleId\":\"m{b}\",\"legs\":[" + string.Join(",", Enumerable.Range(0, batch).Select(k =>
                    $"{{\"branch\":{accounts[(b + k) % accounts.Length].Branch},\"account\":{accounts[(b + k) % accounts.Length].Number},\"entries\":[{Entry("ledger", $"m{b}-{k}", 201, 1 + k)}]}}")) + "]}"), cancel)
                : await writer.PostAsync(accounts[b % accounts.Length].Batches, Batch([.. Enumerable.Range(0, batch).Select(k => Entry("ledger", $"m{b}-{k}", 100, 1 + k))]), cancel);
            response.EnsureSuccessStatusCode();
        });
        await PublishedAsync(main, secondsMax: 1_800);
        TestContext.Out.WriteLine($"primary: {events} entries ({(spread ? "bundles, one entry on each of" : "batches of")} {batch}{(spread ? " accounts" : "")}, {accountCount} accounts, {partitions} partitions) posted and published in {posting.Elapsed.TotalSeconds:F1} s");

        string dataDir = GatewayServer.NewDataDir();
        string[] settings = [bootstrap, "Ledger:Role=statements", "Ledger:Kafka:StatementsGroup=measure"];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using (var fresh = await GatewayProcess.StartAsync(TimeSpan.FromHours(1), dataDir, settings))
        {
            double seconds = clock.Elapsed.TotalSeconds;
            var ready = Regex.Match(fresh.Log, @"Statements replica ready in ([\d.]+) s");
            double inside = double.Parse(ready.Groups[1].Value, CultureInfo.InvariantCulture);
            double assigned = double.Parse(Regex.Match(fresh.Log, @"assigned ([\d.]+) s after").Groups[1].Value, CultureInfo.InvariantCulture);
            double caughtUp = double.Parse(Regex.Match(fresh.Log, @"caught up ([\d.]+) s after").Groups[1].Value, CultureInfo.InvariantCulture);
            long fed = long.Parse(Regex.Match(fresh.Log, @"caught up [\d.]+ s after it was created: (\d+) events fed").Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.That(fed, Is.EqualTo(events + accounts.Length), "the replica fed every event (a rate over part of them would be no figure)");
            TestContext.Out.WriteLine($"fresh replica: ready {seconds:F1} s after launch ({inside:F1} s after its runtime started); " +
                $"{events + accounts.Length} events fed in {caughtUp - assigned:F2} s from assignment to caught up = {(events + accounts.Length) / (caughtUp - assigned):N0} events/s");
            foreach (string line in fresh.Log.Split('\n').Where(l => l.Contains("Statements", StringComparison.Ordinal))) TestContext.Out.WriteLine("fresh: " + line.Trim());
            fresh.Kill();
        }
        clock.Restart();
        using var restarted = await GatewayProcess.StartAsync(TimeSpan.FromMinutes(10), dataDir, settings);
        var again = Regex.Match(restarted.Log, @"Statements replica ready in ([\d.]+) s");
        TestContext.Out.WriteLine($"after SIGKILL: ready {clock.Elapsed.TotalSeconds:F1} s after launch ({again.Groups[1].Value} s after its runtime started)");
        TestContext.Out.WriteLine(restarted.Log);
        restarted.Kill();
        Directory.Delete(dataDir, recursive: true);
    }

    [Category("Process")]
    [Test]
    public async Task AReplicaShouldDropTheEventsThePublisherProducesAgain()
    {
        using var kafka = KafkaMockCluster.Start("ledger.events");
        string bootstrap = $"Ledger:Kafka:BootstrapServers={kafka.BootstrapServers}";
        string primaryDir = GatewayServer.NewDataDir();
        await using var replica = await GatewayServer.StartAsync(bootstrap, "Ledger:Role=statements", "Ledger:Kafka:StatementsGroup=dups", "Ledger:ReadYourWritesWaitMax=00:00:30");
        TestAccount a;
        string expected;
        long last;
        await using (var main = await GatewayServer.StartOnAsync(primaryDir, bootstrap))
        {
            a = await main.OpenAccountAsync();
            using var writer = await main.ClientAsync();
            await PostAsync(writer, a.Batches, Batch(Entry("ledger", "d", 100, 1_000), Entry("blocking", "h", 998, 300)));
            await PostAsync(writer, a.Batches, Batch(Entry("unblocking", "u", unblocks: "h")));
            await PostAsync(writer, a.Batches, Batch(Entry("ledger", "p", 998, 5)));
            last = await PostAsync(writer, a.Batches, Batch(Entry("reversal", "r", reverses: "p")));
            await PublishedAsync(main);
            using var reference = await main.ClientAsync();
            expected = await Body(reference, a.Statement);
        }
        // The publisher forgets how far Kafka acknowledged: the next start produces every event of the journal again.
        File.Delete(Kafka.Egress.PublishedPosition.PathIn(primaryDir));
        await using (var again = await GatewayServer.StartOnAsync(primaryDir, bootstrap))
        {
            await PublishedAsync(again);
        }
        using var client = await replica.ClientAsync();
        string metrics = "";
        for (var deadline = DateTime.UtcNow.AddSeconds(30); !metrics.Contains("ledger_replica_lag_records 0\n", StringComparison.Ordinal) || !metrics.Contains("ledger_replica_duplicates_dropped_total 8\n", StringComparison.Ordinal);)
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), metrics);
            await Task.Delay(100);
            metrics = await Body(replica.Anonymous, "/metrics");
        }
        using var read = await client.SendAsync(ReadAfter(a.Statement, last));
        Assert.That(await read.Content.ReadAsStringAsync(), Is.EqualTo(expected), "the hold stays RELEASED and the purchase reversed: nothing re-applied");
        Directory.Delete(primaryDir, recursive: true);
    }

    [Test]
    public async Task ANotReadyPollShouldWriteNoErrorLine()
    {
        // The health-check service logs an unhealthy check at Error ("fail:"): a load balancer polling a replica that is
        // catching up wrote one per poll. Its category is filtered; the runtime logs the transitions itself.
        var app = Ledger.Gateway.Hosting.GatewayApp.Build(["--urls=http://127.0.0.1:0", $"--Ledger:DataDir={GatewayServer.NewDataDir()}"]);
        await using (app)
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService");
            Assert.That(logger.IsEnabled(LogLevel.Error), Is.False);
            Assert.That(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Ledger.Gateway.Hosting.LedgerRuntime").IsEnabled(LogLevel.Information), Is.True);
        }
    }

    /// <summary>
    /// Replica lag while the primary posts 100-entry batches as fast as 8 posters can for <c>LEDGER_REPLICA_SECONDS</c>
    /// (default 20): the replica's <c>ledger_replica_lag_records</c> and <c>_seconds</c> sampled every 250 ms (figures for
    /// docs/perf.md, not a gate; everything shares the same cores).
    /// </summary>
    [Test, Explicit("measurement: dotnet test tests/Ledger.Gateway.Tests --filter Name~MeasureReplicaLag")]
    public async Task MeasureReplicaLagWhileThePrimaryPosts()
    {
        int seconds = int.TryParse(Environment.GetEnvironmentVariable("LEDGER_REPLICA_SECONDS"), out int s) ? s : 20;
        // The mock keeps at most 5 MB per partition (KafkaMockCluster): a replica further behind than that on a partition stops.
        int partitions = int.TryParse(Environment.GetEnvironmentVariable("LEDGER_REPLICA_PARTITIONS"), out int p) ? p : 4;
        int accountCount = int.TryParse(Environment.GetEnvironmentVariable("LEDGER_REPLICA_ACCOUNTS"), out int c) ? c : 8;
        using var kafka = KafkaMockCluster.Start(partitions, "ledger.events");
        string bootstrap = $"Ledger:Kafka:BootstrapServers={kafka.BootstrapServers}";
        await using var main = await GatewayServer.StartAsync(bootstrap);
        string dataDir = GatewayServer.NewDataDir();
        using var replica = await GatewayProcess.StartAsync(dataDir, bootstrap, "Ledger:Role=statements", "Ledger:Kafka:StatementsGroup=lag");
        var accounts = new TestAccount[accountCount];
        for (int i = 0; i < accounts.Length; i++) accounts[i] = await main.OpenAccountAsync();
        using var writer = await main.ClientAsync();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        long posted = 0;
        var posters = Enumerable.Range(0, 8).Select(poster => Task.Run(async () =>
        {
            for (int b = 0; !stop.IsCancellationRequested; b++)
            {
                var entries = Enumerable.Range(0, 100).Select(k => Entry("ledger", $"l{poster}-{b}-{k}", 100, 1 + k)).ToArray();
                using var response = await writer.PostAsync(accounts[(b * 8 + poster) % accounts.Length].Batches, Batch(entries), CancellationToken.None);
                response.EnsureSuccessStatusCode();
                Interlocked.Add(ref posted, 100);
            }
        })).ToArray();
        var records = new List<long>();
        var lagSeconds = new List<double>();
        using var scrape = new HttpClient { BaseAddress = replica.Address };
        while (!stop.IsCancellationRequested)
        {
            await Task.Delay(250, CancellationToken.None);
            string metrics = await scrape.GetStringAsync("/metrics");
            records.Add(long.Parse(Regex.Match(metrics, @"\nledger_replica_lag_records (\d+)").Groups[1].Value, CultureInfo.InvariantCulture));
            lagSeconds.Add(double.Parse(Regex.Match(metrics, @"\nledger_replica_lag_seconds ([\d.eE+-]+)").Groups[1].Value, CultureInfo.InvariantCulture));
        }
        await Task.WhenAll(posters);
        records.Sort();
        lagSeconds.Sort();
        static T At<T>(List<T> sorted, double q) => sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))];
        TestContext.Out.WriteLine($"posted {posted} entries in {seconds} s ({posted / (double)seconds:N0} entries/s), {records.Count} samples; " +
            $"lag records p50 {At(records, 0.5)} p99 {At(records, 0.99)} max {records[^1]}; lag seconds p50 {At(lagSeconds, 0.5):F2} p99 {At(lagSeconds, 0.99):F2} max {lagSeconds[^1]:F2}");
        var publisher = main.Runtime.Publisher!.Acknowledged.Record;
        TestContext.Out.WriteLine($"primary journal record {main.Runtime.Store!.Journal.CommittedRecordNumber}, published {publisher}; {accountCount} accounts, {partitions} partitions");
        Assert.That(replica.Log, Does.Not.Contain("The statements feed stopped"), "the replica followed to the end (a figure from a stopped feed would be no figure)");
        replica.Kill();
        Directory.Delete(dataDir, recursive: true);
    }

    private static async Task<long> HeldRecordAsync(GatewayProcess replica)
    {
        using var client = new HttpClient { BaseAddress = replica.Address };
        string text = await client.GetStringAsync("/health/ready");
        var match = Regex.Match(text, @"journal record (\d+)");
        Assert.That(match.Success, text);
        return long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [Test]
    public async Task AReplicaThatDoesNotHoldTheSequenceShouldAnswer503WithRetryAfter()
    {
        using var kafka = KafkaMockCluster.Start("ledger.events");
        string bootstrap = $"Ledger:Kafka:BootstrapServers={kafka.BootstrapServers}";
        await using var main = await GatewayServer.StartAsync(bootstrap);
        await using var replica = await GatewayServer.StartAsync(bootstrap, "Ledger:Role=statements", "Ledger:Kafka:StatementsGroup=behind", "Ledger:ReadYourWritesWaitMax=00:00:00.200");
        var a = await main.OpenAccountAsync();
        using var writer = await main.ClientAsync();
        long sequence = await PostAsync(writer, a.Batches, Deposit("b1", 5));
        using var reader = await replica.ClientAsync();
        using var read = await reader.SendAsync(ReadAfter(a.Balances, sequence + 1_000_000));
        await read.ProblemAsync(503, "read-side-behind");
        Assert.That(read.Headers.RetryAfter, Is.Not.Null);

        // Every read the primary's OpenAPI document declares the header on answers so on a replica, as it says.
        var declared = await OperationsAsync(main, o => o["parameters"]?.AsArray().Any(p => (string?)p!["name"] == "Ledger-Min-Sequence") == true);
        Assert.That(declared, Has.Count.EqualTo(4));
        foreach (var (method, path) in declared)
        {
            using var behind = await reader.SendAsync(ReadAfter(Fill(path, a), sequence + 1_000_000));
            await behind.ProblemAsync(503, "read-side-behind");
            Assert.That(method, Is.EqualTo("get"));
        }
    }

    /// <summary>The (method, path) of each operation in <paramref name="server"/>'s OpenAPI document that <paramref name="holds"/>.</summary>
    private static async Task<List<(string Method, string Path)>> OperationsAsync(GatewayServer server, Func<JsonNode, bool> holds)
    {
        var document = JsonNode.Parse(await Body(server.Anonymous, "/openapi/v1.json"))!;
        var found = new List<(string, string)>();
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                if (method is "get" or "post" or "put" or "patch" or "delete" && holds(operation!)) found.Add((method, path));
            }
        }
        return found;
    }

    private static string Fill(string path, TestAccount account) => path
        .Replace("{branch}", account.Branch.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("{account}", account.Number.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("{id}", "sim-1", StringComparison.Ordinal);

    [Test]
    public async Task TwoReplicasShouldAnswerAsTheInProcessReadSide()
    {
        using var kafka = KafkaMockCluster.Start("ledger.events");
        string bootstrap = $"Ledger:Kafka:BootstrapServers={kafka.BootstrapServers}";
        await using var main = await GatewayServer.StartAsync(bootstrap);
        await using var first = await GatewayServer.StartAsync(bootstrap, "Ledger:Role=statements", "Ledger:Kafka:StatementsGroup=replica-1");
        await using var second = await GatewayServer.StartAsync(bootstrap, "Ledger:Role=statements", "Ledger:Kafka:StatementsGroup=replica-2");

        var a = await main.OpenAccountAsync();
        var b = await main.OpenAccountAsync();
        using var writer = await main.ClientAsync();
        (await writer.PostAsync(a.Batches, Batch(Entry("ledger", "dep", 100, 10_000), Entry("blocking", "h1", 998, 3_000), Entry("blocking", "h2", 998, 400)))).EnsureSuccessStatusCode();
        (await writer.PostAsync(a.Batches, Batch(Entry("unblocking", "rel", unblocks: "h1", amount: 1_000), Entry("ledger", "buy", 998, 700, description: "Café")))).EnsureSuccessStatusCode();
        (await writer.DeleteAsync($"{a.Path}/entries?correlationId=h2")).EnsureSuccessStatusCode();
        (await writer.PostAsync(a.Batches, Batch(Entry("reversal", "rev", reverses: "buy")))).EnsureSuccessStatusCode();
        (await writer.PostAsync(b.Batches, Deposit("b-dep", 900))).EnsureSuccessStatusCode();
        (await writer.PostAsync("/v1/transaction-bundles", Json($"{{\"bundleId\":\"t1\",\"legs\":[{{\"branch\":{a.Branch},\"account\":{a.Number},\"entries\":[{Entry("ledger", "t-out", 200, 250)}]}},{{\"branch\":{b.Branch},\"account\":{b.Number},\"entries\":[{Entry("ledger", "t-in", 201, 250)}]}}]}}"))).EnsureSuccessStatusCode();
        // A hold that expires (ENTRY_EXPIRED): the host's clock lapses it within about a second.
        (await writer.PostAsync(b.Batches, Batch(Entry("blocking", "b-exp", 998, 100, expiresAt: DateTime.UtcNow.AddMilliseconds(300).ToString("O"))))).EnsureSuccessStatusCode();

        using var reference = await main.ClientAsync();
        for (var deadline = DateTime.UtcNow.AddSeconds(20); (await reference.BalancesAsync(b)).Item2 != 0;)
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "the hold expires on the primary");
            await Task.Delay(100);
        }
        var statement = await reference.StatementAsync(a);
        var instants = statement.Select(e => (string)e!["timestamp"]!).ToList();
        var queries = new List<string> { a.Balances, b.Balances, a.Statement, b.Statement, "/v1/entries", "/v2/entries?status=RELEASED", "/v2/entries?status=EXPIRED", $"/v2/entries?branch={a.Branch}&account={a.Number}&entryKind=reversal" };
        queries.AddRange(instants.Select(t => $"{a.Balances}?at={Uri.EscapeDataString(t)}"));

        var expected = new Dictionary<string, string>();
        foreach (var q in queries) expected[q] = await (await reference.GetAsync(q)).EnsureSuccessStatusCode().Content.ReadAsStringAsync();

        foreach (var replica in new[] { first, second })
        {
            using var client = await replica.ClientAsync();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (await Body(client, b.Balances) != expected[b.Balances] || await Body(client, a.Balances) != expected[a.Balances])
            {
                Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "the replica catches up");
                await Task.Delay(100);
            }
            foreach (var q in queries) Assert.That(await Body(client, q), Is.EqualTo(expected[q]), $"{q} on {replica.Address}");
            using var post = await client.PostAsync(a.Batches, Deposit("nope", 1));
            await post.ProblemAsync(421, "read-only-replica");
        }

        // Every operation the primary's OpenAPI document declares 421 on is refused so by a replica, as it says.
        var refused = await OperationsAsync(main, o => o["responses"]?["421"] is not null);
        Assert.That(refused, Has.Count.EqualTo(8));
        using var onReplica = await first.ClientAsync();
        foreach (var (method, path) in refused)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), Fill(path, a)) { Content = Json("{}") };
            using var response = await onReplica.SendAsync(request);
            await response.ProblemAsync(421, "read-only-replica");
        }
    }

    /// <summary>The body of <c>/health/ready</c> once the replica's feed stopped (503), waiting at most 30 s for it.</summary>
    private static async Task<string> StoppedBodyAsync(GatewayServer replica)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(30); ;)
        {
            using var ready = await replica.Anonymous.GetAsync("/health/ready");
            string body = await ready.Content.ReadAsStringAsync();
            if (ready.StatusCode == HttpStatusCode.ServiceUnavailable) return body;
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), body);
            await Task.Delay(100);
        }
    }

    private static async Task<string> Body(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        return await response.Content.ReadAsStringAsync();
    }
}
