using System.Diagnostics;
using System.Net;
using System.Text;
using Ledger.Baselines.Postgres;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Ledger.Bench.Tests;

/// <summary>
/// The PostgreSQL reference ledger on a private cluster (perf/baselines/postgres/pg-cluster.sh): ledger-bench's counts
/// and balances add up against it, and it keeps the ledger's POST rules. Needs Debian's PostgreSQL, which .ci/setup.sh installs
/// (<c>apt-get install -y postgresql</c>).
/// </summary>
[NonParallelizable]
[Category("Tools")]
public class PostgresBaselineTests
{
    private string _clusterDir = null!;
    private WebApplication _app = null!;
    private Uri _address = null!;

    [OneTimeSetUp]
    public async Task StartClusterAndBaseline()
    {
        Assert.That(Directory.Exists("/usr/lib/postgresql"), Is.True, "PostgreSQL is not installed: run .ci/setup.sh first (it installs Debian's postgresql).");
        _clusterDir = Path.Combine(Path.GetTempPath(), "ledger-bench-pg-" + Guid.NewGuid().ToString("N")[..8]);
        int port = 20_000 + Random.Shared.Next(20_000);
        string connection = Cluster("start", _clusterDir, port.ToString(System.Globalization.CultureInfo.InvariantCulture)).Trim().Split('\n')[^1];
        _app = await PostgresApp.BuildAsync(["--urls=http://127.0.0.1:0", $"--Postgres:ConnectionString={connection}", "--Postgres:PoolSize=8"]);
        await _app.StartAsync();
        var addresses = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        _address = new Uri(addresses.First());
    }

    [OneTimeTearDown]
    public async Task StopClusterAndBaseline()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        if (_clusterDir is not null) Cluster("stop", _clusterDir);
    }

    private static string Cluster(params string[] args)
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Ledger.sln"))) root = Path.GetDirectoryName(root.TrimEnd('/'))!;
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(root, "perf", "baselines", "postgres", "pg-cluster.sh"));
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.That(process.ExitCode, Is.Zero, error);
        return output;
    }

    [Test]
    public async Task LedgerBenchCountsShouldAddUpAgainstTheBaseline()
    {
        var run = await BenchRun.OfAsync(_address, "--mode", "closed", "--connections", "4", "--duration", "1", "--warmup", "0",
            "--batch", "5", "--accounts", "10", "--target", "postgres", "--mix", "deposit=50,debit=10,hold=15,release=10,reversal=5,replay=5,balance=5");

        Assert.That(run.ExitCode, Is.EqualTo(Cli.ExitOk), run.ToString());
        Assert.That(run.Result!.Check.ObservedHeldMovedMinor, Is.EqualTo(run.Result.Check.ExpectedHeldMovedMinor));
    }

    [Test]
    public async Task ShouldCheckFundsHoldAndRememberDeclines()
    {
        using var client = new HttpClient { BaseAddress = _address };
        long account = 900_000 + Random.Shared.Next(99_999);
        using (var open = await client.PostAsync(new Uri("/v1/accounts", UriKind.Relative), Json($"{{\"branch\":1,\"account\":{account},\"currency\":\"USD\"}}")))
        {
            Assert.That(open.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        }
        async Task<(int Status, string Body)> Post(string entry)
        {
            using var response = await client.PostAsync(new Uri($"/v1/accounts/1/{account}/batches", UriKind.Relative), Json($"{{\"entries\":[{entry}]}}"));
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        const string purchase = "{\"entryKind\":\"ledger\",\"correlationId\":\"pos-1\",\"entryType\":998,\"amount\":{\"value\":500,\"currency\":\"USD\"}}";
        const string deposit = "{\"entryKind\":\"ledger\",\"correlationId\":\"dep-1\",\"entryType\":100,\"amount\":{\"value\":1000,\"currency\":\"USD\"}}";
        const string hold = "{\"entryKind\":\"blocking\",\"correlationId\":\"hold-1\",\"entryType\":998,\"amount\":{\"value\":300,\"currency\":\"USD\"}}";

        Assert.That((await Post(purchase)).Status, Is.EqualTo(422), "insufficient funds");
        Assert.That((await Post(deposit)).Status, Is.EqualTo(201));
        var again = await Post(purchase);
        Assert.That(again.Status, Is.EqualTo(422), "a declined correlationId stays declined after funds arrive");
        Assert.That(again.Body, Does.Contain("insufficient-funds"));
        var held = await Post(hold);
        Assert.That(held.Body, Does.Contain("\"PENDING\"").And.Contain("{\"type\":\"AVAILABLE\",\"value\":700").And.Contain("{\"type\":\"HELD\",\"value\":300"));
        Assert.That((await Post(deposit)).Status, Is.EqualTo(201), "the same request again: its first answer");
        Assert.That((await Post(deposit.Replace("1000", "1001", StringComparison.Ordinal))).Status, Is.EqualTo(409), "the same id, another payload");
        using var balances = await client.GetAsync(new Uri($"/v1/accounts/1/{account}/balances", UriKind.Relative));
        Assert.That(LedgerApi.ParseBalances(await balances.Content.ReadAsStringAsync()), Is.EqualTo((700L, 300L)));
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
