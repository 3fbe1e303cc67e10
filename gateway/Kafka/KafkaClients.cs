using Confluent.Kafka;
using Ledger.Gateway.Hosting;
using Microsoft.Extensions.Logging;

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

    public static ProducerConfig Producer(KafkaOptions options, int lingerMs) => new()
    {
        BootstrapServers = options.BootstrapServers,
        ClientId = options.ClientId,
        EnableIdempotence = true,
        Acks = Acks.All,
        MessageTimeoutMs = 0,
        QueueBufferingMaxMessages = options.PublisherQueueMessages,
        LingerMs = lingerMs,
    };

    /// <summary>
    /// librdkafka's own log lines go to <paramref name="logger"/> instead of raw <c>%3|…|FAIL|</c> lines on stderr. A
    /// broker that is down is expected to come back (Kafka down never blocks posting), so even its errors are warnings.
    /// </summary>
    public static ProducerBuilder<byte[], byte[]> LogTo(this ProducerBuilder<byte[], byte[]> builder, ILogger logger) =>
        builder.SetLogHandler((_, message) => Log(logger, message));

    /// <inheritdoc cref="LogTo(ProducerBuilder{byte[], byte[]}, ILogger)"/>
    public static ConsumerBuilder<byte[], byte[]> LogTo(this ConsumerBuilder<byte[], byte[]> builder, ILogger logger) =>
        builder.SetLogHandler((_, message) => Log(logger, message));

    private static void Log(ILogger logger, LogMessage message)
    {
        var level = message.Level switch
        {
            <= SyslogLevel.Warning => LogLevel.Warning,
            SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
            _ => LogLevel.Debug,
        };
        if (logger.IsEnabled(level)) logger.Log(level, "librdkafka {Facility} ({Client}): {Message}", message.Facility, message.Name, message.Message);
    }
}
