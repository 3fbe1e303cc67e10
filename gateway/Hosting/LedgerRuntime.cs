using Ledger.Engine;
using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Engine.Hosting;
using Ledger.Engine.Ring;
using Ledger.Gateway.Observability;
using Ledger.Gateway.ReadModel;
using Ledger.Journal;
using Ledger.Journal.EntryStore;
using Ledger.Journal.Recovery;
using Microsoft.Extensions.Options;

namespace Ledger.Gateway.Hosting;

/// <summary>
/// Composes the ledger behind the gateway, in this one place: catalog, engine, journal, pipeline host, read model.
/// <see cref="Start"/> recovers and starts the pipeline; <see cref="IsReady"/> turns true only after recovery and
/// the read model's rebuild; <see cref="Stop"/> stops intake and drains the ring (every published command is
/// decided, committed and answered).
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
    private IDisposable? _journalResource;

    public LedgerRuntime(IOptions<LedgerOptions> options, ILogger<LedgerRuntime> logger)
    {
        _options = options.Value;
        _logger = logger;
        // A bad catalog fails start-up here, with a sentence naming the file and what to fix.
        Catalog = HistoryCatalogFile.Load(string.IsNullOrWhiteSpace(_options.HistoryCodes) ? HistoryCatalogFile.DefaultPath : _options.HistoryCodes);
    }

    public HistoryCatalog Catalog { get; }
    /// <summary>The read model; the integration block of <see cref="Start"/> may replace it (e.g. with one restored from its snapshot) before the host starts.</summary>
    public LedgerReadModel ReadModel { get; private set; } = new();
    public LedgerCommandPool Pool { get; } = new();

    /// <summary>The running pipeline; null before <see cref="Start"/> has finished.</summary>
    public EngineHost? Host => _host;

    /// <summary>The durable side (journal, entry store), or null before start.</summary>
    public LedgerStore? Store { get; private set; }

    /// <summary>What recovery did at start (store cut used, records replayed, any cut), or null before start.</summary>
    public RecoveryReport? Recovery { get; private set; }

    /// <summary>True when acknowledged commands survive a restart (a real journal is wired).</summary>
    public bool IsDurable { get; private set; }

    /// <summary>Accepting requests: recovered, read model rebuilt, not stopping, and the journal has not failed (fail-stop).</summary>
    public bool IsReady => !_stopping && _host is { Fault: null } && ReadModel.IsReady;

    /// <summary>Completes when the runtime became ready (or faults when start-up failed).</summary>
    public Task WhenReady => _ready.Task;

    public void Start()
    {
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
                Catalog = Catalog,
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
            _journalResource = store;
            long records = store.ReplayCommitted(record =>
            {
                foreach (ref readonly var e in record.EventSpan) ReadModel.Apply(in e);
            });
            var engine = store.Engine;
            ICommandJournal journal = store.Journal;
            IsDurable = true;
            Recovery = store.Recovery;
            if (_logger.IsEnabled(LogLevel.Information)) _logger.LogInformation("Read model rebuilt from {Records} journal records.", records);

            var host = new EngineHost(engine, new TimedJournal(journal), [ReadModel, new MetricsSink()],
                new EngineHostSettings { RingSize = _options.RingSize, WaitStrategy = WaitStrategyOf(_options.WaitStrategy), InFlightEntriesMax = memory.InFlightEntriesMax },
                store.Prefetcher, store.StoreWriter);
            host.Start();
            store.Checkpoints.Start();
            _stoppable = host;
            _host = host;
            ReadModel.MarkReady();
            _ready.TrySetResult();
            if (_logger.IsEnabled(LogLevel.Information)) _logger.LogInformation("Ledger ready: {Codes} history codes, {Accounts} accounts, {Entries} entries, ring of {Ring} slots, data in {DataDir}.",
                Catalog.Definitions.Count, ReadModel.AccountCount, ReadModel.EntryCount, host.RingSize, Path.GetFullPath(_options.DataDir));
        }
        catch (Exception ex)
        {
            _ready.TrySetException(ex);
            throw;
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
        var host = Interlocked.Exchange(ref _stoppable, null);
        if (host is null) return;
        host.Stop();
        Store = null;
        _journalResource?.Dispose();
        _journalResource = null;
        if (_logger.IsEnabled(LogLevel.Information)) _logger.LogInformation("Ledger stopped: ring drained, {Entries} entries in the read model.", ReadModel.EntryCount);
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
