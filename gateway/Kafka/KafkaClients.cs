using Confluent.Kafka;
using Ledger.Gateway.Hosting;

namespace Ledger.Gateway.Kafka;

/// <summary>
/// The ledger's Kafka client settings, once: consumers never auto-commit (a position is saved only after its work is
/// durable) and start at the earliest offset; producers are idempotent, wait for every in-sync replica, and never give
/// up on a message (Kafka down means wait, not drop).
/// </summary>
internal static class KafkaClients
{
    public static ConsumerConfig Consumer(KafkaOptions options, string group) => new()
    {
        BootstrapServers = options.BootstrapServers,
        ClientId = options.ClientId,
        GroupId = group,
        EnableAutoCommit = false,
        AutoOffsetReset = AutoOffsetReset.Earliest,
        SessionTimeoutMs = options.SessionTimeoutMilliseconds,
    };

    public static ProducerConfig Producer(KafkaOptions options, TimeSpan linger) => new()
    {
        BootstrapServers = options.BootstrapServers,
        ClientId = options.ClientId,
        EnableIdempotence = true,
        Acks = Acks.All,
        MessageTimeoutMs = 0,
        QueueBufferingMaxMessages = options.PublisherQueueMessages,
        LingerMs = linger.TotalMilliseconds,
    };
}
