using Confluent.Kafka;

namespace Ledger.Gateway.Tests;

/// <summary>The mock cluster itself: an independent producer and consumer round-trip a message over the real protocol.</summary>
public sealed class KafkaMockClusterTests
{
    [Test]
    public void ShouldCarryAMessageBetweenTwoClients()
    {
        using var kafka = KafkaMockCluster.Start("probe");
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers }).Build())
        {
            producer.Produce("probe", new Message<string, string> { Key = "k", Value = "hello" });
            Assert.That(producer.Flush(TimeSpan.FromSeconds(10)), Is.Zero);
        }
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = kafka.BootstrapServers, GroupId = "probe-" + Guid.NewGuid(), AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();
        consumer.Subscribe("probe");
        var result = consumer.Consume(TimeSpan.FromSeconds(20));
        Assert.That(result?.Message.Value, Is.EqualTo("hello"));
        consumer.Close();
    }
}
