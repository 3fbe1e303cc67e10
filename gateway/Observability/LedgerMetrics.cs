using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using Ledger.Engine.Hosting;
using Ledger.Gateway.Edge;
using Ledger.Gateway.Problems;
using Prometheus;

namespace Ledger.Gateway.Observability;

/// <summary>
/// The ledger's Prometheus metrics, served at <c>/metrics</c> (the HTTP request metrics among them, recorded by <see cref="HttpRequestMetrics"/>).
/// Label children are resolved once here, so the publish thread only increments.
/// </summary>
public static class LedgerMetrics
{
    // First, before any metric exists: prometheus-net's Meter and EventCounter adapters export every .NET meter as a
    // unit-less gauge (counters without _total, 32 msquic series), so they are off and the runtime's own figures are
    // exported below with their units; its process_* and dotnet_collection_count_total stay.
    // An explicit static constructor: the fields are initialised (defaults chosen first) on the first call of any method.
    static LedgerMetrics() => GC.KeepAlive(DefaultsChosen);

    private static readonly object DefaultsChosen = ChooseDefaults();

    private static object ChooseDefaults()
    {
        Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressMeters = true, SuppressEventCounters = true, SuppressDebugMetrics = true });
        return new object();
    }

    // The .NET runtime (read before each scrape).
    private static readonly Counter GcPauseSeconds = Metrics.CreateCounter("dotnet_gc_pause_seconds_total", "Time the GC paused the process since start.");
    private static readonly Counter GcAllocatedBytes = Metrics.CreateCounter("dotnet_gc_allocated_bytes_total", "Bytes allocated on the managed heap since start.");
    private static readonly Counter LockContentions = Metrics.CreateCounter("dotnet_monitor_lock_contentions_total", "Times a thread waited for a contended Monitor lock since start.");
    private static readonly Counter ThreadPoolCompleted = Metrics.CreateCounter("dotnet_thread_pool_completed_items_total", "Work items the thread pool completed since start.");
    private static readonly Gauge ThreadPoolThreads = Metrics.CreateGauge("dotnet_thread_pool_threads", "Thread-pool threads now.");
    private static readonly Gauge ThreadPoolQueue = Metrics.CreateGauge("dotnet_thread_pool_queue_items", "Work items queued to the thread pool and not yet started.");
    private static readonly Counter JitMethods = Metrics.CreateCounter("dotnet_jit_compiled_methods_total", "Methods the JIT compiled since start.");
    private static readonly Counter JitSeconds = Metrics.CreateCounter("dotnet_jit_compilation_seconds_total", "Time spent in the JIT since start.");
    private static readonly Gauge Timers = Metrics.CreateGauge("dotnet_timers", "Active timers now.");

    // HTTP requests (HttpRequestMetrics, the middleware that records them).
    private static readonly string[] HttpLabels = ["code", "method", "route"];
    internal static readonly Gauge HttpInProgress = Metrics.CreateGauge("http_requests_in_progress",
        "HTTP requests in progress in the gateway.", new GaugeConfiguration { LabelNames = ["method", "route"] });
    internal static readonly Counter HttpReceived = Metrics.CreateCounter("http_requests_received_total",
        "HTTP requests the gateway processed.", new CounterConfiguration { LabelNames = HttpLabels });
    internal static readonly Histogram HttpDuration = Metrics.CreateHistogram("http_request_duration_seconds",
        "The duration of HTTP requests processed by the gateway.", new HistogramConfiguration { LabelNames = HttpLabels, Buckets = Histogram.ExponentialBuckets(0.001, 2, 16) });

    private static readonly Counter EntriesPosted = Metrics.CreateCounter(
        "ledger_entries_posted_total", "Entries applied by the ledger, by entry kind.", "kind");

    private static readonly Counter Declines = Metrics.CreateCounter(
        "ledger_declines_total", "Commands the engine refused or declined (replays excluded), by reason.", "reason");

    /// <summary>Journal commit latency: one observation per group commit (journal thread).</summary>
    public static readonly Histogram JournalCommitSeconds = Metrics.CreateHistogram(
        "ledger_journal_commit_seconds", "Time one group commit of the journal took.",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.000_05, 2, 16) });

    public static readonly Gauge RingDepth = Metrics.CreateGauge(
        "ledger_ring_depth", "Commands published on the ring and not yet through its last stage.");
    private static readonly Gauge EntriesInFlight = Metrics.CreateGauge(
        "ledger_entries_in_flight", "Entries counted against Ledger:Memory:InFlightEntriesMax (each requested entry twice): published and not yet through the last stage.");
    private static readonly Counter BusyWaits = Metrics.CreateCounter("ledger_busy_waits_total", "Writes that found the ring or the entries in flight full and waited for room.");
    private static readonly Counter BusyRefusals = Metrics.CreateCounter("ledger_busy_refusals_total", "Writes refused 503 busy after waiting Ledger:BusyWaitMax for room.");

    // The balances and statements read store (on disk).
    private static readonly Gauge ReadStoreBytes = Metrics.CreateGauge("ledger_read_store_bytes", "Size of the balances and statements read store (files and memtables).");
    private static readonly Gauge ReadStoreCacheBytes = Metrics.CreateGauge("ledger_read_store_block_cache_bytes", "Read store block cache in use.");
    private static readonly Gauge ReadStoreMemtableBytes = Metrics.CreateGauge("ledger_read_store_memtable_bytes", "Read store memtables in use.");
    private static readonly Gauge ReadStoreLag = Metrics.CreateGauge("ledger_read_store_lag_records", "Journal records decided but not yet readable in balances and statements.");
    private static readonly Gauge ReadStoreDurableLag = Metrics.CreateGauge("ledger_read_store_durable_lag_records", "Journal records the read store would catch up at a restart (after its last checkpoint).");
    private static readonly Counter ReadWaits = Metrics.CreateCounter("ledger_read_your_writes_waits_total", "Reads that waited for the read side to hold writes acknowledged before them.");
    private static readonly Counter ReadWaitSeconds = Metrics.CreateCounter("ledger_read_your_writes_wait_seconds_total", "Time reads spent waiting for the read side (divide by the waits for the mean).");
    private static readonly Counter ReadWaitTimeouts = Metrics.CreateCounter("ledger_read_your_writes_timeouts_total", "Reads refused 503 read-side-behind after waiting Ledger:ReadYourWritesWaitMax.");
    private static readonly Counter ReadStoreCheckpoints = Metrics.CreateCounter("ledger_read_store_checkpoints_total", "Read store checkpoints taken.");

    // Memory and the entry store (read before each scrape).
    private static readonly Gauge PublisherLagRecords = Metrics.CreateGauge("ledger_kafka_publisher_lag_records", "Journal records whose events Kafka has not yet acknowledged (ledger.events).");
    private static readonly Gauge PublisherLagSeconds = Metrics.CreateGauge("ledger_kafka_publisher_lag_seconds", "How long the oldest journal record whose events Kafka has not yet acknowledged can have waited (since the publisher last had everything acknowledged); 0 when caught up.");
    private static readonly Counter PublisherEvents = Metrics.CreateCounter("ledger_kafka_events_published_total", "Events Kafka acknowledged on ledger.events since start.");
    private static readonly Gauge ReplicaLagRecords = Metrics.CreateGauge("ledger_replica_lag_records", "Statements replica: ledger.events messages published and not yet held by this replica's read store, over all partitions.");
    private static readonly Gauge ReplicaLagSeconds = Metrics.CreateGauge("ledger_replica_lag_seconds", "Statements replica: 0 when nothing is behind; else the age of the last message applied on a partition that is behind.");
    private static readonly Gauge ReplicaRecord = Metrics.CreateGauge("ledger_replica_journal_record", "Statements replica: the highest journal record whose events it holds.");
    private static readonly Gauge ReplicaCaughtUp = Metrics.CreateGauge("ledger_replica_caught_up", "Statements replica: 1 once it held every partition up to its end offset at start.");
    private static readonly Counter ReplicaEvents = Metrics.CreateCounter("ledger_replica_events_applied_total", "Statements replica: events applied from ledger.events since start.");
    private static readonly Gauge ReplicaPendingEvents = Metrics.CreateGauge("ledger_replica_pending_events", "Statements replica: events read and held in memory until the rest of their journal record comes (at most Ledger:Statements:PendingEventsMax).");
    private static readonly Counter ReplicaDuplicates = Metrics.CreateCounter("ledger_replica_duplicates_dropped_total", "Statements replica: events dropped as duplicates (at or below the partition's last position) since start.");
    private static readonly Gauge ResidentBytes = Metrics.CreateGauge("ledger_memory_resident_bytes", "Resident set size of the process (RSS).");
    private static readonly Gauge GcHeapBytes = Metrics.CreateGauge("ledger_memory_gc_heap_bytes", "Managed heap size after the last GC.");
    private static readonly Gauge CacheEntries = Metrics.CreateGauge("ledger_entry_cache_entries", "Entries in the engine's cache (recent entries, open holds, entries not yet in the store).");
    private static readonly Gauge CacheCapacity = Metrics.CreateGauge("ledger_entry_cache_capacity", "Slots of the engine's entry cache.");
    private static readonly Counter CacheHits = Metrics.CreateCounter("ledger_entry_cache_hits_total", "Lookups of existing entries answered by the engine's cache.");
    private static readonly Counter CacheLoads = Metrics.CreateCounter("ledger_entry_cache_loads_total", "Lookups of existing entries answered by the entry store (prefetched).");
    private static readonly Counter CacheEvictions = Metrics.CreateCounter("ledger_entry_cache_evictions_total", "Entries evicted from the engine's cache.");
    private static readonly Counter CacheOverflows = Metrics.CreateCounter("ledger_entry_cache_overflows_total", "Times the cache grew because nothing could be evicted (should stay 0).");
    private static readonly Gauge CacheHitRatio = Metrics.CreateGauge("ledger_entry_cache_hit_ratio", "Hits / (hits + loads) since start.");
    private static readonly Gauge OpenHolds = Metrics.CreateGauge("ledger_open_holds", "Holds still pending (kept in RAM).");
    private static readonly Gauge StoreBytes = Metrics.CreateGauge("ledger_entry_store_bytes", "Size of the entry store (files and memtables).");
    private static readonly Gauge StoreCacheBytes = Metrics.CreateGauge("ledger_entry_store_block_cache_bytes", "Entry store block cache in use.");
    private static readonly Gauge StoreMemtableBytes = Metrics.CreateGauge("ledger_entry_store_memtable_bytes", "Entry store memtables in use.");
    private static readonly Gauge StoreLag = Metrics.CreateGauge("ledger_entry_store_lag_records", "Journal records decided but not yet written to the entry store.");
    private static readonly Gauge StoreDurableLag = Metrics.CreateGauge("ledger_entry_store_durable_lag_records", "Journal records a restart would replay (after the last checkpoint).");
    private static readonly Counter Checkpoints = Metrics.CreateCounter("ledger_entry_store_checkpoints_total", "Entry store checkpoints taken.");
    private static readonly Gauge CheckpointMaxSeconds = Metrics.CreateGauge("ledger_entry_store_checkpoint_seconds_max", "Longest entry store checkpoint since start.");

    private static readonly Counter.Child[] EntriesByKind = BuildKinds();
    private static readonly Counter.Child?[] DeclinesByCode = BuildCodes();

    private static Counter.Child[] BuildKinds()
    {
        var children = new Counter.Child[6];
        foreach (var kind in ReadSide.WireNames.Kinds) children[(int)kind] = EntriesPosted.WithLabels(ReadSide.WireNames.Kind(kind));
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
    public static void RegisterScrapeCallback(Hosting.LedgerRuntime runtime)
    {
        Metrics.DefaultRegistry.AddBeforeCollectCallback(() =>
        {
            var host = runtime.Host;
            RingDepth.Set(host?.RingDepth ?? 0);
            EntriesInFlight.Set(host?.EntriesInFlight ?? 0);
            if (host is not null)
            {
                BusyWaits.IncTo(host.RoomWaits);
                BusyRefusals.IncTo(host.RoomWaitsRefused);
            }
            GcPauseSeconds.IncTo(GC.GetTotalPauseDuration().TotalSeconds);
            GcAllocatedBytes.IncTo(GC.GetTotalAllocatedBytes());
            LockContentions.IncTo(Monitor.LockContentionCount);
            ThreadPoolCompleted.IncTo(ThreadPool.CompletedWorkItemCount);
            ThreadPoolThreads.Set(ThreadPool.ThreadCount);
            ThreadPoolQueue.Set(ThreadPool.PendingWorkItemCount);
            JitMethods.IncTo(System.Runtime.JitInfo.GetCompiledMethodCount());
            JitSeconds.IncTo(System.Runtime.JitInfo.GetCompilationTime().TotalSeconds);
            Timers.Set(Timer.ActiveCount);
            using (var process = System.Diagnostics.Process.GetCurrentProcess()) ResidentBytes.Set(process.WorkingSet64);
            GcHeapBytes.Set(GC.GetGCMemoryInfo().HeapSizeBytes);
            var progress = runtime.ReadProgress;
            ReadWaits.IncTo(progress.Waits);
            ReadWaitSeconds.IncTo(progress.WaitTicks / (double)System.Diagnostics.Stopwatch.Frequency);
            ReadWaitTimeouts.IncTo(progress.TimedOut);
            if (runtime.FeedProgress is { } feed)
            {
                ReplicaLagRecords.Set(feed.RecordsBehind);
                ReplicaLagSeconds.Set(feed.SecondsBehind);
                ReplicaRecord.Set(feed.Record);
                ReplicaCaughtUp.Set(feed.CaughtUp ? 1 : 0);
                ReplicaEvents.IncTo(feed.EventsApplied);
                ReplicaDuplicates.IncTo(feed.DuplicatesDropped);
                ReplicaPendingEvents.Set(feed.PendingEvents);
                if (runtime.Reads is { } replicaReads)
                {
                    var read = replicaReads.Stats;
                    ReadStoreBytes.Set(read.SizeBytes);
                    ReadStoreCacheBytes.Set(read.BlockCacheBytes);
                    ReadStoreMemtableBytes.Set(read.MemtableBytes);
                    ReadStoreCheckpoints.IncTo(read.Checkpoints);
                }
            }
            if (host is null || runtime.Store is not { } store) return;
            long decided = host.Engine.RecordNumber;
            if (runtime.Publisher is { } publisher)
            {
                long behind = Math.Max(0, store.Journal.CommittedRecordNumber - publisher.AcknowledgedRecord);
                PublisherLagRecords.Set(behind);
                PublisherLagSeconds.Set(publisher.SecondsBehind(store.Journal.CommittedRecordNumber));
                PublisherEvents.IncTo(publisher.Published);
            }
            if (runtime.Reads is { } reads)
            {
                var read = reads.Stats;
                ReadStoreBytes.Set(read.SizeBytes);
                ReadStoreCacheBytes.Set(read.BlockCacheBytes);
                ReadStoreMemtableBytes.Set(read.MemtableBytes);
                ReadStoreLag.Set(Math.Max(0, decided - read.Watermark));
                ReadStoreDurableLag.Set(Math.Max(0, decided - read.DurableWatermark));
                ReadStoreCheckpoints.IncTo(read.Checkpoints);
            }
            // Engine counters are written by the engine thread; these reads are approximate, which a gauge allows.
            var engine = host.Engine;
            var cache = engine.Cache;
            CacheEntries.Set(cache.Count);
            CacheCapacity.Set(cache.Capacity);
            long hits = Volatile.Read(ref cache.Hits), loads = Volatile.Read(ref cache.Loads);
            CacheHits.IncTo(hits);
            CacheLoads.IncTo(loads);
            CacheEvictions.IncTo(Volatile.Read(ref cache.Evictions));
            CacheOverflows.IncTo(Volatile.Read(ref cache.Overflows));
            CacheHitRatio.Set(hits + loads == 0 ? 1 : (double)hits / (hits + loads));
            OpenHolds.Set(engine.OpenHoldCount);
            var stats = store.Entries.Stats;
            StoreBytes.Set(stats.SizeBytes);
            StoreCacheBytes.Set(stats.BlockCacheBytes);
            StoreMemtableBytes.Set(stats.MemtableBytes);
            StoreLag.Set(Math.Max(0, decided - stats.Watermark));
            StoreDurableLag.Set(Math.Max(0, decided - stats.DurableWatermark));
            Checkpoints.IncTo(stats.Checkpoints);
            CheckpointMaxSeconds.Set(stats.CheckpointTimeMax.TotalSeconds);
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
