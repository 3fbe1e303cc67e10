using System.Net;
using Ledger.Engine.Domain;
using Ledger.ReadSide;
using Ledger.Testing;
using RocksDbSharp;

namespace Ledger.Gateway.Tests;

/// <summary>
/// The read store's layout changed (layout 3: rows once by (time, sequence) in their own column family; docs/decisions.md,
/// "History written about once"). A store an older build wrote is found at start, set aside untouched as
/// <c>read.unusable-…</c>, and rebuilt: the ledger from its journal, a statements replica from its topic; the answers
/// are those of the store before.
/// </summary>
public sealed class ReadStoreLayoutTests
{
    private static async Task<string> Body(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), path);
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task<Dictionary<string, string>> ReadAllAsync(HttpClient client, TestAccount a)
    {
        var answers = new Dictionary<string, string>();
        foreach (var path in new[] { a.Balances, a.Statement, a.Statement + "&limit=1", "/v1/entries", "/v2/entries?status=RELEASED", $"{a.Balances}?at=2100-01-01" })
        {
            answers[path] = await Body(client, path);
        }
        return answers;
    }

    private static async Task PostSomeAsync(HttpClient client, TestAccount a)
    {
        (await client.PostAsync(a.Batches, Batch(Entry("ledger", "d1", 100, 5_000), Entry("blocking", "h1", 998, 1_000), Entry("ledger", "d2", 100, 7)))).EnsureSuccessStatusCode();
        (await client.DeleteAsync($"{a.Path}/entries?correlationId=h1")).EnsureSuccessStatusCode();
        (await client.PostAsync(a.Batches, Deposit("d3", 40))).EnsureSuccessStatusCode();
    }

    private static void AssertSetAsideUntouched(string dataDir)
    {
        var aside = Directory.GetDirectories(dataDir, ReadStore.DirectoryName + ".unusable-*");
        Assert.That(aside, Has.Length.EqualTo(1), "the older store was moved aside");
        Assert.That(RocksDb.ListColumnFamilies(new DbOptions(), aside[0]), Is.EqualTo(new[] { "default" }), "as it was: never opened for writing");
    }

    [Test]
    public async Task AReadStoreInTheOlderLayoutShouldBeSetAsideAndRebuiltFromTheJournal()
    {
        string dataDir = GatewayServer.NewDataDir();
        try
        {
            TestAccount a;
            Dictionary<string, string> before;
            await using (var first = await GatewayServer.StartOnAsync(dataDir))
            {
                a = await first.OpenAccountAsync();
                using var client = await first.ClientAsync();
                await PostSomeAsync(client, a);
                before = await ReadAllAsync(client, a);
            }
            // What an older build left: the same journal, a read store in layout 2 whose watermark the journal continues.
            string readDir = Path.Combine(dataDir, ReadStore.DirectoryName);
            Directory.Delete(readDir, recursive: true);
            OlderReadLayout.Write(readDir, new AccountKey(a.Branch, a.Number).Packed, record: 2, nextAddress: 64, lastSequence: 1);

            await using (var second = await GatewayServer.StartOnAsync(dataDir))
            {
                using var client = await second.ClientAsync();
                Assert.That(await ReadAllAsync(client, a), Is.EqualTo(before), "rebuilt from the journal: the same answers");
                await PostSomeAsync(client, await second.OpenAccountAsync());
            }
            AssertSetAsideUntouched(dataDir);
        }
        finally
        {
            if (Directory.Exists(dataDir)) Directory.Delete(dataDir, recursive: true);
        }
    }

    [Test]
    public async Task AReplicasReadStoreInTheOlderLayoutShouldBeSetAsideAndRebuiltFromTheTopic()
    {
        using var kafka = KafkaMockCluster.Start("ledger.events");
        string bootstrap = $"Ledger:Kafka:BootstrapServers={kafka.BootstrapServers}";
        await using var main = await GatewayServer.StartAsync(bootstrap);
        var a = await main.OpenAccountAsync();
        using var writer = await main.ClientAsync();
        await PostSomeAsync(writer, a);
        var expected = await ReadAllAsync(writer, a);
        while (main.Runtime.Publisher!.Acknowledged.Record < main.Runtime.Store!.Journal.CommittedRecordNumber) await Task.Delay(20);

        string replicaDir = GatewayServer.NewDataDir();
        try
        {
            // An older replica's store: layout 2, a partition position and a watermark (it had read part of the topic).
            OlderReadLayout.Write(Path.Combine(replicaDir, ReadStore.DirectoryName), new AccountKey(a.Branch, a.Number).Packed, record: 2, nextAddress: 0, lastSequence: 1);
            await using (var replica = await GatewayServer.StartOnAsync(replicaDir, bootstrap, "Ledger:Role=statements", "Ledger:Kafka:StatementsGroup=older-layout"))
            {
                using var client = await replica.ClientAsync();
                Assert.That(await ReadAllAsync(client, a), Is.EqualTo(expected), "rebuilt from the topic's beginning: the primary's answers");
            }
            AssertSetAsideUntouched(replicaDir);
        }
        finally
        {
            if (Directory.Exists(replicaDir)) Directory.Delete(replicaDir, recursive: true);
        }
    }
}
