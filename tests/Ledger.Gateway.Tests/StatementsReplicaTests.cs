using Ledger.Testing;

namespace Ledger.Gateway.Tests;

/// <summary>
/// The statements role: two replicas (<c>--Ledger:Role=statements</c>, each its own consumer group and read store), fed
/// only from ledger.events, answer balances, <c>?at=</c> and statements (v1, v2, the whole ledger) byte for byte as the
/// ledger's in-process read side does, after a mixed workload; and they serve no write endpoint.
/// </summary>
public sealed class StatementsReplicaTests
{
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

        using var reference = await main.ClientAsync();
        var statement = await reference.StatementAsync(a);
        var instants = statement.Select(e => (string)e!["timestamp"]!).ToList();
        var queries = new List<string> { a.Balances, b.Balances, a.Statement, b.Statement, "/v1/entries", "/v2/entries?status=RELEASED", $"/v2/entries?branch={a.Branch}&account={a.Number}&entryKind=reversal" };
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
            Assert.That((int)post.StatusCode, Is.EqualTo(404), "a replica takes no writes");
        }
    }

    private static async Task<string> Body(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        return await response.Content.ReadAsStringAsync();
    }
}
