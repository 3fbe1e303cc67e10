using Ledger.Engine;
using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Engine.Hosting;
using Ledger.Engine.Ring;
using Ledger.Gateway.Observability;
using Ledger.Journal;
using Ledger.Journal.EntryStore;
using Ledger.Journal.Recovery;
using Ledger.ReadSide;
using Microsoft.Extensions.Options;

namespace Ledger.Gateway.Hosting;

/// <summary>
/// Composes the ledger behind the gateway, in this one place: catalog, engine, journal and entry store, pipeline host,
/// read store. <see cref="Start"/> recovers, catches the read store up from the journal after its watermark, and starts
/// the pipeline; <see cref="IsReady"/> turns true only then; <see cref="Stop"/> stops intake and drains the ring (every
/// published command is decided, committed and answered).
/// Usage: <c>runtime.Start(); await runtime.Host!.SubmitAsync(command); runtime.Stop();</c>
/// </summary>
public sealed class LedgerRuntime : IDisposable
{
    private readonly LedgerOptions _options;
    private readonly ILogger<LedgerRuntime> _logger;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile EngineHost? _host;
    private EngineHost? _stoppable; // the host until Stop has run once
    private volatile bool _stopping;
    private ReadStoreWriter? _readWriter;
    private Checkpointer? _readCheckpoints;
    private volatile bool _readsReady;
    private Kafka.EventsFeed? _feed;

    /// <param name="catalog">The catalog loaded once at start-up (<see cref="LedgerOptions.HistoryCodesPath"/>).</param>
    public LedgerRuntime(IOptions<LedgerOptions> options, ILogger<LedgerRuntime> logger, HistoryCatalog catalog)
    {
        _options = options.Value;
        _logger = logger;
        _fileCatalog = catalog;
    }

    private readonly HistoryCatalog _fileCatalog;

    /// <summary>
    /// The catalog in force: the engine's once the ledger runs (it may be a promoted one, PUT /v1/history-codes), else
    /// the file's. Read from any thread: a reference the engine thread swaps when it applies a LoadCatalog, and a command
    /// completed after that sees the new one (the ring's stages publish with barriers).
    /// </summary>
    public HistoryCatalog Catalog => Store?.Engine.Catalog ?? _fileCatalog;
    /// <summary>The read store (balances, history, statements), or null before start; read it only once <see cref="IsReady"/>.</summary>
    public ReadStore? Reads { get; private set; }

    /// <summary>How many journal records start-up fed the read store after its watermark (its own log line says so too).</summary>
    public long ReadCatchUpRecords { get; private set; }
    public LedgerCommandPool Pool { get; } = new();

    /// <summary>The running pipeline; null before <see cref="Start"/> has finished.</summary>
    public EngineHost? Host => _host;

    /// <summary>The durable side (journal, entry store), or null before start.</summary>
    public LedgerStore? Store { get; private set; }

    /// <summary>The Kafka event publisher (the journal's outbox), or null when Kafka is off.</summary>
    internal Kafka.EventPublisher? Publisher { get; private set; }

    /// <summary>The Kafka command consumer, or null when Kafka ingress is off (no <c>Ledger:Kafka:CommandsPartner</c>).</summary>
    internal Kafka.CommandConsumer? Ingress { get; private set; }

    /// <summary>What recovery did at start (store cut used, records replayed, any cut), or null before start.</summary>
    public RecoveryReport? Recovery { get; private set; }

    /// <summary>True when acknowledged commands survive a restart (a real journal is wired).</summary>
    public bool IsDurable { get; private set; }

    /// <summary>Wraps the journal before the pipeline starts: the fail-stop tests inject a failing write here.</summary>
    internal Func<ICommandJournal, ICommandJournal>? WrapJournal { get; set; }

    /// <summary>Accepting requests: recovered, read store caught up, not stopping, and the pipeline has not failed (fail-stop).</summary>
    public bool IsReady => !_stopping && _readsReady && (_host is { Fault: null } || _feed is { Fault: null });

    /// <summary>Completes when the runtime became ready (or faults when start-up failed).</summary>
    public Task WhenReady => _ready.Task;

    public void Start()
    {
        if (_options.IsStatementsRole)
        {
            StartStatements();
            return;
        }
        var started = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var memory = _options.Memory;
            var engineSettings = new EngineSettings
            {
                AccountCapacity = memory.AccountCapacity,
                EntryCacheCapacity = memory.EntryCacheEntries,
                OpenHoldsMax = memory.OpenHoldsMax,
            };

            // Recovery: the live state at the entry store's cut + the journal tail (a damaged tail is cut and
            // reported), then the read model is rebuilt from the journaled events, in order, before readiness turns true.
            var store = LedgerStore.Open(new LedgerStoreOptions
            {
                DataDir = _options.DataDir,
                Catalog = _fileCatalog,
                Engine = engineSettings,
                EntryStore = new EntryStoreSettings
                {
                    BlockCacheBytes = memory.StoreBlockCacheBytes,
                    WriteBufferBytes = memory.StoreWriteBufferBytes,
                    WriteBuffersMax = memory.StoreWriteBuffers,
                    KeyFilterBytes = memory.KeyFilterBytes,
                    CheckpointEvery = TimeSpan.FromSeconds(_options.Checkpoint.EverySeconds),
                },
                Logger = _logger,
            });
            Store = store;
            var engine = store.Engine;
            ICommandJournal journal = store.Journal;
            IsDurable = true;
            Recovery = store.Recovery;
            var readSettings = new ReadStoreSettings
            {
                BlockCacheBytes = memory.ReadBlockCacheBytes,
                WriteBufferBytes = memory.ReadWriteBufferBytes,
                WriteBuffersMax = memory.StoreWriteBuffers,
            };
            var (reads, readWriter) = OpenReadStore(store, readSettings);
            Reads = reads;
            _readWriter = readWriter;
            _readCheckpoints = new Checkpointer("read store", () => reads.Stats.DurableWatermark != reads.Watermark.RecordNumber, () => reads.Checkpoint(),
                TimeSpan.FromSeconds(_options.Checkpoint.EverySeconds), _logger);

            if (WrapJournal is { } wrap) journal = wrap(journal);
            var host = new EngineHost(engine, new TimedJournal(journal), [new ReadStoreSink(_readWriter), new MetricsSink()],
                new EngineHostSettings { RingSize = _options.RingSize, WaitStrategy = WaitStrategyOf(_options.WaitStrategy), InFlightEntriesMax = memory.InFlightEntriesMax },
                store.Prefetcher, store.StoreWriter);
            host.Start();
            store.Checkpoints.Start();
            _readCheckpoints.Start();
            _stoppable = host;
            _host = host;
            if (!string.IsNullOrWhiteSpace(_options.Kafka.BootstrapServers))
            {
                Publisher = new Kafka.EventPublisher(_options.Kafka, store, Catalog, _options.DataDir, _logger);
                Publisher.Start();
            }
            bool ingress = !string.IsNullOrWhiteSpace(_options.Kafka.BootstrapServers) && !string.IsNullOrWhiteSpace(_options.Kafka.CommandsPartner);
            _readsReady = true;
            if (ingress)
            {
                Ingress = new Kafka.CommandConsumer(_options.Kafka, this, _options.Auth, _logger);
                Ingress.Start();
            }
            _ready.TrySetResult();
            if (_logger.IsEnabled(LogLevel.Information)) _logger.LogInformation("Ledger ready in {Seconds:F3} s: {Codes} history codes, {Accounts} accounts, {Sequence} entries, ring of {Ring} slots, data in {DataDir}.",
                started.Elapsed.TotalSeconds, Catalog.Definitions.Count, engine.Accounts.Count, engine.LastSequence, host.RingSize, Path.GetFullPath(_options.DataDir));
        }
        catch (Exception ex)
        {
            _ready.TrySetException(ex);
            throw;
        }
    }

    /// <summary>
    /// The statements role: no engine, no journal; this process's own read store (<c>&lt;data&gt;/read</c>), fed from
    /// <c>ledger.events</c> by <see cref="Kafka.EventsFeed"/> from the position it holds, ready once caught up.
    /// </summary>
    private void StartStatements()
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            if (string.IsNullOrWhiteSpace(_options.Kafka.BootstrapServers))
                throw new InvalidOperationException("Ledger:Role is statements, which reads ledger.events: set Ledger:Kafka:BootstrapServers.");
            var memory = _options.Memory;
            var reads = ReadStore.Open(Path.Combine(_options.DataDir, ReadStore.DirectoryName), new ReadStoreSettings
            {
                BlockCacheBytes = memory.ReadBlockCacheBytes, WriteBufferBytes = memory.ReadWriteBufferBytes, WriteBuffersMax = memory.StoreWriteBuffers,
            });
            Reads = reads;
            _feed = new Kafka.EventsFeed(_options.Kafka, reads, _logger);
            _readCheckpoints = new Checkpointer("read store", () => reads.Stats.DurableWatermark != reads.Watermark.RecordNumber, () => reads.Checkpoint(),
                TimeSpan.FromSeconds(_options.Checkpoint.EverySeconds), _logger);
            _feed.Start();
            _readCheckpoints.Start();
            _feed.CaughtUp.GetAwaiter().GetResult();
            _readsReady = true;
            _ready.TrySetResult();
            if (_logger.IsEnabled(LogLevel.Information))
                _logger.LogInformation("Statements replica ready in {Seconds:F3} s: read store at journal record {Record}, fed from {Topic} in group {Group}.",
                    started.Elapsed.TotalSeconds, reads.Watermark.RecordNumber, _options.Kafka.EventsTopic, _options.Kafka.StatementsGroup);
        }
        catch (Exception ex)
        {
            _ready.TrySetException(ex);
            throw;
        }
    }

    /// <summary>
    /// Opens the read store and feeds it the journal records after its watermark (only those: no full rescan). One that
    /// cannot be read, or whose watermark the journal does not continue (another journal's, or ahead of it after a cut),
    /// is moved aside and rebuilt from the whole journal.
    /// </summary>
    private (ReadStore Store, ReadStoreWriter Writer) OpenReadStore(LedgerStore store, ReadStoreSettings settings)
    {
        string dir = Path.Combine(store.DataDir, ReadStore.DirectoryName);
        for (int attempt = 0; ; attempt++)
        {
            ReadStore? reads = null;
            string? problem;
            try
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                reads = ReadStore.Open(dir, settings);
                var opened = clock.Elapsed;
                var mark = reads.Watermark;
                var writer = reads.Writer();
                long fed = store.ReplayCommittedAfter(mark.RecordNumber, mark.NextAddress, mark.LastSequence, record =>
                {
                    writer.Add(record.EventSpan, record.RecordNumber, record.NextAddress);
                    if (writer.Pending >= 1_024) writer.Commit();
                });
                writer.Commit();
                if (fed >= 0 && reads.Watermark.RecordNumber == store.Journal.CommittedRecordNumber)
                {
                    ReadCatchUpRecords = fed;
                    if (_logger.IsEnabled(LogLevel.Information))
                        _logger.LogInformation("Read store caught up: {Records} journal records fed after its watermark (record {From}), now at record {To}; opened in {Open:F3} s, fed in {Fed:F3} s.",
                            fed, mark.RecordNumber, reads.Watermark.RecordNumber, opened.TotalSeconds, (clock.Elapsed - opened).TotalSeconds);
                    return (reads, writer);
                }
                problem = fed < 0
                    ? $"the journal does not continue after its watermark (record {mark.RecordNumber} at address {mark.NextAddress})"
                    : $"it reached record {reads.Watermark.RecordNumber}, the journal's last is {store.Journal.CommittedRecordNumber}";
                writer.Dispose();
            }
            catch (Exception ex) when (ex is IOException or ReadStoreFormatException or JournalDamagedException or InvalidOperationException)
            {
                problem = ex.Message;
            }
            reads?.Dispose();
            if (attempt > 0) throw new InvalidOperationException($"The read store in '{dir}' could not be rebuilt from the journal: {problem}");
            string aside = $"{dir}.unusable-{DateTime.UtcNow:yyyyMMddTHHmmssZ}";
            if (Directory.Exists(dir)) Directory.Move(dir, aside);
            _logger.LogWarning("The read store does not fit the journal ({Problem}); moved to {Aside}, rebuilding it from the journal.", problem, aside);
        }
    }

    private static Func<IWaitStrategy> WaitStrategyOf(string name) => name.ToUpperInvariant() switch
    {
        "BLOCKING" => static () => new BlockingWaitStrategy(),
        "BLOCKINGYIELD" => static () => new BlockingWaitStrategy(yieldTries: 100),
        "YIELDING" => static () => new YieldingWaitStrategy(),
        "BUSYSPIN" => static () => new BusySpinWaitStrategy(),
        _ => throw new InvalidOperationException($"Ledger:WaitStrategy is '{name}': use Blocking, BlockingYield, Yielding or BusySpin."),
    };

    /// <summary>Stops intake, drains the ring, closes the journal. Idempotent.</summary>
    public void Stop()
    {
        _stopping = true;
        if (Interlocked.Exchange(ref _feed, null) is { } feed)
        {
            _readsReady = false;
            feed.Dispose();
            _readCheckpoints?.Dispose();
            var replica = Reads;
            Reads = null;
            replica?.Dispose();
            return;
        }
        var host = Interlocked.Exchange(ref _stoppable, null);
        if (host is null) return;
        Ingress?.Dispose(); // first: no new commands from Kafka while the ring drains
        Ingress = null;
        host.Stop();
        _readsReady = false;
        Publisher?.Dispose(); // before the journal closes: its cursor reads the journal
        Publisher = null;
        _readCheckpoints?.Dispose();
        _readWriter?.Dispose();
        var reads = Reads;
        Reads = null;
        reads?.Dispose(); // checkpoints: the next start feeds it nothing
        var journal = Store;
        Store = null;
        journal?.Dispose();
        if (_logger.IsEnabled(LogLevel.Information)) _logger.LogInformation("Ledger stopped: ring drained, read store and journal closed.");
    }

    /// <summary>Marks the runtime as stopping so readiness turns false while in-flight requests drain.</summary>
    public void BeginStopping() => _stopping = true;

    public void Dispose() => Stop();
}

/// <summary>Starts the runtime beside Kestrel (so /health/live answers during recovery) and stops it after Kestrel has drained.</summary>
internal sealed class LedgerRuntimeService(LedgerRuntime runtime, IHostApplicationLifetime lifetime, ILogger<LedgerRuntimeService> logger)
    : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031:Do not catch general exception types",
        Justification = "Any start-up failure ends the process with exit code 1 and the reason logged; nothing was acknowledged yet.")]
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = Task.Run(() =>
        {
            try
            {
                runtime.Start();
            }
            catch (Exception ex)
            {
                if (logger.IsEnabled(LogLevel.Critical)) logger.LogCritical(ex, "The ledger failed to start: {Reason}", ex.Message);
                Environment.ExitCode = 1;
                lifetime.StopApplication();
            }
        }, CancellationToken.None);
        return Task.CompletedTask;
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        runtime.BeginStopping();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // Runs after every hosted service (Kestrel included) has stopped: no request is in flight any more.
    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        runtime.Stop();
        return Task.CompletedTask;
    }
}
