using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using Ledger.Engine.Events;
using Ledger.Gateway.Kafka;
using Ledger.Testing;

namespace Ledger.Gateway.Tests;

/// <summary>
/// A replica applies a journal record only whole (issue 19): the primary publishes to <c>ledger.source</c>, and the test
/// copies its messages to the replica's <c>ledger.events</c> partition by partition, a few at a time, so the replica
/// reads records whose events span partitions (a multi-account bundle, 100-entry bundles over accounts in every
/// partition) in parts, as it would during catch-up or while the publisher is mid-record. Whatever it has read, a reader
/// sees whole records only, each as the primary answers it; after a SIGKILL while a record is half read it reads the
/// held part again (its positions never moved past it) and ends equal to the primary.
/// </summary>
public sealed partial class StatementsReplicaTests
{
    private const int WholeRecordPartitions = 8;

    /// <summary>The group of an entry: its request's id (correlationIds here are <c>group-…</c>).</summary>
    private static string GroupOf(string correlationId) => correlationId.Split('-')[0];

    /// <summary>
    /// The primary's workload, posted to <paramref name="accounts"/> (at least 13): a deposit on each, a bundle of two
    /// entries on each of six accounts (one a hold), a 100-entry bundle over every account, a 100-entry batch on one
    /// account, a bundle that releases the hold, and another 100-entry bundle over every account.
    /// </summary>
    private static async Task PostWholeRecordWorkloadAsync(HttpClient writer, TestAccount[] accounts)
    {
        for (int i = 0; i < accounts.Length; i++) await PostAsync(writer, accounts[i].Batches, Deposit($"d{i}", 10_000));
        string Leg(TestAccount a, IEnumerable<string> entries) => $"{{\"branch\":{a.Branch},\"account\":{a.Number},\"entries\":[{string.Join(",", entries)}]}}";
        string Bundle(string id, IEnumerable<string> legs) => $"{{\"bundleId\":\"{id}\",\"legs\":[{string.Join(",", legs)}]}}";
        string Spread(string id) => Bundle(id, accounts.Select((a, i) => Leg(a, Enumerable.Range(0, 100 / accounts.Length + (i < 100 % accounts.Length ? 1 : 0))
            .Select(k => Entry("ledger", $"{id}-{i}-{k}", 201, 1 + k + i)))));
        await PostAsync(writer, "/v1/transaction-bundles", Json(Bundle("b1", accounts.Take(6).Select((a, i) => Leg(a,
            [i == 0 ? Entry("blocking", "b1-0-h", 998, 50) : Entry("ledger", $"b1-{i}-0", 200, 100), Entry("ledger", $"b1-{i}-1", 201, 30)])))));
        await PostAsync(writer, "/v1/transaction-bundles", Json(Spread("b2")));
        await PostAsync(writer, accounts[3].Batches, Batch([.. Enumerable.Range(0, 100).Select(k => Entry("ledger", $"c1-{k}", 100, 1 + k))]));
        await PostAsync(writer, "/v1/transaction-bundles", Json(Bundle("b3",
            [Leg(accounts[0], [Entry("unblocking", "b3-0-u", unblocks: "b1-0-h")]), .. accounts.Skip(9).Take(4).Select((a, i) => Leg(a, [Entry("ledger", $"b3-{i + 1}-0", 200, 7)]))])));
        await PostAsync(writer, "/v1/transaction-bundles", Json(Spread("b4")));
    }

    /// <summary>The primary on a mock cluster publishing to <c>ledger.source</c>, the workload posted and published, and its messages.</summary>
    private sealed record WholeRecordSetup(KafkaMockCluster Kafka, GatewayServer Main, TestAccount[] Accounts, List<Message<byte[], byte[]>>[] Source) : IAsyncDisposable
    {
        public static async Task<WholeRecordSetup> StartAsync(int accounts)
        {
            var kafka = KafkaMockCluster.Start(WholeRecordPartitions, "ledger.source", "ledger.events");
            var main = await GatewayServer.StartAsync($"Ledger:Kafka:BootstrapServers={kafka.BootstrapServers}", "Ledger:Kafka:EventsTopic=ledger.source");
            var opened = new TestAccount[accounts];
            for (int i = 0; i < opened.Length; i++) opened[i] = await main.OpenAccountAsync();
            using (var writer = await main.ClientAsync()) await PostWholeRecordWorkloadAsync(writer, opened);
            await PublishedAsync(main);
            return new WholeRecordSetup(kafka, main, opened, ReadTopic(kafka.BootstrapServers, "ledger.source"));
        }

        public async ValueTask DisposeAsync()
        {
            await Main.DisposeAsync();
            Kafka.Dispose();
        }
    }

    /// <summary>Every message of <paramref name="topic"/>, per partition in offset order.</summary>
    private static List<Message<byte[], byte[]>>[] ReadTopic(string bootstrap, string topic)
    {
        var config = new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "copy-" + Guid.NewGuid().ToString("N"), EnableAutoCommit = false };
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();
        var messages = new List<Message<byte[], byte[]>>[WholeRecordPartitions];
        var ends = new long[WholeRecordPartitions];
        for (int p = 0; p < WholeRecordPartitions; p++)
        {
            messages[p] = [];
            ends[p] = consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10)).High.Value;
        }
        consumer.Assign(Enumerable.Range(0, WholeRecordPartitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        while (Enumerable.Range(0, WholeRecordPartitions).Any(p => messages[p].Count < ends[p]))
        {
            var m = consumer.Consume(TimeSpan.FromSeconds(30));
            Assert.That(m, Is.Not.Null, "the source topic is read to its end");
            messages[m.Partition.Value].Add(m.Message);
        }
        return messages;
    }

    /// <summary>The (record, index, recordEvents) a message of the primary's publisher carries.</summary>
    private static (long Record, int Index, int RecordEvents) PositionOf(Message<byte[], byte[]> message)
    {
        Assert.That(EventAvroReader.TryRead(message.Value.AsSpan(10), EventLayout.V2, out int recordEvents, out long record, out int index, out LedgerEvent _, out string? problem), Is.True, problem);
        return (record, index, recordEvents);
    }

    private static void Copy(string bootstrap, int partition, IEnumerable<Message<byte[], byte[]>> messages)
    {
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = bootstrap }).Build();
        foreach (var m in messages) producer.Produce(new TopicPartition("ledger.events", partition), new Message<byte[], byte[]> { Key = m.Key, Value = m.Value });
        Assert.That(producer.Flush(TimeSpan.FromSeconds(10)), Is.Zero);
    }

    /// <summary>The primary's answers a replica's are checked against: whole-ledger statement rows by sequence, and each group's entry count.</summary>
    private sealed record PrimaryView(Dictionary<long, string> Rows, Dictionary<string, int> GroupSizes);

    private static async Task<PrimaryView> PrimaryViewAsync(HttpClient reference)
    {
        var rows = new Dictionary<long, string>();
        var sizes = new Dictionary<string, int>();
        foreach (var e in (await reference.GetFromJsonAsync<JsonNode>("/v1/entries?limit=1000"))!["entries"]!.AsArray())
        {
            rows[(long)e!["sequence"]!] = e.ToJsonString();
            string group = GroupOf((string)e["correlationId"]!);
            sizes[group] = sizes.GetValueOrDefault(group) + 1;
        }
        return new PrimaryView(rows, sizes);
    }

    /// <summary>
    /// What a reader of the replica sees now holds whole records only, each entry as the primary shows it (a hold as
    /// PENDING until its release's record is there); each account's balances and <c>?at=</c> at the instant of its newest
    /// record here equal the primary's at that instant. Returns the groups the replica holds.
    /// </summary>
    private static async Task<HashSet<string>> AssertWholeRecordsAsync(HttpClient replica, HttpClient reference, PrimaryView primary, TestAccount[] accounts, string when)
    {
        var entries = (await replica.GetFromJsonAsync<JsonNode>("/v1/entries?limit=1000"))!["entries"]!.AsArray();
        var held = new Dictionary<string, int>();
        foreach (var e in entries)
        {
            string group = GroupOf((string)e!["correlationId"]!);
            held[group] = held.GetValueOrDefault(group) + 1;
        }
        foreach (var (group, count) in held) Assert.That(count, Is.EqualTo(primary.GroupSizes[group]), $"{when}: the replica shows {count} of the {primary.GroupSizes[group]} entries of {group}");
        foreach (var e in entries)
        {
            string expected = primary.Rows[(long)e!["sequence"]!];
            if ((string)e["correlationId"]! == "b1-0-h" && !held.ContainsKey("b3"))
            {
                Assert.That((string?)e["status"], Is.EqualTo("PENDING"), $"{when}: the hold is released with b3's record only");
                continue;
            }
            Assert.That(e.ToJsonString(), Is.EqualTo(expected), $"{when}: entry {e["sequence"]}");
        }
        // Each account: its newest entry here is its newest record here (an account's records come in order); when no other
        // record of the account shares that instant, the balances and ?at= then are the primary's at that instant.
        foreach (var a in accounts)
        {
            var mine = entries.Where(e => (int)e!["branch"]! == a.Branch && (long)e["account"]! == a.Number).ToList();
            if (mine.Count == 0) continue;
            string instant = (string)mine[^1]!["timestamp"]!;
            var all = primary.Rows.Values.Select(r => JsonNode.Parse(r)!).Where(e => (int)e["branch"]! == a.Branch && (long)e["account"]! == a.Number).ToList();
            if (all.Where(e => (string)e["timestamp"]! == instant).Select(e => GroupOf((string)e["correlationId"]!)).Distinct().Count() > 1) continue;
            string at = $"{a.Balances}?at={Uri.EscapeDataString(instant)}";
            string expectedAt = await Body(reference, at);
            Assert.That(await Body(replica, at), Is.EqualTo(expectedAt), $"{when}: {at}");
            var now = JsonNode.Parse(await Body(replica, a.Balances))!;
            Assert.That(Balances(now["balances"]!), Is.EqualTo(Balances(JsonNode.Parse(expectedAt)!["balances"]!)), $"{when}: balances of {a.Number}");
        }
        return [.. held.Keys];
    }

    /// <summary>Windows from/to every record instant of two accounts (v1, v2 paged), the whole ledger and <c>?at=</c>: equal on both.</summary>
    private static async Task AssertSameAnswersAsync(HttpClient replica, HttpClient reference, TestAccount[] accounts)
    {
        var queries = new List<string> { "/v1/entries?limit=1000", "/v2/entries?limit=1000" };
        foreach (var a in new[] { accounts[0], accounts[3], accounts[^1] })
        {
            var instants = (await reference.StatementAsync(a, "&limit=1000")).Select(e => (string)e!["timestamp"]!).Distinct().ToList();
            var froms = instants.Prepend("2000-01-01").ToList();
            foreach (string from in froms)
            {
                foreach (string to in instants.Append("2100-01-01"))
                {
                    if (DateTime.Parse(to, CultureInfo.InvariantCulture) <= DateTime.Parse(from, CultureInfo.InvariantCulture)) continue;
                    string window = $"from={Uri.EscapeDataString(from)}&to={Uri.EscapeDataString(to)}";
                    queries.Add($"{a.Statement}&{window}&limit=1000");
                    queries.Add($"{a.StatementV2}&{window}&limit=7");
                    queries.Add($"/v1/entries?{window}&limit=1000");
                }
                if (from != froms[0]) queries.Add($"{a.Balances}?at={Uri.EscapeDataString(from)}");
            }
        }
        foreach (var a in accounts) queries.Add(a.Balances);
        foreach (string q in queries)
        {
            using var expected = await reference.GetAsync(q);
            Assert.That(expected.StatusCode, Is.EqualTo(HttpStatusCode.OK), q);
            Assert.That(await Body(replica, q), Is.EqualTo(await expected.Content.ReadAsStringAsync()), q);
        }
    }

    [Test]
    public async Task AReaderPollingAReplicaShouldNeverSeePartOfARecordWhateverPartOfItsEventsTheReplicaHasRead()
    {
        await using var setup = await WholeRecordSetup.StartAsync(accounts: 24);
        var (kafka, main, accounts, source) = (setup.Kafka, setup.Main, setup.Accounts, setup.Source);
        string bootstrap = $"Ledger:Kafka:BootstrapServers={kafka.BootstrapServers}";
        Assert.That(source.Select(p => p.Count), Is.All.GreaterThan(0), "accounts in every partition");
        var everywhere = source.Select(p => p.Select(PositionOf).Where(x => x.RecordEvents >= 100).Select(x => x.Record).ToHashSet())
            .Aggregate((a, b) => { a.IntersectWith(b); return a; });
        Assert.That(everywhere, Has.Count.EqualTo(2), "each 100-entry bundle has events in every partition");

        await using var replica = await GatewayServer.StartAsync(bootstrap, "Ledger:Role=statements", "Ledger:Kafka:StatementsGroup=whole", "Ledger:ReadYourWritesWaitMax=00:00:30");
        using var reader = await replica.ClientAsync();
        using var reference = await main.ClientAsync();
        var primary = await PrimaryViewAsync(reference);

        // Partitions in a seeded order, a few messages of each at a time: records are read in parts, as in catch-up.
        var random = new Random(20261206);
        var copied = new int[WholeRecordPartitions];
        int rounds = 0, sawPending = 0;
        var seen = new HashSet<string>();
        while (copied.Zip(source, (c, s) => c < s.Count).Any(left => left))
        {
            foreach (int p in Enumerable.Range(0, WholeRecordPartitions).OrderBy(_ => random.Next()))
            {
                int take = Math.Min(random.Next(1, 12), source[p].Count - copied[p]);
                Copy(kafka.BootstrapServers, p, source[p].Skip(copied[p]).Take(take));
                copied[p] += take;
                if (random.Next(3) > 0) continue;
                // A reader looks while the replica may hold part of a record (it has read everything copied so far).
                var progress = await ReadAllCopiedAsync(replica, copied.Sum());
                if (progress.PendingEvents > 0) sawPending++;
                seen.UnionWith(await AssertWholeRecordsAsync(reader, reference, primary, accounts, $"round {rounds}, {copied.Sum()} messages copied, {progress.PendingEvents} events waiting"));
            }
            rounds++;
        }
        Assert.That(sawPending, Is.GreaterThan(3), "readers looked while the replica held parts of records");
        var done = await ReadAllCopiedAsync(replica, copied.Sum());
        Assert.That(done.PendingEvents, Is.Zero);
        // The last look (everything copied) counts too: the seeded schedule may end without a look after the last record's
        // last message, as account numbers (and so partitions) depend on which tests ran before in this process.
        seen.UnionWith(await AssertWholeRecordsAsync(reader, reference, primary, accounts, "all copied"));
        Assert.That(seen, Is.SupersetOf(new[] { "b1", "b2", "c1", "b3", "b4" }), "readers saw the records arrive");
        await AssertSameAnswersAsync(reader, reference, accounts);
    }

    /// <summary>Waits until the replica's feed read every message copied (applied, dropped or waiting for the rest of its record) and committed.</summary>
    private static async Task<FeedProgress> ReadAllCopiedAsync(GatewayServer replica, long copied)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var p = replica.Runtime.FeedProgress!;
            if (p.EventsApplied + p.DuplicatesDropped + p.PendingEvents == copied && p.Partitions.Sum(x => x.EndOffset - x.NextOffset) == p.PendingEvents) return p;
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), $"the replica reads what was copied ({copied}): {p}");
            await Task.Delay(20);
        }
    }

    [Category("Process")]
    [Test]
    public async Task AReplicaKilledWhileARecordIsHalfReadShouldReadItAgainAndEndAsThePrimary()
    {
        await using var setup = await WholeRecordSetup.StartAsync(accounts: 16);
        var (kafka, main, accounts, source) = (setup.Kafka, setup.Main, setup.Accounts, setup.Source);
        string bootstrap = $"Ledger:Kafka:BootstrapServers={kafka.BootstrapServers}";
        using var reference = await main.ClientAsync();
        var primary = await PrimaryViewAsync(reference);

        // Hold back, in the partition with b2's last event, everything from b2's first event there on: b2 (and the records
        // after it that share a partition with it) can then only be half read.
        long b2 = source.SelectMany(p => p.Select(PositionOf)).Where(x => x.RecordEvents == 100).Min(x => x.Record);
        int q = Enumerable.Range(0, WholeRecordPartitions).Single(p => source[p].Select(PositionOf).Any(x => x.Record == b2 && x.Index == x.RecordEvents - 1));
        int cut = source[q].FindIndex(m => PositionOf(m).Record == b2);

        string dataDir = GatewayServer.NewDataDir();
        string[] settings = [bootstrap, "Ledger:Role=statements", "Ledger:Kafka:StatementsGroup=half", "Ledger:ReadYourWritesWaitMax=00:00:30"];
        long waitingBefore, heldBefore;
        using (var replica = await GatewayProcess.StartAsync(dataDir, settings))
        {
            for (int p = 0; p < WholeRecordPartitions; p++) Copy(kafka.BootstrapServers, p, p == q ? source[p].Take(cut) : source[p]);
            waitingBefore = await WaitingAsync(replica, source.Sum(p => p.Count) - (source[q].Count - cut));
            Assert.That(waitingBefore, Is.GreaterThan(0), "the replica holds part of b2");
            using var reader = await replica.ClientAsync();
            var groups = await AssertWholeRecordsAsync(reader, reference, primary, accounts, "before the kill");
            Assert.That(groups, Does.Not.Contain("b2").And.Contain("b1"));
            heldBefore = await HeldRecordAsync(replica);
            replica.Kill();
        }
        using (var replica = await GatewayProcess.StartAsync(dataDir, settings))
        {
            var resumed = Regex.Match(replica.Log, @"Statements feed resumes at journal record (\d+)");
            Assert.That(resumed.Success, replica.Log);
            Assert.That(long.Parse(resumed.Groups[1].Value, CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(heldBefore), replica.Log);
            Assert.That(replica.Log, Does.Not.Contain("every partition from its beginning"), "no re-read from the beginning");
            // Ready (everything it can apply is applied), holding b2's part again: its positions had not moved past it.
            Assert.That(await WaitingAsync(replica, null), Is.EqualTo(waitingBefore), "the events of the unfinished records are read again");
            using var reader = await replica.ClientAsync();
            Assert.That(await AssertWholeRecordsAsync(reader, reference, primary, accounts, "after the restart"), Does.Not.Contain("b2"));

            Copy(kafka.BootstrapServers, q, source[q].Skip(cut));
            long last = primary.Rows.Keys.Max();
            using (var all = await reader.SendAsync(ReadAfter("/v1/entries?limit=1", last))) all.EnsureSuccessStatusCode();
            Assert.That(await WaitingAsync(replica, null), Is.Zero);
            await AssertWholeRecordsAsync(reader, reference, primary, accounts, "after the rest came");
            await AssertSameAnswersAsync(reader, reference, accounts);
            replica.Kill();
        }
        Directory.Delete(dataDir, recursive: true);
    }

    [Test]
    public async Task AReplicaPastItsLimitOfEventsWaitingForTheirRecordsShouldStopNotReadySayingSo()
    {
        await using var setup = await WholeRecordSetup.StartAsync(accounts: 16);
        var (kafka, source) = (setup.Kafka, setup.Source);
        long b2 = source.SelectMany(p => p.Select(PositionOf)).Where(x => x.RecordEvents == 100).Min(x => x.Record);
        int q = Enumerable.Range(0, WholeRecordPartitions).Single(p => source[p].Select(PositionOf).Any(x => x.Record == b2 && x.Index == x.RecordEvents - 1));
        int cut = source[q].FindIndex(m => PositionOf(m).Record == b2);
        await using var replica = await GatewayServer.StartAsync($"Ledger:Kafka:BootstrapServers={kafka.BootstrapServers}", "Ledger:Role=statements",
            "Ledger:Kafka:StatementsGroup=limit", "Ledger:Statements:PendingEventsMax=150"); // an empty topic: ready at once
        // b2 never completes, and the 100-entry records behind it in its partitions wait too: past 150 events held, it stops.
        for (int p = 0; p < WholeRecordPartitions; p++) Copy(kafka.BootstrapServers, p, p == q ? source[p].Take(cut) : source[p]);
        string body = await StoppedBodyAsync(replica);
        Assert.That(body, Does.Contain("stopped reading ledger.events").And.Contain("wait for the rest of their records (the oldest, record ")
            .And.Contain("more than Ledger:Statements:PendingEventsMax (150)").And.Contain("raise the limit"));
        using var client = await replica.ClientAsync();
        using var read = await client.GetAsync("/v1/entries");
        var problem = await read.ProblemAsync(503, "not-ready");
        Assert.That((string?)problem["detail"], Does.Contain("Ledger:Statements:PendingEventsMax"), "a read says why too");
        Assert.That(replica.Runtime.FeedProgress!.PendingEvents, Is.LessThanOrEqualTo(151), "it never held more than one event past the limit");
    }

    /// <summary>
    /// The replica's <c>ledger_replica_pending_events</c> once it read <paramref name="read"/> messages since its start
    /// (applied, dropped or waiting; null: once it is steady, two scrapes alike).
    /// </summary>
    private static async Task<long> WaitingAsync(GatewayProcess replica, long? read)
    {
        using var client = new HttpClient { BaseAddress = replica.Address };
        long Metric(string text, string name) => long.Parse(Regex.Match(text, $@"\n{name} (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string previous = "";
        while (true)
        {
            string metrics = await client.GetStringAsync("/metrics");
            long waiting = Metric(metrics, "ledger_replica_pending_events");
            long seen = Metric(metrics, "ledger_replica_events_applied_total") + Metric(metrics, "ledger_replica_duplicates_dropped_total") + waiting;
            string now = $"{seen}/{waiting}/{Metric(metrics, "ledger_replica_lag_records")}";
            if (read is { } n ? seen == n && Metric(metrics, "ledger_replica_lag_records") == waiting : now == previous && waiting == Metric(metrics, "ledger_replica_lag_records")) return waiting;
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), $"the replica reads what was copied ({read}): {now}");
            previous = now;
            await Task.Delay(300);
        }
    }
}
