using Ledger.Journal.EntryStore;
using Ledger.ReadSide;

namespace Ledger.Gateway.Hosting;

/// <summary>
/// The statements role (<c>Ledger:Role=statements</c>): no engine, no journal; this process's own read store
/// (<c>&lt;data&gt;/read</c>), fed from <c>ledger.events</c> by <see cref="Kafka.EventsFeed"/> from the position it holds,
/// ready once caught up. It serves the read endpoints only.
/// </summary>
internal sealed class StatementsRole : IDisposable
{
    private readonly Kafka.EventsFeed _feed;
    private readonly Checkpointer _checkpoints;

    private StatementsRole(ReadStore reads, Kafka.EventsFeed feed, Checkpointer checkpoints)
    {
        Reads = reads;
        _feed = feed;
        _checkpoints = checkpoints;
    }

    public ReadStore Reads { get; }

    /// <summary>Why the feed stopped, or null while it runs.</summary>
    public Exception? Fault => _feed.Fault;

    /// <summary>Opens the read store, starts the feed and returns once it has caught up with the topic.</summary>
    public static StatementsRole Start(LedgerOptions options, ILogger logger)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        if (string.IsNullOrWhiteSpace(options.Kafka.BootstrapServers))
            throw new InvalidOperationException("Ledger:Role is statements, which reads ledger.events: set Ledger:Kafka:BootstrapServers.");
        var reads = ReadStore.Open(Path.Combine(options.DataDir, ReadStore.DirectoryName), ComponentSettings.ReadStore(options));
        var feed = new Kafka.EventsFeed(options.Kafka, reads, logger);
        var checkpoints = new Checkpointer("read store", () => reads.Stats.DurableWatermark != reads.Watermark.RecordNumber, () => reads.Checkpoint(),
            ComponentSettings.CheckpointEvery(options), logger);
        var role = new StatementsRole(reads, feed, checkpoints);
        feed.Start();
        checkpoints.Start();
        feed.CaughtUp.GetAwaiter().GetResult();
        if (logger.IsEnabled(LogLevel.Information))
            logger.LogInformation("Statements replica ready in {Seconds:F3} s: read store at journal record {Record}, fed from {Topic} in group {Group}.",
                started.Elapsed.TotalSeconds, reads.Watermark.RecordNumber, options.Kafka.EventsTopic, options.Kafka.StatementsGroup);
        return role;
    }

    public void Dispose()
    {
        _feed.Dispose();
        _checkpoints.Dispose();
        Reads.Dispose();
    }
}
