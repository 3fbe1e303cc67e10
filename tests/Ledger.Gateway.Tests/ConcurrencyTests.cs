using System.Net;
using System.Text;

namespace Ledger.Gateway.Tests;

/// <summary>Many partners at once: read-your-writes, no lost or doubled entries, reads concurrent with writes.</summary>
public sealed class ConcurrencyTests
{
    private static GatewayServer Server => SharedGateway.Server;

    [Test]
    public async Task ShouldSeeEachEntryInTheBalancesRightAfterIts201()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        for (int i = 1; i <= 30; i++)
        {
            using var posted = await client.PostAsync(account.Batches, Deposit("d" + i, 10));
            Assert.That(posted.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(await client.BalancesAsync(account), Is.EqualTo((10L * i, 0L)), "read-your-writes");
        }
    }

    [Test]
    public async Task ShouldApplyConcurrentPostsExactlyOnceWhileStatementsAreRead()
    {
        var account = await Server.OpenAccountAsync();
        const int writers = 8, perWriter = 40;
        using var stop = new CancellationTokenSource();
        var reader = Task.Run(async () =>
        {
            using var client = await Server.ClientAsync();
            int reads = 0, lastCount = 0;
            while (!stop.IsCancellationRequested)
            {
                var statement = await client.StatementAsync(account, "&limit=1000");
                Assert.That(statement.Count, Is.GreaterThanOrEqualTo(lastCount), "a statement never loses entries");
                lastCount = statement.Count;
                reads++;
            }
            return reads;
        });
        var tasks = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            using var client = await Server.ClientAsync();
            for (int i = 0; i < perWriter; i++)
            {
                using var response = await client.PostAsync(account.Batches, Deposit($"w{w}-{i}", 1));
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created));
                using var replay = await client.PostAsync(account.Batches, Deposit($"w{w}-{i}", 1));
                Assert.That(replay.StatusCode, Is.EqualTo(HttpStatusCode.Created), "a retry of the same id is the first answer again");
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        await stop.CancelAsync();
        Assert.That(await reader, Is.GreaterThan(0));

        using var check = await Server.ClientAsync();
        Assert.That(await check.BalancesAsync(account), Is.EqualTo(((long)writers * perWriter, 0L)));
        var statement = await check.StatementAsync(account, "&limit=1000");
        Assert.That(statement, Has.Count.EqualTo(writers * perWriter));
        var sequences = statement.Select(e => (long)e!["sequence"]!).ToArray();
        Assert.That(sequences, Is.Ordered.Ascending);
        Assert.That(sequences.Distinct().Count(), Is.EqualTo(sequences.Length));
    }

    [Test]
    public async Task ShouldImportInSeveralJournaledChunks()
    {
        await using var server = await GatewayServer.StartAsync("Ledger:Import:ChunkSize=2");
        using var admin = await server.ClientAsync("ledger-admin");
        var csv = new StringBuilder();
        for (int i = 1; i <= 5; i++) csv.Append($"2,{i},USD\n");
        using var response = await admin.PostAsync("/v1/accounts/import", new StringContent(csv.ToString(), Encoding.UTF8, "text/csv"));
        var body = await response.BodyAsync();
        Assert.That(((int?)body["opened"], (int?)body["alreadyOpen"]), Is.EqualTo((5, 0)));
        using var last = await admin.GetAsync("/v1/accounts/2/5");
        Assert.That(last.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }
}
