using Ledger.Gateway.Hosting;

namespace Ledger.Gateway.Tests;

/// <summary>Bad configuration fails at start-up with a sentence saying what to fix, never runs half-configured.</summary>
public sealed class ConfigurationTests
{
    [Test]
    public void ShouldRefuseAKafkaBootstrapListRatherThanIgnoreIt()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            GatewayApp.Build(["--urls=http://127.0.0.1:0", $"--Ledger:DataDir={GatewayServer.NewDataDir()}", "--Ledger:Kafka:BootstrapServers=127.0.0.1:9092"]));
        Assert.That(error!.Message, Does.Contain("Ledger:Kafka:BootstrapServers").And.Contain("unset it"));
    }
}
