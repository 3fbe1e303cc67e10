using Ledger.Engine;
using Ledger.Engine.Hosting;
using Ledger.Gateway.Hosting;
using Ledger.Journal.Entries;
using Ledger.ReadSide;

namespace Ledger.Gateway.Tests;

/// <summary>Bad configuration fails at start-up with a sentence saying what to fix, never runs half-configured.</summary>
public sealed class ConfigurationTests
{
    [Test]
    public void ShouldSayWhichRegistryDidNotRegisterASchema()
    {
        var schema = Kafka.AvroFraming.Load("ledger-event.avsc");
        var error = Assert.Throws<InvalidOperationException>(() =>
            Kafka.AvroFraming.Header(schema, new KafkaOptions { SchemaRegistryUrl = "http://127.0.0.1:9" }, "ledger.events"));
        Assert.That(error!.Message, Does.Contain("Ledger:Kafka:SchemaRegistryUrl http://127.0.0.1:9").And.Contain("ledger.events-value"));
    }

    [TestCase("--Ledger:Memory:EntryCacheEntries=1000", "Ledger:Memory:EntryCacheEntries")]
    [TestCase("--Ledger:Memory:KeyFilterBytes=10", "Ledger:Memory:KeyFilterBytes")]
    [TestCase("--Ledger:Memory:InFlightEntriesMax=10", "Ledger:Memory:InFlightEntriesMax")]
    [TestCase("--Ledger:Checkpoint:EverySeconds=0", "Ledger:Checkpoint:EverySeconds")]
    [TestCase("--Ledger:Snapshot:EveryEntries=5", "Ledger:Snapshot")]
    public void ShouldRefuseAMemoryBudgetThatCannotHoldWhatItMust(string setting, string named) =>
        Assert.That(StartUpRefusal(setting), Does.Contain(named));

    /// <summary>What start-up says when <paramref name="setting"/> is added to a valid command line.</summary>
    private static string StartUpRefusal(string setting) => Assert.Throws<InvalidOperationException>(() =>
        GatewayApp.Build(["--urls=http://127.0.0.1:0", $"--Ledger:DataDir={GatewayServer.NewDataDir()}", setting]))!.Message;

    /// <summary>Each of these once failed only when the component started (or never): now all fail at start-up, in one place.</summary>
    [TestCase("--Ledger:WaitStrategy=Sleepy", "Ledger:WaitStrategy is 'Sleepy'")]
    [TestCase("--Ledger:PipelineLayout=Wide", "Ledger:PipelineLayout is 'Wide'")]
    [TestCase("--Ledger:Storage:Compaction=Tiered", "Ledger:Storage:Compaction is 'Tiered'")]
    [TestCase("--Ledger:Storage:CompactionTrigger=1", "Ledger:Storage:CompactionTrigger must be 2..16")]
    [TestCase("--Ledger:Storage:CompactionTrigger=40", "Ledger:Storage:CompactionTrigger must be 2..16")]
    [TestCase("--Ledger:Role=statment", "Ledger:Role is 'statment'")]
    [TestCase("--Ledger:Role=statements", "set Ledger:Kafka:BootstrapServers")]
    [TestCase("--Ledger:RingSize=1000", "Ledger:RingSize must be a power of two")]
    [TestCase("--Ledger:Memory:OpenHoldsMax=0", "Ledger:Memory:OpenHoldsMax")]
    public void ShouldRefuseAtStartUpWithOneSentenceNamingTheKey(string setting, string named)
    {
        string message = StartUpRefusal(setting);
        Assert.That(message, Does.Contain(named).And.EndWith("."));
        Assert.That(message.TrimEnd('.'), Does.Not.Contain(". "), "one sentence");
    }

    [TestCase(null, TestName = "ShouldRefuseTlsOnTheDefaultPlainAddress")]
    [TestCase("--urls=http://127.0.0.1:0", TestName = "ShouldRefuseTlsOnAnHttpUrl")]
    [TestCase("--urls=https://127.0.0.1:0;http://127.0.0.1:0", TestName = "ShouldRefuseTlsWithOnePlainAddressAmongSeveral")]
    [TestCase("--Kestrel:Endpoints:Plain:Url=http://127.0.0.1:0", TestName = "ShouldRefuseTlsOnAPlainKestrelEndpoint")]
    public void ShouldRefuseTlsThatWouldServePlainHttp(string? address)
    {
        var args = new List<string> { $"--Ledger:DataDir={GatewayServer.NewDataDir()}", "--Ledger:Tls:Enabled=true" };
        if (address is not null) args.Add(address);
        var error = Assert.Throws<InvalidOperationException>(() => GatewayApp.Build([.. args]));
        Assert.That(error!.Message, Does.Contain("Ledger:Tls:Enabled is on").And.Contain("http://127.0.0.1").And.Contain("make every address https"));
    }

    /// <summary>
    /// The compaction trigger reaches every column family of both stores (RocksDB writes what a family really runs with into
    /// its OPTIONS file): 12 by default, not RocksDB's 4 (docs/perf.md, "Fewer merges"), or what is configured.
    /// </summary>
    [TestCase(null, 12)]
    [TestCase("Ledger:Storage:CompactionTrigger=7", 7)]
    public async Task ShouldHandTheCompactionTriggerToEveryFamilyOfBothStores(string? setting, int trigger)
    {
        await using var server = await GatewayServer.StartAsync(setting is null ? [] : [setting]);
        foreach (var (store, families) in new[] { (EntryStore.DirectoryName, 1), (ReadStore.DirectoryName, 2) })
        {
            string options = Directory.GetFiles(Path.Combine(server.DataDir, store), "OPTIONS-*").Order(StringComparer.Ordinal).Last();
            var triggers = File.ReadLines(options).Select(l => l.Trim()).Where(l => l.StartsWith("level0_file_num_compaction_trigger=", StringComparison.Ordinal)).ToArray();
            Assert.That(triggers, Has.Length.EqualTo(families).And.All.EqualTo($"level0_file_num_compaction_trigger={trigger}"), store);
        }
    }

    /// <summary>The insert hints by account reach the families keyed by account in both stores (not the rows' family), or none when off.</summary>
    [TestCase(null, "rocksdb.FixedPrefix.9")]
    [TestCase("Ledger:Storage:InsertHints=false", "nullptr")]
    public async Task ShouldHandTheInsertHintsToTheFamiliesKeyedByAccount(string? setting, string extractor)
    {
        await using var server = await GatewayServer.StartAsync(setting is null ? [] : [setting]);
        foreach (var (store, expected) in new[] { (EntryStore.DirectoryName, new[] { extractor }), (ReadStore.DirectoryName, new[] { extractor, "nullptr" }) })
        {
            string options = Directory.GetFiles(Path.Combine(server.DataDir, store), "OPTIONS-*").Order(StringComparer.Ordinal).Last();
            var hints = File.ReadLines(options).Select(l => l.Trim()).Where(l => l.StartsWith("memtable_insert_with_hint_prefix_extractor=", StringComparison.Ordinal))
                .Select(l => l["memtable_insert_with_hint_prefix_extractor=".Length..]).ToArray();
            Assert.That(hints, Is.EqualTo(expected), store);
        }
    }

    [Test]
    public void ShouldMapTheDefaultConfigurationOntoEachComponentsOwnDefaults()
    {
        // One default per knob (issue 18): the engine once defaulted its cache to 65 536 entries and its account table to
        // 1 024 while the service said 1 048 576 for both. The configuration now starts from the components' own defaults,
        // and what it hands each component with nothing configured is exactly what the component would take by itself.
        var options = new LedgerOptions();
        Assert.That(ComponentSettings.Engine(options), Is.EqualTo(new EngineSettings()));
        Assert.That(ComponentSettings.EntryStore(options), Is.EqualTo(new EntryStoreSettings()));
        Assert.That(ComponentSettings.ReadStore(options), Is.EqualTo(new ReadStoreSettings { IdKeys = false }), "the ledger's read store asks its entry store for correlation ids");
        Assert.That(ComponentSettings.ReplicaReadStore(options), Is.EqualTo(new ReadStoreSettings { WriteAheadLog = true }), "a replica's keeps them, and its writes in RocksDB's log");
        var host = ComponentSettings.Host(options);
        var own = new EngineHostSettings();
        Assert.That((host.RingSize, host.Layout, host.InFlightEntriesMax, host.WaitStrategy().GetType()),
            Is.EqualTo((own.RingSize, own.Layout, own.InFlightEntriesMax, own.WaitStrategy().GetType())));
        Assert.That(new EngineSettings().EntryCacheEntries, Is.EqualTo(1 << 20), "the one default of the entry cache (docs/gateway.md)");
    }

    [Test]
    public void ShouldAcceptTheDocumentedDefaults()
    {
        var memory = new MemoryOptions();
        Assert.That(memory.Problem(), Is.Null);
        Assert.That(memory.EntryCacheEntries, Is.GreaterThanOrEqualTo(memory.EntryCacheEntriesMin));
    }
}
