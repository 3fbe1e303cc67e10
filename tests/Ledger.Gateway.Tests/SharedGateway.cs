namespace Ledger.Gateway.Tests;

/// <summary>One gateway for every test that needs only the embedded defaults (tests use their own accounts).</summary>
[SetUpFixture]
public sealed class SharedGateway
{
    private static GatewayServer? _server;

    public static GatewayServer Server => _server ?? throw new InvalidOperationException("The shared gateway is not started.");

    [OneTimeSetUp]
    public async Task StartAsync() => _server = await GatewayServer.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}
