using System.Net;
using Ledger.Engine.Commands;
using Ledger.Engine.Hosting;
using Ledger.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Ledger.Gateway.Tests;

/// <summary>
/// Answers go out once the journal commit returned; the entry store and the read side follow behind. Held back, they
/// change no answer (the engine's cache holds everything above the store's watermark) and reads wait for what was
/// acknowledged before them, or are refused 503 read-side-behind past the bound.
/// </summary>
public sealed class AcknowledgeAfterJournalTests
{
    [Test]
    public async Task ShouldAnswerEveryKindOfWriteWhileTheStoresAreHeldBackAndLetReadsWaitForThem()
    {
        var storeGate = new ManualResetEventSlim(true);
        var readGate = new ManualResetEventSlim(true);
        await using var server = await StartHeldBackAsync(storeGate, readGate, "Ledger:ReadYourWritesWaitMax=00:00:30");
        var account = await server.OpenAccountAsync();
        using var client = await server.ClientAsync();
        using (var first = await client.PostAsync(account.Batches, Http.Deposit("dep-1", 100))) Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.Created));

        storeGate.Reset();
        readGate.Reset();
        try
        {
            // Every answer below is decided from the engine's RAM: the store has none of these entries yet.
            using var deposit = await client.PostAsync(account.Batches, Http.Deposit("dep-2", 50));
            Assert.That(deposit.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            string depositBody = await deposit.Content.ReadAsStringAsync();
            using var purchase = await client.PostAsync(account.Batches, Http.Batch(Http.Entry("ledger", "pos-1", 998, 20)));
            Assert.That(Http.Balances((await purchase.BodyAsync())["balances"]!), Is.EqualTo((130L, 0L)));
            using var hold = await client.PostAsync(account.Batches, Http.Batch(Http.Entry("blocking", "hold-1", 998, 30)));
            Assert.That(Http.Balances((await hold.BodyAsync())["balances"]!), Is.EqualTo((100L, 30L)));
            using var replay = await client.PostAsync(account.Batches, Http.Deposit("dep-2", 50));
            Assert.That(await replay.Content.ReadAsStringAsync(), Is.EqualTo(depositBody), "a replay of an entry the store does not hold yet is its first answer");
            using var conflict = await client.PostAsync(account.Batches, Http.Deposit("dep-2", 51));
            await conflict.ProblemAsync(409, "idempotency-conflict");
            using var reversal = await client.PostAsync(account.Batches, Http.Batch(Http.Entry("reversal", "rev-1", reverses: "pos-1")));
            Assert.That(Http.Balances((await reversal.BodyAsync())["balances"]!), Is.EqualTo((120L, 30L)));
            using var again = await client.PostAsync(account.Batches, Http.Batch(Http.Entry("reversal", "rev-2", reverses: "pos-1")));
            await again.ProblemAsync(422, "already-reversed");
            using var release = await client.DeleteAsync(account.Path + "/entries?correlationId=hold-1");
            Assert.That(release.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));

            var read = client.GetAsync(account.Balances);
            await Task.Delay(500);
            Assert.That(read.IsCompleted, Is.False, "a read waits for the writes acknowledged before it");
            storeGate.Set();
            readGate.Set();
            using var balances = await read;
            Assert.That(balances.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(Http.Balances((await balances.BodyAsync())["balances"]!), Is.EqualTo((150L, 0L)));
            var statement = await client.StatementAsync(account);
            Assert.That(statement.Select(e => (string)e!["correlationId"]!), Is.EqualTo(new[] { "dep-1", "dep-2", "pos-1", "hold-1", "rev-1" }));
        }
        finally
        {
            storeGate.Set();
            readGate.Set();
        }
    }

    [Test]
    public async Task ShouldRefuseAReadWith503WhenTheReadSideStaysBehindPastTheBound()
    {
        var readGate = new ManualResetEventSlim(true);
        await using var server = await GatewayServer.StartOnAsync(null,
            app => app.Services.GetRequiredService<Hosting.LedgerRuntime>().WrapReadSink = sink => new HeldSink(sink, readGate),
            "Ledger:ReadYourWritesWaitMax=00:00:00.300");
        var account = await server.OpenAccountAsync();
        using var client = await server.ClientAsync();
        readGate.Reset();
        try
        {
            using var posted = await client.PostAsync(account.Batches, Http.Deposit("d-1", 7));
            Assert.That(posted.StatusCode, Is.EqualTo(HttpStatusCode.Created), "the write is answered: the journal has it");
            using var refused = await client.GetAsync(account.Balances);
            await refused.ProblemAsync(503, "read-side-behind");
            Assert.That(refused.Headers.RetryAfter, Is.Not.Null);
            using var statement = await client.GetAsync(account.Statement);
            await statement.ProblemAsync(503, "read-side-behind");
        }
        finally
        {
            readGate.Set();
        }
        Assert.That(await client.BalancesAsync(account), Is.EqualTo((7L, 0L)));
    }

    [Test]
    public async Task ShouldSeeItsEntryInAReadRightAfterEachOfThousandsOfConcurrent201s()
    {
        await using var server = await GatewayServer.StartAsync("Ledger:RateLimit:PermitsPerSecond=0");
        const int clients = 8, perClient = 250;
        var accounts = new TestAccount[clients];
        for (int c = 0; c < clients; c++) accounts[c] = await server.OpenAccountAsync();
        var stale = await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            using var client = await server.ClientAsync();
            int misses = 0;
            for (int i = 1; i <= perClient; i++)
            {
                using var posted = await client.PostAsync(accounts[c].Batches, Http.Deposit($"c{c}-{i}", 1));
                Assert.That(posted.StatusCode, Is.EqualTo(HttpStatusCode.Created));
                if (await client.BalancesAsync(accounts[c]) != (i, 0)) misses++;
            }
            return misses;
        })));
        Assert.That(stale.Sum(), Is.Zero, "every read right after a 201 saw its entry");
        Assert.That(server.Runtime.ReadProgress.TimedOut, Is.Zero);
    }

    /// <summary>
    /// The soak's 503s (issue 14): 32 connections posting 100-entry batches, answered after the journal while the entry
    /// store and the read side lag behind. The commands they have not let go of fill Memory:InFlightEntriesMax (here
    /// 2 000 = 10 commands of 100 entries counted twice; 655 at the default); a write then waits for room instead of
    /// being refused 503 busy, and every one is answered 201 once the stages catch up.
    /// </summary>
    [Test]
    public async Task ShouldWaitForRoomRatherThanRefuseWritesWhileTheStagesBehindTheAnswersLag()
    {
        var storeGate = new ManualResetEventSlim(true);
        var readGate = new ManualResetEventSlim(true);
        await using var server = await StartHeldBackAsync(storeGate, readGate,
            "Ledger:Memory:InFlightEntriesMax=2000", "Ledger:BusyWaitMax=00:01:00", "Ledger:RateLimit:PermitsPerSecond=0");
        const int connections = 32, batches = 3, entries = 100;
        var accounts = new TestAccount[connections];
        for (int c = 0; c < connections; c++) accounts[c] = await server.OpenAccountAsync();
        var host = server.Runtime.Host!;
        storeGate.Reset();
        readGate.Reset();
        Task<HttpStatusCode[][]> posting;
        try
        {
            posting = Task.WhenAll(Enumerable.Range(0, connections).Select(c => Task.Run(async () =>
            {
                using var client = await server.ClientAsync();
                var codes = new HttpStatusCode[batches];
                for (int b = 0; b < batches; b++)
                {
                    var body = Http.Batch(Enumerable.Range(0, entries).Select(i => Http.Entry("ledger", $"c{c}-b{b}-{i}", 100, 1)).ToArray());
                    using var posted = await client.PostAsync(accounts[c].Batches, body);
                    codes[b] = posted.StatusCode;
                }
                return codes;
            })));
            // Held back until the bound is full and writes wait (no clock: the loop ends when the state is reached).
            while (host.EntriesInFlight + 2 * entries <= host.InFlightEntriesMax && !posting.IsCompleted) await Task.Delay(10);
            Assert.That(posting.IsCompleted, Is.False, "writes wait while the bound is full");
        }
        finally
        {
            storeGate.Set();
            readGate.Set();
        }
        var statuses = (await posting).SelectMany(codes => codes).ToArray();
        Assert.That(statuses, Has.All.EqualTo(HttpStatusCode.Created), "no 503 busy: each write waited for room");
        Assert.That(host.RoomWaits, Is.GreaterThan(0), "some did wait");
        Assert.That(host.RoomWaitsRefused, Is.Zero);
        using var reader = await server.ClientAsync();
        foreach (var account in accounts) Assert.That(await reader.BalancesAsync(account), Is.EqualTo((batches * (long)entries, 0L)));
        Assert.That(host.EntriesInFlight, Is.Zero);
    }

    [Test]
    public async Task ShouldRefuseAWriteWith503BusyWhenNoRoomComesWithinTheBound()
    {
        var readGate = new ManualResetEventSlim(true);
        await using var server = await GatewayServer.StartOnAsync(null,
            app => app.Services.GetRequiredService<Hosting.LedgerRuntime>().WrapReadSink = sink => new HeldSink(sink, readGate),
            "Ledger:Memory:InFlightEntriesMax=1000", "Ledger:BusyWaitMax=00:00:00.300");
        var account = await server.OpenAccountAsync();
        using var client = await server.ClientAsync();
        readGate.Reset();
        try
        {
            // 400 entries count 800 of the 1 000; 150 more (300) cannot fit until the read side lets go (ticks count 1 each).
            var first = Http.Batch(Enumerable.Range(0, 400).Select(i => Http.Entry("ledger", $"a-{i}", 100, 1)).ToArray());
            using (var posted = await client.PostAsync(account.Batches, first)) Assert.That(posted.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            var second = Http.Batch(Enumerable.Range(0, 150).Select(i => Http.Entry("ledger", $"b-{i}", 100, 1)).ToArray());
            using var refused = await client.PostAsync(account.Batches, second);
            var problem = await refused.ProblemAsync(503, "busy");
            Assert.That((string)problem["detail"]!, Does.Contain("Ledger:Memory:InFlightEntriesMax"));
            Assert.That(server.Runtime.Host!.RoomWaitsRefused, Is.EqualTo(1), "it waited, then was refused");
        }
        finally
        {
            readGate.Set();
        }
        Assert.That(await client.BalancesAsync(account), Is.EqualTo((400L, 0L)), "the refused write changed nothing");
    }

    /// <summary>A gateway whose entry store and read side wait at the end of each batch while their gate is closed.</summary>
    private static Task<GatewayServer> StartHeldBackAsync(ManualResetEventSlim storeGate, ManualResetEventSlim readGate, params string[] settings) =>
        GatewayServer.StartOnAsync(null, app =>
        {
            var runtime = app.Services.GetRequiredService<Hosting.LedgerRuntime>();
            runtime.WrapStoreWriter = writer => new HeldStoreWriter(writer, storeGate);
            runtime.WrapReadSink = sink => new HeldSink(sink, readGate);
        }, settings);
}
