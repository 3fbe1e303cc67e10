using Avro.Generic;
using Avro.IO;
using Avro;
using Confluent.Kafka;
using Ledger.Testing;

namespace Ledger.Gateway.Tests;

/// <summary>
/// Kafka ingress over the real wire protocol (librdkafka's mock cluster): an independent producer writes Avro commands
/// of every kind (built from the shipped ledger-command.avsc with Apache.Avro's generic writer), and results come back
/// on ledger.results, per entry, with the same rules as REST; a redelivered command gets the same result and applies
/// nothing twice; a poison message gets a Problem and does not stall its partition.
/// </summary>
public sealed class KafkaIngressTests
{
    private static readonly Schema CommandSchema = Load("ledger-command.avsc");
    private static readonly Schema ResultSchema = Load("ledger-result.v2.avsc");

    private static Schema Load(string file) => Schema.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Kafka", "Schemas", file)));

    private static RecordSchema Named(string name) => (RecordSchema)((RecordSchema)CommandSchema).Fields
        .Select(f => f.Schema).SelectMany(Flatten).First(s => s.Name == name);

    private static IEnumerable<Schema> Flatten(Schema s) => s switch
    {
        ArraySchema a => [a.ItemSchema, .. Flatten(a.ItemSchema)],
        UnionSchema u => u.Schemas.SelectMany(x => (Schema[])[x, .. Flatten(x)]),
        RecordSchema r => r.Fields.SelectMany(f => (Schema[])[f.Schema, .. Flatten(f.Schema)]),
        _ => [],
    };

    private static GenericRecord Command(string id, string kind, TestAccount? account = null)
    {
        var r = new GenericRecord((RecordSchema)CommandSchema);
        r.Add("commandId", id);
        r.Add("kind", new GenericEnum((EnumSchema)((RecordSchema)CommandSchema)["kind"].Schema, kind));
        r.Add("branch", account?.Branch);
        r.Add("account", account?.Number);
        r.Add("entries", Array.Empty<object>());
        r.Add("correlationId", null);
        r.Add("bundleId", null);
        r.Add("legs", Array.Empty<object>());
        r.Add("currency", null);
        r.Add("overdraftLimit", null);
        return r;
    }

    private static GenericRecord EntryOf(string kind, string id, int? type = null, long? amount = null, string? unblocks = null)
    {
        var schema = Named("Entry");
        var e = new GenericRecord(schema);
        e.Add("entryKind", new GenericEnum((EnumSchema)schema["entryKind"].Schema, kind));
        e.Add("correlationId", id);
        e.Add("entryType", type);
        e.Add("amount", amount);
        e.Add("currency", amount is null ? null : "USD");
        e.Add("description", null);
        e.Add("reverses", null);
        e.Add("unblocks", unblocks);
        e.Add("removes", null);
        e.Add("expiresAt", null);
        return e;
    }

    private static GenericRecord Leg(TestAccount account, params GenericRecord[] entries)
    {
        var leg = new GenericRecord(Named("Leg"));
        leg.Add("branch", account.Branch);
        leg.Add("account", account.Number);
        leg.Add("entries", entries.Cast<object>().ToArray());
        return leg;
    }

    private static byte[] Encode(GenericRecord record)
    {
        using var stream = new MemoryStream();
        stream.Write([0xC3, 0x01]);
        stream.Write(BitConverter.GetBytes(SchemaNormalization.ParsingFingerprint64(CommandSchema)));
        new GenericDatumWriter<GenericRecord>(CommandSchema).Write(record, new BinaryEncoder(stream));
        return stream.ToArray();
    }

    private static GenericRecord DecodeResult(byte[] message)
    {
        Assert.That(BitConverter.ToInt64(message, 2), Is.EqualTo(SchemaNormalization.ParsingFingerprint64(ResultSchema)));
        using var stream = new MemoryStream(message, 10, message.Length - 10);
        return new GenericDatumReader<GenericRecord>(ResultSchema, ResultSchema).Read(null!, new BinaryDecoder(stream));
    }

    [Test]
    public async Task CommandsOfEveryKindShouldBeAnsweredOnTheResultsTopicAsRestWould()
    {
        using var kafka = KafkaMockCluster.Start("ledger.commands", "ledger.results", "ledger.events");
        await using var server = await GatewayServer.StartAsync($"Ledger:Kafka:BootstrapServers={kafka.BootstrapServers}", "Ledger:Kafka:CommandsPartner=demo-partner");
        var a = await server.OpenAccountAsync();
        var b = await server.OpenAccountAsync();
        using var rest = await server.ClientAsync();

        var deposit = Command("c1", "POST_BATCH", a);
        deposit.Add("entries", new object[] { EntryOf("ledger", "dep", 100, 10_000), EntryOf("blocking", "hold", 998, 3_000), EntryOf("blocking", "hold2", 998, 500) });
        var release = Command("c2", "POST_BATCH", a);
        release.Add("entries", new object[] { EntryOf("unblocking", "rel", amount: 1_000, unblocks: "hold") });
        var remove = Command("c3", "REMOVE_ENTRY", a);
        remove.Add("correlationId", "hold2");
        var bundle = Command("c4", "POST_BUNDLE");
        bundle.Add("bundleId", "move-1");
        bundle.Add("legs", new object[] { Leg(a, EntryOf("ledger", "out", 200, 2_000)), Leg(b, EntryOf("ledger", "in", 201, 2_000)) });
        var overdraw = Command("c5", "POST_BATCH", b);
        overdraw.Add("entries", new object[] { EntryOf("ledger", "big", 998, 900_000) });
        var open = Command("c6", "OPEN_ACCOUNT", a);
        open.Add("currency", "USD");
        var empty = Command("c7", "POST_BATCH", a);

        using (var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers }).Build())
        {
            byte[] key = System.Text.Encoding.ASCII.GetBytes($"{a.Branch}/{a.Number}");
            foreach (var command in new[] { deposit, release, remove })
                producer.Produce("ledger.commands", new Message<byte[], byte[]> { Key = key, Value = Encode(command), Headers = [new Header("trace", [1, 2, 3])] });
            producer.Produce("ledger.commands", new Message<byte[], byte[]> { Key = key, Value = [1, 2, 3, 4] }); // poison, same partition
            foreach (var command in new[] { bundle, overdraw, open, empty, deposit }) // the last: a redelivery of c1
                producer.Produce("ledger.commands", new Message<byte[], byte[]> { Key = key, Value = Encode(command) });
            Assert.That(producer.Flush(TimeSpan.FromSeconds(10)), Is.Zero);
        }

        var results = ReadResults(kafka, 9);
        var byId = results.GroupBy(r => (string)r.Record["commandId"]).ToDictionary(g => g.Key, g => g.ToList());
        int Status(string id, int n = 0) => (int)byId[id][n].Record["status"];
        string? ProblemType(string id) => byId[id][0].Record["problem"] is GenericRecord p ? ((string)p["type"])[((string)p["type"]).LastIndexOf('/')..] : null;

        Assert.That(Status("c1"), Is.EqualTo(201));
        var entries = ((object[])byId["c1"][0].Record["entries"]).Cast<GenericRecord>().ToList();
        Assert.That(entries.Select(e => ((string)e["correlationId"], ((GenericEnum)e["status"]).Value)), Is.EqualTo(new[] { ("dep", "POSTED"), ("hold", "PENDING"), ("hold2", "PENDING") }));
        Assert.That(byId["c1"][0].Headers.TryGetLastBytes("trace", out var trace) ? trace : null, Is.EqualTo(new byte[] { 1, 2, 3 }), "the command's headers are copied");
        Assert.That(Status("c2"), Is.EqualTo(201));
        Assert.That(Status("c3"), Is.EqualTo(204));
        Assert.That(Status("c4"), Is.EqualTo(201));
        Assert.That((Status("c5"), ProblemType("c5")), Is.EqualTo((422, "/insufficient-funds")));
        Assert.That((Status("c6"), ProblemType("c6")), Is.EqualTo((403, "/insufficient-scope")), "the topic's partner may not open accounts");
        Assert.That((Status("c7"), ProblemType("c7")), Is.EqualTo((400, "/validation")));
        Assert.That(byId[""].Single().Record["status"], Is.EqualTo(400), "the poison message is answered, not retried");
        Assert.That(byId["c1"], Has.Count.EqualTo(2), "the redelivery is answered too");
        var again = ((object[])byId["c1"][1].Record["entries"]).Cast<GenericRecord>().Select(e => (long)e["sequence"]);
        Assert.That(again, Is.EqualTo(entries.Select(e => (long)e["sequence"])), "the same result: nothing applied twice");

        Assert.That(await rest.BalancesAsync(a), Is.EqualTo((10_000L - 3_000 - 500 + 1_000 + 500 - 2_000, 2_000L)));
        Assert.That(await rest.BalancesAsync(b), Is.EqualTo((2_000L, 0L)));
    }

    [Test]
    public async Task HostileBytesOfEveryCommandKindShouldEachGetAProblemChangeNothingAndNotStallThePartition()
    {
        // Issue 17, item 4: mutated, truncated, misframed and oversized commands of every kind, all on one partition,
        // then a valid one. Each gets a result with a 4xx Problem; the valid one after them applies; the ingress is
        // still running and the ledger's state hash is what it was. The commands aim at accounts never opened, so a
        // mutation that still decodes to a well-formed command is declined too (nothing of them may apply).
        using var kafka = KafkaMockCluster.Start("ledger.commands", "ledger.results", "ledger.events");
        await using var server = await GatewayServer.StartAsync($"Ledger:Kafka:BootstrapServers={kafka.BootstrapServers}", "Ledger:Kafka:CommandsPartner=demo-partner");
        var a = await server.OpenAccountAsync();
        using var rest = await server.ClientAsync();
        (await rest.PostAsync(a.Batches, Batch(Entry("ledger", "funds", 100, 10_000), Entry("blocking", "held", 998, 1_000)))).EnsureSuccessStatusCode();
        ulong hashBefore = server.Runtime.Store!.Engine.ComputeStateHash();

        var ghost = new TestAccount(7, 999_999_991);
        var ghost2 = new TestAccount(8, 999_999_992);
        var batch = Command("p-batch", "POST_BATCH", ghost);
        var withText = EntryOf("ledger", "dep", 100, 5_000);
        withText.Add("description", "Café à la carte");
        var hold = EntryOf("blocking", "hold", 998, 700);
        hold.Add("expiresAt", "2030-01-01T00:00:00Z");
        var reversal = EntryOf("reversal", "rev");
        reversal.Add("reverses", "dep");
        var removal = EntryOf("removal", "rem");
        removal.Add("removes", "hold");
        batch.Add("entries", new object[] { withText, hold, EntryOf("unblocking", "rel", amount: 100, unblocks: "hold"), reversal, removal });
        var remove = Command("p-remove", "REMOVE_ENTRY", ghost);
        remove.Add("correlationId", "hold");
        var bundle = Command("p-bundle", "POST_BUNDLE");
        bundle.Add("bundleId", "b-1");
        bundle.Add("legs", new object[] { Leg(ghost, EntryOf("ledger", "out", 200, 2_000)), Leg(ghost2, EntryOf("ledger", "in", 201, 2_000)) });
        var open = Command("p-open", "OPEN_ACCOUNT", ghost);
        open.Add("currency", "USD");
        open.Add("overdraftLimit", 500L);

        var random = new Random(20261206);
        var poison = new List<(string How, byte[]? Value)>();
        foreach (var command in new[] { batch, remove, bundle, open })
        {
            string kind = ((GenericEnum)command["kind"]).Value;
            byte[] valid = Encode(command);
            byte[] header = valid[..10], datum = valid[10..];
            poison.Add(($"{kind} as written (an account never opened)", valid));
            var fingerprint = (byte[])valid.Clone();
            fingerprint[2 + random.Next(8)] ^= 0x10;
            poison.Add(($"{kind} with another schema's fingerprint", fingerprint));
            poison.Add(($"{kind} in the Confluent framing (magic byte 0, schema id 1)", [0x00, 0x00, 0x00, 0x00, 0x01, .. datum]));
            poison.Add(($"{kind} with a wrong second magic byte", [0xC3, 0x02, .. valid[2..]]));
            poison.Add(($"{kind} cut inside its header", valid[..random.Next(1, 10)]));
            poison.Add(($"{kind} cut after its header", header));
            for (int m = 0; m < 40; m++)
            {
                var mutated = Ledger.Testing.Mutations.Mutate(datum, random, out string how);
                poison.Add(($"{kind}, {how}", [.. header, .. mutated]));
            }
        }
        byte[] ownHeader = Encode(batch)[..10];
        poison.Add(("an empty message", []));
        poison.Add(("a message without a value (a tombstone)", null));
        poison.Add(("random bytes", Enumerable.Range(0, 64).Select(_ => (byte)random.Next(256)).ToArray()));
        poison.Add(("a huge string length", [.. ownHeader, 0xFE, 0xFF, 0xFF, 0xFF, 0x0F]));
        poison.Add(("a negative string length", [.. ownHeader, 0x01]));
        poison.Add(("a huge entries count", [.. ownHeader, 0x02, 0x41, 0x00, 0x00, 0x00, 0xFE, 0xFF, 0xFF, 0xFF, 0x0F]));
        poison.Add(("an entries count of -2^63", [.. ownHeader, 0x02, 0x41, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]));
        poison.Add(("a union branch past [null, T]", [.. ownHeader, 0x02, 0x41, 0x00, 0x04]));
        var many = Command("p-many", "POST_BATCH", a); // on a real account: refused for its count, not its target
        many.Add("entries", Enumerable.Range(0, 1_001).Select(i => (object)EntryOf("ledger", $"m{i}", 100, 1)).ToArray());
        poison.Add(("1 001 entries on an open account", Encode(many)));
        var wide = Command("p-wide", "POST_BUNDLE");
        wide.Add("bundleId", "wide");
        wide.Add("legs", Enumerable.Range(0, 101).Select(i => (object)Leg(new TestAccount(1, 900_000 + i), EntryOf("ledger", $"w{i}", 100, 1))).ToArray());
        poison.Add(("101 legs", Encode(wide)));

        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers }).Build();
        byte[] key = System.Text.Encoding.ASCII.GetBytes($"{a.Branch}/{a.Number}"); // one key: one partition, in order
        foreach (var (_, value) in poison) producer.Produce("ledger.commands", new Message<byte[], byte[]> { Key = key, Value = value! });
        Assert.That(producer.Flush(TimeSpan.FromSeconds(10)), Is.Zero);

        var results = ReadResults(kafka, poison.Count);
        var statuses = new SortedDictionary<int, int>();
        for (int i = 0; i < poison.Count; i++)
        {
            var result = results[i].Record;
            int status = (int)result["status"];
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            Assert.That(status, Is.InRange(400, 499), $"message {i}, {poison[i].How}: {result}");
            Assert.That(result["problem"], Is.InstanceOf<GenericRecord>(), $"message {i}, {poison[i].How}: a Problem");
            Assert.That(result["entries"], Is.Empty, $"message {i}, {poison[i].How}");
        }
        TestContext.Out.WriteLine($"{poison.Count} hostile commands; statuses: {string.Join(", ", statuses.Select(s => $"{s.Key}×{s.Value}"))}");
        Assert.That(server.Runtime.Store!.Engine.ComputeStateHash(), Is.EqualTo(hashBefore), "nothing the hostile commands carried changed the ledger");
        Assert.That(server.Runtime.Ingress!.Fault, Is.Null, "the ingress is still running");

        var good = Command("good", "POST_BATCH", a);
        good.Add("entries", new object[] { EntryOf("ledger", "after-poison", 100, 123) });
        producer.Produce("ledger.commands", new Message<byte[], byte[]> { Key = key, Value = Encode(good) });
        Assert.That(producer.Flush(TimeSpan.FromSeconds(10)), Is.Zero);
        var last = ReadResults(kafka, poison.Count + 1)[^1].Record;
        Assert.That(((string)last["commandId"], (int)last["status"]), Is.EqualTo(("good", 201)), "the partition goes on after the poison");
        Assert.That(await rest.BalancesAsync(a), Is.EqualTo((9_000L + 123, 1_000L)));
        Assert.That(server.Runtime.Store!.Engine.ComputeStateHash(), Is.Not.EqualTo(hashBefore), "the state hash sees an accepted command");
    }

    [Test]
    public async Task AFeeShouldBeInTheResultAndInTheEventsAndOldReadersShouldStillReadBoth()
    {
        // Issue 16: the fee entry follows the requested one in ledger.results (feeOf: the carrier's id) and in
        // ledger.events (feeOf: the carrier's sequence), schemas v2; a reader holding only the first version resolves both.
        using var kafka = KafkaMockCluster.Start("ledger.commands", "ledger.results", "ledger.events");
        await using var server = await GatewayServer.StartAsync($"Ledger:Kafka:BootstrapServers={kafka.BootstrapServers}", "Ledger:Kafka:CommandsPartner=demo-partner");
        using var admin = await server.ClientAsync("ledger-admin");
        var catalog = Catalogs.WithRules(new Dictionary<int, Ledger.Engine.Catalog.RuleDefinition[]> { [998] = [Catalogs.Rule("fee", "code=700 fixed=25")] });
        (await admin.PutAsync("/v1/history-codes", Json(Ledger.Engine.Catalog.HistoryCatalogFile.ToJson(catalog)))).EnsureSuccessStatusCode();
        var a = await server.OpenAccountAsync();
        using var rest = await server.ClientAsync();
        (await rest.PostAsync(a.Batches, Deposit("dep", 10_000))).EnsureSuccessStatusCode();
        var buy = Command("f1", "POST_BATCH", a);
        buy.Add("entries", new object[] { EntryOf("ledger", "buy", 998, 1_000) });
        byte[] message;
        using (var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers }).Build())
        {
            producer.Produce("ledger.commands", new Message<byte[], byte[]> { Key = [1], Value = Encode(buy) });
            Assert.That(producer.Flush(TimeSpan.FromSeconds(10)), Is.Zero);
        }
        using (var consumer = EventReader.Consumer(kafka, "fee-results"))
        {
            consumer.Subscribe("ledger.results");
            message = consumer.Consume(TimeSpan.FromSeconds(30))?.Message.Value ?? throw new AssertionException("no result in 30 s");
        }
        var entries = ((object[])DecodeResult(message)["entries"]).Cast<GenericRecord>().ToList();
        Assert.That(entries.Select(e => ((string)e["correlationId"], (int)e["entryType"], (long)e["amount"], (string?)e["feeOf"])),
            Is.EqualTo(new[] { ("buy", 998, 1_000L, (string?)null), ("buy:fee", 700, 25L, "buy") }));
        Assert.That((long)entries[1]["available"], Is.EqualTo(10_000L - 1_025));

        var v1 = Load("ledger-result.avsc");
        using (var stream = new MemoryStream(message, 10, message.Length - 10))
        {
            var old = new GenericDatumReader<GenericRecord>(ResultSchema, v1).Read(null!, new BinaryDecoder(stream));
            Assert.That(((object[])old["entries"]).Cast<GenericRecord>().Select(e => (string)e["correlationId"]), Is.EqualTo(new[] { "buy", "buy:fee" }),
                "a reader of the first version resolves the second and sees the fee entry");
        }

        var events = EventReader.ReadUntil(kafka, "ledger.events", all => all.Any(e => (string?)e["correlationId"] == "buy:fee"));
        var posted = events.Single(e => (string?)e["correlationId"] == "buy");
        var fee = events.Single(e => (string?)e["correlationId"] == "buy:fee");
        Assert.That(((string?)fee["kind"], (int?)fee["entryType"], (long?)fee["feeOf"], (long?)fee["amount"]), Is.EqualTo(("ENTRY_POSTED", (int?)700, (long?)posted["sequence"], (long?)25L)));
        Assert.That(posted["feeOf"], Is.Null);
    }

    [Test]
    public async Task ReplayingTheTopicFromTheStartShouldApplyNothingTwiceAndAnswerTheSame()
    {
        using var kafka = KafkaMockCluster.Start("ledger.commands", "ledger.results", "ledger.events");
        string dataDir = GatewayServer.NewDataDir();
        string bootstrap = $"Ledger:Kafka:BootstrapServers={kafka.BootstrapServers}";
        TestAccount account;
        List<(GenericRecord Record, Headers Headers)> first;
        await using (var server = await GatewayServer.StartOnAsync(dataDir, bootstrap, "Ledger:Kafka:CommandsPartner=demo-partner", "Ledger:Kafka:ConsumerGroup=first"))
        {
            account = await server.OpenAccountAsync();
            using (var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers }).Build())
            {
                for (int i = 0; i < 20; i++)
                {
                    var command = Command($"r{i}", "POST_BATCH", account);
                    command.Add("entries", new object[] { EntryOf("ledger", $"d{i}", 100, 10 + i) });
                    producer.Produce("ledger.commands", new Message<byte[], byte[]> { Key = [(byte)(i % 3)], Value = Encode(command) });
                }
                Assert.That(producer.Flush(TimeSpan.FromSeconds(10)), Is.Zero);
            }
            first = ReadResults(kafka, 20);
        }
        // A new group has no offsets: the whole topic is delivered again, as after an offset reset.
        await using (var server = await GatewayServer.StartOnAsync(dataDir, bootstrap, "Ledger:Kafka:CommandsPartner=demo-partner", "Ledger:Kafka:ConsumerGroup=second"))
        {
            var all = ReadResults(kafka, 40);
            string Answer(GenericRecord r) => $"{r["status"]}:{string.Join(",", ((object[])r["entries"]).Cast<GenericRecord>().Select(e => $"{e["correlationId"]}@{e["sequence"]}={e["available"]}"))}";
            var firstAnswers = first.ToDictionary(r => (string)r.Record["commandId"], r => Answer(r.Record));
            foreach (var (record, _) in all) Assert.That(Answer(record), Is.EqualTo(firstAnswers[(string)record["commandId"]]), "the replay answers as the first delivery did");
            using var client = await server.ClientAsync();
            Assert.That(await client.BalancesAsync(account), Is.EqualTo((Enumerable.Range(0, 20).Sum(i => 10L + i), 0L)), "each command applied once");
        }
        Directory.Delete(dataDir, recursive: true);
    }

    [Category("Tools")]
    [Test]
    public async Task AKafkajsClientWithAvscShouldPostACommandAndReadItsResult()
    {
        string script = Path.Combine(ToolRun.RepositoryRoot, "tests", "clients", "kafkajs");
        Assert.That(Directory.Exists(Path.Combine(script, "node_modules")), Is.True, $"run .ci/setup.sh first: it installs kafkajs and avsc in {script}");
        using var kafka = KafkaMockCluster.Start("ledger.commands", "ledger.results", "ledger.events");
        await using var server = await GatewayServer.StartAsync($"Ledger:Kafka:BootstrapServers={kafka.BootstrapServers}", "Ledger:Kafka:CommandsPartner=demo-partner");
        var account = await server.OpenAccountAsync();
        string schemas = Path.Combine(AppContext.BaseDirectory, "Kafka", "Schemas");
        var run = ToolRun.Run("node", ["commands.mjs", kafka.BootstrapServers, schemas, account.Branch.ToString(System.Globalization.CultureInfo.InvariantCulture),
            account.Number.ToString(System.Globalization.CultureInfo.InvariantCulture)], script, TimeSpan.FromSeconds(60));
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        var printed = System.Text.Json.Nodes.JsonNode.Parse(run.Out.Trim().Split('\n')[^1])!;
        Assert.That((int)printed["status"]!, Is.EqualTo(201), run.Out);
        Assert.That((string?)printed["key"], Is.EqualTo($"{account.Branch}/{account.Number}"));
        var entries = printed["entries"]!.AsArray();
        Assert.That(entries.Select(e => ((string)e!["correlationId"]!, (string)e["status"]!)), Is.EqualTo(new[] { ("js-dep", "POSTED"), ("js-hold", "PENDING") }));
        using var client = await server.ClientAsync();
        Assert.That(await client.BalancesAsync(account), Is.EqualTo((1_800L, 700L)), "what kafkajs posted is in the ledger");
    }

    [Category("Process")]
    [Test]
    public async Task AfterSeededKillsMidStreamEveryCommandShouldBeAnsweredAndAppliedOnce()
    {
        using var kafka = KafkaMockCluster.Start("ledger.commands", "ledger.results", "ledger.events");
        string dataDir = GatewayServer.NewDataDir();
        // A killed member holds its partitions for the session timeout: 6 s (the broker's minimum) keeps the test short.
        string[] settings = [$"Ledger:Kafka:BootstrapServers={kafka.BootstrapServers}", "Ledger:Kafka:CommandsPartner=demo-partner", "Ledger:Kafka:SessionTimeoutMilliseconds=6000"];
        var random = new Random(20261201);
        const int commandCount = 600;
        try
        {
            var account = new TestAccount(5, 600_001);
            using (var gateway = await GatewayProcess.StartAsync(dataDir, settings))
            using (var admin = await gateway.ClientAsync("ledger-admin"))
            {
                (await admin.PostAsync("/v1/accounts", Json($"{{\"branch\":5,\"account\":{account.Number},\"currency\":\"USD\"}}"))).EnsureSuccessStatusCode();
            }
            // Commands arrive as a stream while the service is killed and restarted, so kills land mid-stream.
            using var stop = new CancellationTokenSource();
            int produced = 0;
            var stream = Task.Run(async () =>
            {
                using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers, LingerMs = 0 }).Build();
                for (int i = 0; i < commandCount; i++)
                {
                    var command = Command($"k{i}", "POST_BATCH", account);
                    command.Add("entries", new object[] { EntryOf("ledger", $"e{i}", 100, 1) });
                    producer.Produce("ledger.commands", new Message<byte[], byte[]> { Key = [(byte)(i % 4)], Value = Encode(command) });
                    produced = i + 1;
                    if (i % 10 == 9) await Task.Delay(100);
                }
                producer.Flush(TimeSpan.FromSeconds(10));
            });
            for (int round = 0; round < 3; round++)
            {
                using var gateway = await GatewayProcess.StartAsync(dataDir, settings);
                await Task.Delay(random.Next(4_000, 8_000)); // joins the group after the last kill's session timeout, then answers for a while
                gateway.Kill(); // mid-stream: commands decided, results produced or not, offsets committed or not
            }
            await stream;
            using (var last = await GatewayProcess.StartAsync(dataDir, settings))
            {
                var results = new List<GenericRecord>();
                using (var consumer = EventReader.Consumer(kafka, "results"))
                {
                    consumer.Subscribe("ledger.results");
                    var deadline = DateTime.UtcNow.AddSeconds(90);
                    while (results.Select(r => (string)r["commandId"]).Distinct().Count() < commandCount && DateTime.UtcNow < deadline)
                    {
                        if (consumer.Consume(TimeSpan.FromMilliseconds(300)) is { } m) results.Add(DecodeResult(m.Message.Value));
                    }
                }
                var byId = results.GroupBy(r => (string)r["commandId"]).ToDictionary(g => g.Key, g => g.ToList());
                Assert.That(byId, Has.Count.EqualTo(commandCount), "every command answered");
                foreach (var (id, answers) in byId)
                {
                    var sequences = answers.Select(r => string.Join(",", ((object[])r["entries"]).Cast<GenericRecord>().Select(e => (long)e["sequence"]))).Distinct().ToList();
                    Assert.That(sequences, Has.Count.EqualTo(1), $"{id}: a redelivered command gets the same result");
                    Assert.That(answers.All(r => (int)r["status"] == 201), Is.True, id);
                }
                using var client = await last.ClientAsync();
                using var balances = await client.GetAsync(account.Balances);
                var body = await balances.BodyAsync();
                Assert.That((long)body["balances"]![0]!["value"]!, Is.EqualTo(commandCount), "each command applied once");
                TestContext.Out.WriteLine($"{commandCount} commands over 3 kills: {results.Count} results read ({results.Count - commandCount} redelivered answers)");
            }
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    private static List<(GenericRecord Record, Headers Headers)> ReadResults(KafkaMockCluster kafka, int count)
    {
        using var consumer = EventReader.Consumer(kafka, "results");
        consumer.Subscribe("ledger.results");
        var results = new List<(GenericRecord, Headers)>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (results.Count < count && DateTime.UtcNow < deadline)
        {
            var m = consumer.Consume(TimeSpan.FromMilliseconds(500));
            if (m is not null) results.Add((DecodeResult(m.Message.Value), m.Message.Headers));
        }
        Assert.That(results, Has.Count.EqualTo(count), "every command answered");
        return results;
    }
}
