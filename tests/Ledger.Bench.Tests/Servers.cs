using Ledger.Baselines.NoOp;
using Ledger.Gateway.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Ledger.Bench.Tests;

/// <summary>
/// A server ledger-bench is pointed at, on 127.0.0.1 and a free port, in this process: the real gateway over a temporary
/// data directory (as Ledger.Gateway.Tests' GatewayServer starts it, rate limit off), or the no-op baseline.
/// Usage: <c>await using var server = await BenchServer.GatewayAsync();</c>
/// </summary>
public sealed class BenchServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string? _dataDir;

    private BenchServer(WebApplication app, string? dataDir)
    {
        _app = app;
        _dataDir = dataDir;
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        Address = new Uri(addresses.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
    }

    public Uri Address { get; }

    /// <param name="settings"><c>Key=Value</c> overrides, e.g. <c>Ledger:Kafka:BootstrapServers=127.0.0.1:1234</c>.</param>
    public static async Task<BenchServer> GatewayAsync(params string[] settings)
    {
        string dataDir = Path.Combine(Path.GetTempPath(), "ledger-bench-tests", Guid.NewGuid().ToString("N"));
        var app = GatewayApp.Build(
        [
            "--urls=http://127.0.0.1:0", $"--Ledger:DataDir={dataDir}", "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Ledger.Gateway.Hosting.LedgerRuntime=Error", "--Ledger:RateLimit:PermitsPerSecond=0",
            // Test-sized RAM for the entry store (the defaults are a production machine's).
            "--Ledger:Memory:KeyFilterBytes=1048576", "--Ledger:Memory:StoreBlockCacheBytes=8388608", "--Ledger:Memory:StoreWriteBufferBytes=4194304",
            .. settings.Select(s => "--" + s),
        ]);
        await app.StartAsync();
        await app.Services.GetRequiredService<LedgerRuntime>().WhenReady.WaitAsync(TimeSpan.FromSeconds(60));
        return new BenchServer(app, dataDir);
    }

    /// <summary>The no-op baseline; settings are <c>Key=Value</c> overrides such as <c>NoOp:Mode=Track</c>, <c>NoOp:DropEvery=7</c>.</summary>
    public static async Task<BenchServer> NoOpAsync(params string[] settings)
    {
        var app = NoOpApp.Build(["--urls=http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning", .. settings.Select(s => "--" + s)]);
        await app.StartAsync();
        return new BenchServer(app, null);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_dataDir is null) return;
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }
}
