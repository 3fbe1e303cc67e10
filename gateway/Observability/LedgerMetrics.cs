using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using Ledger.Engine.Hosting;
using Ledger.Gateway.Problems;
using Prometheus;

namespace Ledger.Gateway.Observability;

/// <summary>
/// The ledger's Prometheus metrics (served at <c>/metrics</c> beside prometheus-net's HTTP request metrics).
/// Label children are resolved once here, so the publish thread only increments.
/// </summary>
public static class LedgerMetrics
{
    private static readonly Counter EntriesPosted = Metrics.CreateCounter(
        "ledger_entries_posted_total", "Entries applied by the ledger, by entry kind.", "kind");

    private static readonly Counter Declines = Metrics.CreateCounter(
        "ledger_declines_total", "Commands the engine refused or declined (replays excluded), by reason.", "reason");

    /// <summary>Journal commit latency: one observation per group commit (journal thread).</summary>
    public static readonly Histogram JournalCommitSeconds = Metrics.CreateHistogram(
        "ledger_journal_commit_seconds", "Time one group commit of the journal took.",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.000_05, 2, 16) });

    public static readonly Gauge RingDepth = Metrics.CreateGauge(
        "ledger_ring_depth", "Commands published on the ring and not yet answered.");

    public static readonly Gauge ReadModelEntries = Metrics.CreateGauge(
        "ledger_read_model_entries", "Entries held by the balances and statements read model.");

    public static readonly Gauge ReadModelAccounts = Metrics.CreateGauge(
        "ledger_read_model_accounts", "Accounts held by the read model.");

    private static readonly Counter.Child[] EntriesByKind = BuildKinds();
    private static readonly Counter.Child?[] DeclinesByCode = BuildCodes();

    private static Counter.Child[] BuildKinds()
    {
        var children = new Counter.Child[6];
        foreach (var kind in Enum.GetValues<EntryKind>()) children[(int)kind] = EntriesPosted.WithLabels(Api.EntryMapper.KindName(kind));
        return children;
    }

    private static Counter.Child?[] BuildCodes()
    {
        var children = new Counter.Child?[256];
        foreach (var code in Enum.GetValues<ResultCode>())
        {
            if (code != ResultCode.Ok) children[(int)code] = Declines.WithLabels(ProblemTypes.Of(code).Reason);
        }
        return children;
    }

    internal static void CountEntry(EntryKind kind) => EntriesByKind[(int)kind].Inc();

    internal static void CountDecline(ResultCode code) => DeclinesByCode[(int)code]?.Inc();

    /// <summary>Refreshes the gauges that are read rather than pushed, just before each scrape.</summary>
    public static void RegisterScrapeCallback(Func<EngineHost?> host, Func<ReadModel.LedgerReadModel> readModel)
    {
        Metrics.DefaultRegistry.AddBeforeCollectCallback(() =>
        {
            RingDepth.Set(host()?.RingDepth ?? 0);
            var model = readModel();
            ReadModelEntries.Set(model.EntryCount);
            ReadModelAccounts.Set(model.AccountCount);
        });
    }
}

/// <summary>Counts entries by kind and declines by reason, on the publish thread.</summary>
internal sealed class MetricsSink : ICommittedCommandSink
{
    public void OnCommitted(LedgerCommand command)
    {
        if (command.Result.Code != ResultCode.Ok && !command.Result.Replayed) LedgerMetrics.CountDecline(command.Result.Code);
        var events = command.EventSpan;
        for (int i = 0; i < events.Length; i++)
        {
            if (events[i].Kind == LedgerEventKind.EntryApplied) LedgerMetrics.CountEntry(events[i].EntryKind);
        }
    }
}

/// <summary>Times each group commit of the wrapped journal into <see cref="LedgerMetrics.JournalCommitSeconds"/>.</summary>
internal sealed class TimedJournal(ICommandJournal inner) : ICommandJournal
{
    public void Append(LedgerCommand command) => inner.Append(command);

    public void Commit()
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        inner.Commit();
        LedgerMetrics.JournalCommitSeconds.Observe(System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds);
    }
}
