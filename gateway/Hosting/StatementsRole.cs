using Ledger.Journal;
using Ledger.Journal.Entries;
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

    /// <summary>How far the feed is: lag, partitions, caught up or not.</summary>
    public Kafka.FeedProgress Progress => _feed.Progress;

    /// <summary>Opens the read store (with its write-ahead log) and starts the feed; <see cref="WaitUntilCaughtUp"/> then waits for readiness.</summary>
    public static StatementsRole Start(LedgerOptions options, ILogger logger, Action<ReadWatermark> committed)
    {
        // The replica's only other copy of its data is Kafka: its rows and partition positions go to RocksDB's
        // write-ahead log with every write, so a killed replica resumes where it was (docs/decisions.md, "Statements replicas").
        var opening = System.Diagnostics.Stopwatch.StartNew();
        var reads = OpenReadStore(Path.Combine(options.DataDir, ReadStore.DirectoryName), ComponentSettings.ReplicaReadStore(options), logger);
        if (logger.IsEnabled(LogLevel.Information)) logger.LogInformation("Statements replica: read store opened in {Seconds:F3} s.", opening.Elapsed.TotalSeconds);
        var feed = new Kafka.EventsFeed(options.Kafka, options.Statements.PendingEventsMax, reads, logger, committed);
        // Durable with every write already (the log); the periodic flush bounds the log a restart replays.
        var checkpoints = new Checkpointer("read store", () => reads.FlushedRecord != reads.Watermark.RecordNumber, () => reads.Checkpoint(),
            ComponentSettings.CheckpointEvery(options), logger);
        var role = new StatementsRole(reads, feed, checkpoints);
        feed.Start();
        checkpoints.Start();
        return role;
    }

    /// <summary>
    /// Opens the replica's read store. One in a layout this build does not read (written by an older build: its format
    /// marker or column families say so) is moved aside as <c>read.unusable-…</c> and the replica rebuilds from the
    /// topic's beginning, which the feed checks is still there (a topic that lost its beginning is refused, never ready).
    /// A store that does not open for another reason (damage, the disk) stops the start, as before.
    /// </summary>
    private static ReadStore OpenReadStore(string dir, ReadStoreSettings settings, ILogger logger)
    {
        try
        {
            return ReadStore.Open(dir, settings);
        }
        catch (ReadStoreFormatException ex)
        {
            string aside = LedgerStore.AsideName(dir);
            Directory.Move(dir, aside);
            logger.LogWarning("Statements replica: the read store is not in this build's layout ({Problem}); moved to {Aside}, rebuilding it from the topic's beginning.",
                ex.Message, aside);
            return ReadStore.Open(dir, settings);
        }
    }

    /// <summary>Returns once the read store holds every partition up to its end offset at start (throws if the feed stopped).</summary>
    public void WaitUntilCaughtUp(LedgerOptions options, ILogger logger, System.Diagnostics.Stopwatch started)
    {
        _feed.CaughtUp.GetAwaiter().GetResult();
        if (logger.IsEnabled(LogLevel.Information))
            logger.LogInformation("Statements replica ready in {Seconds:F3} s: read store at journal record {Record}, fed from {Topic} in group {Group}.",
                started.Elapsed.TotalSeconds, Reads.Watermark.RecordNumber, options.Kafka.EventsTopic, options.Kafka.StatementsGroup);
    }

    public void Dispose()
    {
        _feed.Dispose();
        _checkpoints.Dispose();
        Reads.Dispose();
    }
}
