using Ledger.Engine.Hosting;
using Ledger.Gateway.Observability;
using Ledger.Journal;
using Ledger.Journal.Entries;
using Ledger.ReadSide;

namespace Ledger.Gateway.Hosting;

/// <summary>
/// The ledger role (the default): the engine, the journal and the entry store (recovered at start), the pipeline host,
/// the Balance &amp; Statements read store in process (caught up from the journal before the pipeline starts), and, when
/// Kafka is configured, the event publisher (the journal's outbox) and the command ingress.
/// </summary>
internal sealed class LedgerRole : IDisposable
{
    private readonly LedgerOptions _options;
    private readonly ILogger _logger;
    private readonly ReadStoreWriter _readWriter;
    private readonly Checkpointer _readCheckpoints;
    private EngineHost? _stoppable; // the host until Stop has run once

    private LedgerRole(LedgerOptions options, ILogger logger, LedgerStore store, ReadStore reads, ReadStoreWriter readWriter, long readCatchUp, Checkpointer readCheckpoints)
    {
        _options = options;
        _logger = logger;
        Store = store;
        Reads = reads;
        _readWriter = readWriter;
        ReadCatchUpRecords = readCatchUp;
        _readCheckpoints = readCheckpoints;
    }

    public LedgerStore Store { get; }
    public ReadStore Reads { get; }
    public long ReadCatchUpRecords { get; }
    public EngineHost Host { get; private set; } = null!;
    public Kafka.Egress.EventPublisher? Publisher { get; private set; }
    public Kafka.Ingress.CommandConsumer? Ingress { get; private set; }

    /// <summary>
    /// Recovers (the live state at the entry store's checkpoint + the journal tail; a damaged tail is cut and reported), catches
    /// the read store up from the journal after its watermark, starts the pipeline, the checkpoints and the publisher.
    /// </summary>
    public static LedgerRole Start(LedgerRuntime runtime, LedgerOptions options, ILogger logger)
    {
        // Compactions wait for the start (journal/Storage/CompactionHold.cs): resumed once the pipeline runs, below.
        var readSettings = ComponentSettings.ReadStore(options) with { HoldCompactionsAtOpen = true };
        string readDir = Path.Combine(options.DataDir, ReadStore.DirectoryName);
        ReadCatchUp? beside = null;
        LedgerStore store;
        try
        {
            store = LedgerStore.Open(new LedgerStoreSettings
            {
                DataDir = options.DataDir,
                Catalog = runtime.FileCatalog, // the file's; the store may hold a promoted one, which wins (journal/LedgerStore.cs)
                Engine = ComponentSettings.Engine(options),
                EntryStore = ComponentSettings.EntryStore(options) with { HoldCompactionsAtOpen = true },
                Logger = logger,
                AlongsideReplay = prefix => beside = ReadCatchUp.BesideRecovery(readDir, readSettings, prefix),
            });
        }
        catch
        {
            beside?.Dispose();
            throw;
        }
        ReadStore reads;
        ReadStoreWriter readWriter;
        long fed;
        try
        {
            (reads, readWriter, fed) = OpenReadStore(store, readSettings, logger, runtime.OnReadCatchUp, beside);
        }
        catch
        {
            store.Dispose(); // releases the data directory's lock: the runtime's in-process restart tries again on it
            throw;
        }
        var readCheckpoints = new Checkpointer("read store", () => reads.Stats.DurableWatermark != reads.Watermark.RecordNumber, () => reads.Checkpoint(),
            ComponentSettings.CheckpointEvery(options), logger);
        var role = new LedgerRole(options, logger, store, reads, readWriter, fed, readCheckpoints);

        // The guards go outermost, so a fault a test seam injects is named like a real one.
        ICommandJournal journal = store.Journal;
        if (runtime.WrapJournal is { } wrapJournal) journal = wrapJournal(journal);
        journal = new GuardedJournal(journal, runtime.NoteWriteFault);
        runtime.ReadProgress.Restart(reads.Watermark.RecordNumber); // caught up: holds every record acknowledged before
        ICommittedCommandSink readSink = new ReadStoreSink(readWriter, runtime.ReadProgress);
        if (runtime.WrapReadSink is { } wrapRead) readSink = wrapRead(readSink);
        readSink = new GuardedReadSink(readSink, runtime.NoteWriteFault);
        IEntryStoreWriter storeWriter = store.StoreWriter;
        if (runtime.WrapStoreWriter is { } wrapStore) storeWriter = wrapStore(storeWriter);
        storeWriter = new GuardedStoreWriter(storeWriter, runtime.NoteWriteFault);
        var hostSettings = ComponentSettings.Host(options);
        if (runtime.AdjustHost is { } adjust) hostSettings = adjust(hostSettings);
        IEntryPrefetcher prefetcher = store.Prefetcher;
        if (runtime.WrapPrefetcher is { } wrapPrefetcher) prefetcher = wrapPrefetcher(prefetcher);
        var host = new EngineHost(store.Engine, new TimedJournal(journal), [readSink, new MetricsSink()], hostSettings, prefetcher, storeWriter);
        host.Start();
        store.Entries.ResumeCompactions();
        reads.ResumeCompactions();
        store.Checkpoints.Start();
        // What the catch-up fed is durable before the first tick: a crash meanwhile does not feed it again. The read
        // store's ticks fall halfway between the entry store's: their flushes (and the key filter's rewrite) never coincide.
        readCheckpoints.Start(now: fed > 0, firstAfter: ComponentSettings.CheckpointEvery(options) / 2);
        role.Host = host;
        role._stoppable = host;
        if (!string.IsNullOrWhiteSpace(options.Kafka.BootstrapServers))
        {
            role.Publisher = new Kafka.Egress.EventPublisher(options.Kafka, store, store.Engine.Catalog, options.DataDir, logger,
                TimeSpan.FromSeconds(Math.Max(0.05, options.Storage.ProbeEverySeconds)));
            role.Publisher.Start();
        }
        return role;
    }

    /// <summary>Starts the Kafka command ingress, when configured (once the runtime accepts commands).</summary>
    public void StartIngress(LedgerRuntime runtime)
    {
        if (string.IsNullOrWhiteSpace(_options.Kafka.BootstrapServers) || string.IsNullOrWhiteSpace(_options.Kafka.CommandsPartner)) return;
        Ingress = new Kafka.Ingress.CommandConsumer(_options.Kafka, runtime, _options.Auth, _logger);
        Ingress.Start();
    }

    /// <summary>
    /// Opens the read store and feeds it the journal records after its watermark (only those: no full rescan). One that
    /// cannot be read, or whose watermark the journal does not continue (another journal's, or ahead of it after a cut),
    /// is moved aside and rebuilt from the whole journal.
    /// </summary>
    private static (ReadStore Store, ReadStoreWriter Writer, long Fed) OpenReadStore(LedgerStore store, ReadStoreSettings settings, ILogger logger, Action<long>? onFed,
        ReadCatchUp? beside)
    {
        string dir = Path.Combine(store.DataDir, ReadStore.DirectoryName);
        for (int attempt = 0; ; attempt++)
        {
            ReadStore? reads = null;
            ReadStoreWriter? writer = null;
            string? problem;
            try
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                // What the catch-up beside recovery fed (the journal up to the entry store's checkpoint) is not fed again.
                var early = attempt == 0 ? beside : null;
                reads = early?.Reads ?? ReadStore.Open(dir, settings);
                reads.LookUpIdsIn(store.Entries);
                var opened = early?.Opened ?? clock.Elapsed;
                var mark = early?.Mark ?? reads.Watermark;
                writer = early?.Writer ?? reads.Writer();
                var into = writer;
                var now = reads.Watermark;
                long fed = store.ReplayCommittedAfter(now.RecordNumber, now.NextAddress, now.LastSequence, record =>
                {
                    into.Add(record.EventSpan, record.RecordNumber, record.NextAddress);
                    if (into.Pending >= 1_024) into.Commit();
                    onFed?.Invoke(record.RecordNumber);
                });
                writer.Commit();
                long fedBeside = early?.Fed ?? 0;
                if (fed >= 0 && reads.Watermark.RecordNumber == store.Journal.CommittedRecordNumber)
                {
                    if (logger.IsEnabled(LogLevel.Information))
                        logger.LogInformation("Read store caught up: {Records} journal records fed after its watermark (record {From}), now at record {To}; opened in {Open:F3} s, fed in {Fed:F3} s after recovery, {Beside} of them beside it in {BesideSeconds:F3} s.",
                            fed + fedBeside, mark.RecordNumber, reads.Watermark.RecordNumber, opened.TotalSeconds, clock.Elapsed.TotalSeconds - (early is null ? opened.TotalSeconds : 0),
                            fedBeside, early?.Feeding.TotalSeconds ?? 0);
                    return (reads, writer, fed + fedBeside);
                }
                problem = fed < 0
                    ? $"the journal does not continue after its watermark (record {now.RecordNumber} at address {now.NextAddress})"
                    : $"it reached record {reads.Watermark.RecordNumber}, the journal's last is {store.Journal.CommittedRecordNumber}";
            }
            // Only faults of what is on disk set the store aside. A broken invariant while feeding it (a record out of order,
            // a status change of an entry it never saw: InvariantViolationException) is a bug, not damage: it is never caught
            // as damage, so start-up stops with it and the store stays as evidence instead of being rebuilt over (closed, so
            // the runtime's in-process restart can open it again).
            catch (Exception ex) when (ex is IOException or ReadStoreFormatException or JournalDamagedException && !Journal.Storage.DiskSpace.IsOutOfSpace(ex))
            {
                problem = ex.Message;
            }
            catch
            {
                writer?.Dispose();
                reads?.Dispose(); // a full disk is not damage either: the store is kept (rebuilding it would need more space); the runtime waits for space
                throw;
            }
            writer?.Dispose();
            reads?.Dispose();
            if (attempt > 0) throw new InvalidOperationException($"The read store in '{dir}' could not be rebuilt from the journal: {problem}");
            string aside = LedgerStore.AsideName(dir);
            if (Directory.Exists(dir)) Directory.Move(dir, aside);
            logger.LogWarning("The read store does not fit the journal ({Problem}); moved to {Aside}, rebuilding it from the journal.", problem, aside);
        }
    }

    /// <summary>
    /// Closes a role whose pipeline stopped on a failed write, before the runtime starts a new one on the same data
    /// directory: every part is closed even when closing another throws (a store that still cannot flush loses only its
    /// memtable, which recovery replays from the journal), and the data directory's lock is always released.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031:Do not catch general exception types",
        Justification = "After a write failure each part is closed whatever the others do; the failures are logged.")]
    public void DisposeAfterFault()
    {
        var host = Interlocked.Exchange(ref _stoppable, null);
        if (host is null) return;
        void Close(string what, Action close)
        {
            try
            {
                close();
            }
            catch (Exception ex)
            {
                _logger.LogWarning(ex, "Closing the {Part} after a write failure failed; recovery replays the journal.", what);
            }
        }
        Close("Kafka ingress", () => Ingress?.Dispose());
        Ingress = null;
        Close("pipeline", host.Stop);
        Close("event publisher", () => Publisher?.Dispose());
        Publisher = null;
        Close("read checkpoints", _readCheckpoints.Dispose);
        Close("read store writer", _readWriter.Dispose);
        Close("read store", Reads.Dispose);
        if (host.Fault is { } fault) Store.Journal.Abandon(fault); // what was appended after the failure was answered 503: never commit it
        Close("journal and entry store", Store.Dispose);
    }

    /// <summary>Stops intake (Kafka first), drains the ring, then closes the publisher, the read store and the journal. Idempotent.</summary>
    public void Dispose()
    {
        var host = Interlocked.Exchange(ref _stoppable, null);
        if (host is null) return;
        Ingress?.Dispose(); // first: no new commands from Kafka while the ring drains
        Ingress = null;
        host.Stop();
        if (host.Fault is { } fault) Store.Journal.Abandon(fault); // what was appended after the failure was answered 503: never commit it
        Publisher?.Dispose(); // before the journal closes: its cursor reads the journal
        Publisher = null;
        _readCheckpoints.Dispose();
        _readWriter.Dispose();
        Reads.Dispose(); // checkpoints: the next start feeds it nothing
        Store.Dispose();
    }
}
