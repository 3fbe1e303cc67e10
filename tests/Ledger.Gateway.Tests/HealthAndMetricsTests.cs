using System.Net;
using Microsoft.Extensions.DependencyInjection;

namespace Ledger.Gateway.Tests;

/// <summary>/health/live, /health/ready and /metrics.</summary>
public sealed class HealthAndMetricsTests
{
    private static GatewayServer Server => SharedGateway.Server;

    [TestCase("/health/live")]
    [TestCase("/health/ready")]
    public async Task ShouldAnswerHealthyWithoutAToken(string path)
    {
        using var response = await Server.Anonymous.GetAsync(path);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("Healthy"));
    }

    [Test]
    public async Task ShouldReportNotReadyWhileStopping()
    {
        await using var server = await GatewayServer.StartAsync();
        server.Runtime.BeginStopping();
        using var ready = await server.Anonymous.GetAsync("/health/ready");
        await ready.ProblemAsync(503, "not-ready");
        using var live = await server.Anonymous.GetAsync("/health/live");
        Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        using var client = await server.ClientAsync();
        using var post = await client.PostAsync("/v1/accounts/1/1/batches", Deposit("d", 1));
        await post.ProblemAsync(503, "not-ready");
    }

    /// <summary>The real journal, with its commit made to throw once armed (a disk that stopped taking writes).</summary>
    private sealed class FailingJournal(Ledger.Engine.Hosting.ICommandJournal inner) : Ledger.Engine.Hosting.ICommandJournal
    {
        public volatile bool Armed;

        public void Append(Ledger.Engine.Commands.LedgerCommand command) => inner.Append(command);

        public void Commit()
        {
            if (Armed) throw new IOException("No space left on device (injected)");
            inner.Commit();
        }
    }

    [Test]
    public async Task ShouldRefuseWritesNamingTheJournalKeepReadingAndTakeWritesAgainByItself()
    {
        // A journal that cannot write (a full disk): writes are refused with the component named, /health/ready says
        // why, the process stays live (it recovers by itself), reads answer what is durable; once the data directory
        // takes a probe write again the ledger restarts in process (a new journal is opened: this one is not armed).
        FailingJournal? failing = null;
        await using var server = await GatewayServer.StartOnAsync(null, app =>
            app.Services.GetRequiredService<Hosting.LedgerRuntime>().WrapJournal = journal => failing = new FailingJournal(journal),
            "Ledger:Storage:ProbeEverySeconds=0.2");
        var account = await server.OpenAccountAsync();
        using var client = await server.ClientAsync();
        (await client.PostAsync(account.Batches, Deposit("before", 100))).EnsureSuccessStatusCode();
        var armed = failing!;
        armed.Armed = true;
        using (var post = await client.PostAsync(account.Batches, Deposit("during", 100)))
        {
            var problem = await post.ProblemAsync(503, "journal-failed");
            Assert.That((string?)problem["component"], Is.EqualTo("journal"));
            Assert.That((string?)problem["detail"], Does.Contain("No space left on device"));
            Assert.That(post.Headers.RetryAfter, Is.Not.Null, "every 503 says when to come back");
        }
        using (var ready = await server.Anonymous.GetAsync("/health/ready"))
        {
            var problem = await ready.ProblemAsync(503, "journal-failed");
            Assert.That((string?)problem["component"], Is.EqualTo("journal"), "ready says which component and why");
        }
        using (var read = await client.GetAsync(account.Balances))
        {
            Assert.That(read.StatusCode, Is.EqualTo(HttpStatusCode.OK), "reads answer from what is durable");
            Assert.That(Balances((await read.BodyAsync())["balances"]!), Is.EqualTo((100L, 0L)), "the refused write changed nothing");
        }

        // The probe writes to the data directory, which works here: the runtime restarts the ledger role on its own.
        HttpStatusCode status = 0;
        for (int i = 0; i < 600 && status != HttpStatusCode.Created; i++)
        {
            using var again = await client.PostAsync(account.Batches, Deposit($"after-{i}", 1));
            status = again.StatusCode;
            if (status != HttpStatusCode.Created) await Task.Delay(50);
        }
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), "writes are taken again without an operator restart");
        Assert.That(failing, Is.Not.SameAs(armed), "a new journal was opened");
        using (var live = await server.Anonymous.GetAsync("/health/live")) Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        using (var ready = await server.Anonymous.GetAsync("/health/ready")) Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await client.BalancesAsync(account)).Available, Is.EqualTo(101L), "nothing acknowledged was lost, nothing refused applied");
    }

    [Test]
    public async Task ShouldExposeLedgerMetrics()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        (await client.PostAsync(account.Batches, Deposit("d", 100))).EnsureSuccessStatusCode();
        (await client.PostAsync(account.Batches, Batch(Entry("ledger", "x", 4242, 1)))).Dispose();

        string metrics = await Server.Anonymous.GetStringAsync("/metrics");
        Assert.That(metrics, Does.Contain("ledger_entries_posted_total{kind=\"ledger\"}"));
        Assert.That(metrics, Does.Contain("ledger_declines_total{reason=\"unknown-history-code\"}"));
        Assert.That(metrics, Does.Contain("ledger_ring_depth"));
        Assert.That(metrics, Does.Contain("ledger_entries_in_flight"));
        Assert.That(metrics, Does.Contain("ledger_busy_waits_total"));
        Assert.That(metrics, Does.Contain("ledger_journal_commit_seconds_bucket"));
        Assert.That(metrics, Does.Contain("http_requests_received_total"));
        foreach (var name in new[]
        {
            "ledger_memory_resident_bytes", "ledger_memory_gc_heap_bytes", "ledger_entry_cache_entries", "ledger_entry_cache_hit_ratio",
            "ledger_open_holds", "ledger_entry_store_bytes", "ledger_entry_store_lag_records", "ledger_entry_store_durable_lag_records",
            "ledger_read_store_bytes", "ledger_read_store_lag_records", "ledger_read_store_durable_lag_records", "ledger_read_store_block_cache_bytes",
        })
        {
            Assert.That(metrics, Does.Contain("\n" + name + " "), $"{name} is exported");
        }
        Assert.That(Value(metrics, "ledger_memory_resident_bytes"), Is.GreaterThan(50 << 20), "RSS is the process's, in bytes");
        var line = metrics.Split('\n').First(l => l.StartsWith("ledger_entries_posted_total{kind=\"ledger\"}", StringComparison.Ordinal));
        Assert.That(double.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(1));
    }

    [Test]
    public async Task EveryCounterShouldEndInTotalWithNoEmptyLabelAndNoTransportNoise()
    {
        using var client = await Server.ClientAsync();
        (await client.GetAsync("/v1/history-codes")).Dispose();
        string metrics = await Server.Anonymous.GetStringAsync("/metrics");
        var lines = metrics.Split('\n');
        var counters = lines.Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal) && l.EndsWith(" counter", StringComparison.Ordinal)).Select(l => l.Split(' ')[2]).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(counters, Is.Not.Empty);
            Assert.That(counters.Where(c => !c.EndsWith("_total", StringComparison.Ordinal)), Is.Empty, "Prometheus counters end in _total");
            Assert.That(lines.Where(l => l.Contains("=\"\"", StringComparison.Ordinal)), Is.Empty, "no label exported empty (controller, action)");
            Assert.That(lines.Where(l => l.Contains("msquic", StringComparison.Ordinal)), Is.Empty, "no QUIC transport noise: the gateway serves no HTTP/3");
            foreach (var name in new[] { "dotnet_gc_pause_seconds_total", "dotnet_gc_allocated_bytes_total", "dotnet_thread_pool_queue_items", "process_cpu_seconds_total" })
                Assert.That(metrics, Does.Contain("\n" + name + " "), $"{name}: the runtime's figures, in units");
            Assert.That(metrics, Does.Contain("http_requests_received_total{code=\"200\",method=\"GET\",route=\"/v1/history-codes\"}"));
        });
    }

    [Test]
    public async Task ShouldLabelHttpRequestsByKnownMethodAndRouteOnly()
    {
        using var client = await Server.ClientAsync();
        (await client.GetAsync("/v1/history-codes")).Dispose();
        using (var brew = new HttpRequestMessage(new HttpMethod("BREW"), "/v1/history-codes")) (await client.SendAsync(brew)).Dispose();
        (await client.GetAsync("/no/such/path/7f3a")).Dispose();
        string metrics = await Server.Anonymous.GetStringAsync("/metrics");
        Assert.Multiple(() =>
        {
            Assert.That(metrics, Does.Contain("http_request_duration_seconds_bucket{code=\"200\",method=\"GET\",route=\"/v1/history-codes\",le="));
            Assert.That(metrics, Does.Contain("http_requests_in_progress{method=\"GET\",route=\"/v1/history-codes\"}"));
            Assert.That(metrics, Does.Contain("method=\"OTHER\""), "a method the gateway does not know is one label value");
            Assert.That(metrics, Does.Not.Contain("BREW"), "a client's method never becomes a label value of its own");
            Assert.That(metrics, Does.Contain("code=\"404\",method=\"GET\",route=\"unmatched\""));
            Assert.That(metrics, Does.Not.Contain("7f3a"), "a path without a route is not a label value");
        });
    }

    private static double Value(string metrics, string name) =>
        double.Parse(metrics.Split('\n').First(l => l.StartsWith(name + " ", StringComparison.Ordinal)).Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
}
