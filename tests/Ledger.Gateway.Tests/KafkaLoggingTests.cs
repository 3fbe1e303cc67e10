namespace Ledger.Gateway.Tests;

/// <summary>With the brokers down, librdkafka's complaints reach the service's log as log lines, not raw <c>%3|…|FAIL|</c> lines on stderr.</summary>
public sealed class KafkaLoggingTests
{
    [Test]
    public async Task LibrdkafkasLinesShouldGoThroughTheLoggerWhenTheBrokerIsDown()
    {
        // Port 9 (discard) on loopback: nothing listens, every connection is refused at once.
        using var gateway = await GatewayProcess.StartAsync(GatewayServer.NewDataDir(), "Ledger:Kafka:BootstrapServers=127.0.0.1:9");
        for (int i = 0; i < 600 && !gateway.Log.Contains("librdkafka", StringComparison.Ordinal); i++) await Task.Delay(50);
        string log = gateway.Log;
        Assert.That(log, Does.Contain("librdkafka FAIL").Or.Contain("librdkafka ERROR"), "the broker's refusal is logged, through the logger");
        Assert.That(log.Split('\n').Where(l => l.TrimStart().StartsWith('%')), Is.Empty, "no raw librdkafka line");
    }
}
