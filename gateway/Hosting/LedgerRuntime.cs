using Ledger.Engine;
using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Engine.Hosting;
using Ledger.Engine.Ring;
using Ledger.Gateway.Observability;
using Ledger.Journal;
using Ledger.Journal.Entries;
using Ledger.Journal.Recovery;
using Ledger.ReadSide;
using Microsoft.Extensions.Options;

namespace Ledger.Gateway.Hosting;

/// <summary>
/// The running service behind the gateway, as the endpoints see it: which role this process plays
/// (<see cref="LedgerRole"/>: engine, journal, stores, pipeline; or <see cref="StatementsRole"/>: a read replica fed
/// from Kafka), whether it accepts requests, the read store, and read-your-writes. <see cref="Start"/> composes the
/// role (recovery and read-store catch-up happen there); <see cref="IsReady"/> turns true only then; <see cref="Stop"/>
/// stops intake and drains the ring (every published command is decided, committed and answered).
/// Usage: <c>runtime.Start(); await runtime.Host!.SubmitAsync(command); runtime.Stop();</c>
/// </summary>
public sealed class LedgerRuntime : IDisposable
{
    private readonly LedgerOptions _options;
    private readonly ILogger<LedgerRuntime> _logger;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile LedgerRole? _ledger;
    private volatile StatementsRole? _statements;
    private volatile bool _stopping;
    private volatile bool _readsReady;

    /// <param name="catalog">The catalog loaded once at start-up (<see cref="LedgerOptions.HistoryCodesPath"/>).</param>
    public LedgerRuntime(IOptions<LedgerOptions> options, ILogger<LedgerRuntime> logger, HistoryCatalog catalog)
    {
        _options = options.Value;
        _logger = logger;
        _fileCatalog = catalog;
    }

    private readonly HistoryCatalog _fileCatalog;

    /// <summary>The catalog of the file this process was started with (<see cref="LedgerOptions.HistoryCodesPath"/>).</summary>
    internal HistoryCatalog FileCatalog => _fileCatalog;

    /// <summary>
    /// The catalog in force: the engine's once the ledger runs (it may be a promoted one, PUT /v1/history-codes), else
    /// the file's. Read from any thread: a reference the engine thread swaps when it applies a LoadCatalog, and a command
    /// completed after that sees the new one (the ring's stages publish with barriers).
    /// </summary>
    public HistoryCatalog Catalog => Store?.Engine.Catalog ?? _fileCatalog;

    /// <summary>The read store (balances, history, statements), or null before start; read it only once <see cref="IsReady"/>.</summary>
    public ReadStore? Reads => _ledger?.Reads ?? _statements?.Reads ?? _readOnlyReads?.Reads;

    /// <summary>The read store opened read-only when start-up could not write (the disk full): reads answer from it until the ledger starts.</summary>
    private volatile ReadOnlyReads? _readOnlyReads;

    /// <summary>How many journal records start-up fed the read store after its watermark (its own log line says so too).</summary>
    public long ReadCatchUpRecords => _ledger?.ReadCatchUpRecords ?? 0;

    public LedgerCommandPool Pool { get; } = new();

    /// <summary>How far the read store serves; reads wait on it for what was acknowledged before they arrived.</summary>
    public ReadYourWrites ReadProgress { get; } = new();

    /// <summary>
    /// Read-your-writes: true once the read store holds every command acknowledged before this call (at once, usually);
    /// false past <see cref="LedgerOptions.ReadYourWritesWaitMax"/>. A statements replica has no acknowledgements to wait for.
    /// </summary>
    public ValueTask<bool> WaitForReadsAsync(CancellationToken cancel) =>
        Host is { } host ? ReadProgress.WaitAsync(host.AcknowledgedRecord, _options.ReadYourWritesWaitMax, cancel) : ValueTask.FromResult(true);

    /// <summary>
    /// Read-your-writes through a statements replica, on request: true once this replica holds entry
    /// <paramref name="sequence"/> (the sequence a partner was answered) — for an account's read, once the account's
    /// newest entry here is at least that; for a whole-ledger read, once the newest entry applied is — at once when it
    /// does; false past <see cref="LedgerOptions.ReadYourWritesWaitMax"/>. On the ledger process every acknowledged
    /// write is waited for anyway (<see cref="WaitForReadsAsync"/>): true.
    /// </summary>
    public ValueTask<bool> WaitForSequenceAsync(Ledger.Engine.Domain.AccountKey? account, long sequence, CancellationToken cancel)
    {
        if (_statements is not { } statements) return ValueTask.FromResult(true);
        var reads = statements.Reads;
        return ReadProgress.WaitUntilAsync(() => account is { } a ? reads.NewestSequence(a) >= sequence : reads.Watermark.LastSequence >= sequence,
            _options.ReadYourWritesWaitMax, cancel);
    }

    /// <summary>The statements replica's feed (lag, partitions), or null in the ledger role.</summary>
    internal Kafka.FeedProgress? FeedProgress => _statements?.Progress;

    /// <summary>Why a statements replica's feed stopped (an event it cannot apply, a topic that lost events), or null.</summary>
    public Exception? FeedFault => _statements?.Fault;

    /// <summary>Where writes go, told to a partner who sends one to a statements replica (<c>Ledger:Statements:WritesUrl</c>).</summary>
    public string? WritesUrl => _options.Statements.WritesUrl;

    /// <summary>How long a write waits for room in the pipeline before 503 <c>busy</c> (<see cref="LedgerOptions.BusyWaitMax"/>).</summary>
    public TimeSpan BusyWaitMax => _options.BusyWaitMax;

    /// <summary>The running pipeline; null before <see cref="Start"/> has finished, and in the statements role.</summary>
    public EngineHost? Host => _ledger?.Host;

    /// <summary>The durable side (journal, entry store), or null before start.</summary>
    public LedgerStore? Store => _ledger?.Store;

    /// <summary>The Kafka event publisher (the journal's outbox), or null when Kafka is off.</summary>
    internal Kafka.Egress.EventPublisher? Publisher => _ledger?.Publisher;

    /// <summary>The Kafka command consumer, or null when Kafka ingress is off (no <c>Ledger:Kafka:CommandsPartner</c>).</summary>
    internal Kafka.Ingress.CommandConsumer? Ingress => _ledger?.Ingress;

    /// <summary>What recovery did at start (store checkpoint used, records replayed, any cut), or null before start.</summary>
    public RecoveryReport? Recovery => _ledger?.Store.Recovery;

    /// <summary>True when acknowledged commands survive a restart (a real journal is wired).</summary>
    public bool IsDurable => _ledger is not null;

    /// <summary>Wraps the journal before the pipeline starts: the fail-stop tests inject a failing write here.</summary>
    internal Func<ICommandJournal, ICommandJournal>? WrapJournal { get; set; }

    /// <summary>Wraps the entry store's writer and the read store's feed (the stages behind the answers): tests hold them back here.</summary>
    internal Func<IEntryStoreWriter, IEntryStoreWriter>? WrapStoreWriter { get; set; }
    internal Func<ICommittedCommandSink, ICommittedCommandSink>? WrapReadSink { get; set; }

    /// <summary>Wraps the entry store's prefetcher (the simulator makes its read fail here).</summary>
    internal Func<IEntryPrefetcher, IEntryPrefetcher>? WrapPrefetcher { get; set; }

    /// <summary>Called with each journal record the read store's catch-up at start feeds after recovery (the simulator cuts the power there); not by the part fed beside recovery's replay.</summary>
    internal Action<long>? OnReadCatchUp { get; set; }

    /// <summary>Adjusts the pipeline host's settings before it starts: the simulator gives it its own clock and no tick timer.</summary>
    internal Func<EngineHostSettings, EngineHostSettings>? AdjustHost { get; set; }

    /// <summary>Accepting requests: recovered, read store caught up, not stopping, and the pipeline (or the replica's feed) has not failed (fail-stop).</summary>
    public bool IsReady => !_stopping && _readsReady && (_ledger is { Host.Fault: null } || _statements is { Fault: null });

    /// <summary>Completes when the runtime became ready (or faults when start-up failed).</summary>
    public Task WhenReady => _ready.Task;

    private readonly object _roleGate = new();
    private WriteFault? _writeFault;
    private int _probing;

    /// <summary>The component that could not write, while writes are refused for it (null when none failed, or once the ledger took writes again).</summary>
    public WriteFault? WriteFault => Volatile.Read(ref _writeFault);

    /// <summary>
    /// Reads are answered from the read store as it stands, without waiting for writes (writes are refused after a write
    /// failure), when it holds every acknowledged command. When the read store is what failed it may lack acknowledged
    /// ones: reads then wait (503) for the restart that feeds them from the journal, rather than answer without them.
    /// </summary>
    public bool ReadsDuringWriteFault => WriteFault is not null && _readsReady && !_stopping
        && (_ledger is { } ledger ? ledger.Reads.Watermark.RecordNumber >= ledger.Host.AcknowledgedRecord : _readOnlyReads is not null);

    /// <summary>
    /// Called by the guards around the journal, the entry store's writer and the read store's feed when one throws (the
    /// pipeline then stops: fail-stop). The first failure is kept; a probe then writes a small file in the data directory
    /// every <c>Ledger:Storage:ProbeEverySeconds</c>, and once that works the ledger role is restarted in process.
    /// </summary>
    internal void NoteWriteFault(string component, Exception failure)
    {
        var fault = Hosting.WriteFault.Of(component, failure, _options.DataDir);
        if (Interlocked.CompareExchange(ref _writeFault, fault, null) is not null) return;
        _logger.LogError(failure, "The {Component} could not write: writes are refused until it can (probing every {Seconds} s); reads answer from what is durable.",
            component, _options.Storage.ProbeEverySeconds);
        if (Interlocked.Exchange(ref _probing, 1) == 0) _ = Task.Run(ProbeAndRestartAsync);
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031:Do not catch general exception types",
        Justification = "A restart that fails (the disk still full) is logged and probed again.")]
    private async Task ProbeAndRestartAsync()
    {
        var every = TimeSpan.FromSeconds(Math.Max(0.05, _options.Storage.ProbeEverySeconds));
        while (!_stopping)
        {
            await Task.Delay(every).ConfigureAwait(false);
            if (_stopping || (_ledger is { } running && running.Host.Fault is null)) continue; // the stage has not stopped yet
            if (!CanWrite(WriteFault?.Directory ?? _options.DataDir)) continue;
            try
            {
                lock (_roleGate)
                {
                    if (_stopping) return;
                    _readsReady = false; // reads wait (503 not-ready) while the stores close and reopen
                    _ledger?.DisposeAfterFault();
                    _ledger = null;
                    Interlocked.Exchange(ref _readOnlyReads, null)?.Dispose();
                    var ledger = LedgerRole.Start(this, _options, _logger);
                    _ledger = ledger;
                    var fault = Interlocked.Exchange(ref _writeFault, null);
                    _readsReady = true;
                    ledger.StartIngress(this);
                    _logger.LogWarning("The ledger takes writes again: the {Component} failed at {At:O} and the data directory is writable now; recovered in process ({Recovery}).",
                        fault?.Component, fault?.AtUtc, ledger.Store.Recovery.Summary());
                }
                Volatile.Write(ref _probing, 0);
                return;
            }
            catch (Exception ex)
            {
                _logger.LogWarning(ex, "The ledger could not restart after the write failure; probing again.");
            }
        }
    }

    /// <summary>Writes, syncs and deletes a 4 MiB file in the failed component's directory: can the ledger write there again?</summary>
    private static bool CanWrite(string directory)
    {
        string probe = Path.Combine(directory, ".write-probe");
        try
        {
            using (var stream = new FileStream(probe, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.WriteThrough))
            {
                var block = new byte[1 << 16];
                for (int i = 0; i < 64; i++) stream.Write(block);
                stream.Flush(flushToDisk: true);
            }
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        finally
        {
            try
            {
                File.Delete(probe);
            }
            catch (IOException)
            {
                // the next probe overwrites it
            }
        }
    }

    public void Start()
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        if (_options.Storage.CompactionsLowPriority) Journal.Storage.RocksTuning.LowerCompactionPriority(); // both roles' stores
        try
        {
            if (_options.IsStatementsRole)
            {
                if (string.Equals(_options.Auth.Mode, "Embedded", StringComparison.OrdinalIgnoreCase)
                    && (string.IsNullOrWhiteSpace(_options.Auth.SigningKeyPath) || string.IsNullOrWhiteSpace(_options.Auth.Issuer))
                    && _logger.IsEnabled(LogLevel.Warning))
                {
                    _logger.LogWarning("Statements replica with a token signing key and issuer of its own: tokens of the ledger process are refused here (401). " +
                        "Set Ledger:Auth:SigningKeyPath and Ledger:Auth:Issuer to the same values on every node (docs/kafka.md, \"Deploying statements replicas\").");
                }
                var statements = StatementsRole.Start(_options, _logger, mark => ReadProgress.Advance(mark.RecordNumber));
                _statements = statements;
                try
                {
                    statements.WaitUntilCaughtUp(_options, _logger, started);
                }
                catch (OperationCanceledException) when (_stopping)
                {
                    return; // stopped while catching up: what it fed is durable, the next start resumes there
                }
                _readsReady = true;
                _ready.TrySetResult();
                return;
            }
            LedgerRole ledger;
            try
            {
                ledger = LedgerRole.Start(this, _options, _logger);
            }
            catch (Exception ex) when (Journal.Storage.DiskSpace.IsOutOfSpace(ex))
            {
                StartReadOnly(ex);
                return;
            }
            _ledger = ledger;
            _readsReady = true;
            ledger.StartIngress(this);
            _ready.TrySetResult();
            var engine = ledger.Host.Engine;
            if (_logger.IsEnabled(LogLevel.Information)) _logger.LogInformation("Ledger ready in {Seconds:F3} s: {Codes} history codes, {Accounts} accounts, {Sequence} entries, ring of {Ring} slots, {Threads} pipeline threads, {HugePagesMiB} MiB of tables advised onto huge pages, data in {DataDir}.",
                started.Elapsed.TotalSeconds, Catalog.Definitions.Count, engine.Accounts.Count, engine.LastSequence, ledger.Host.RingSize, ledger.Host.ThreadNames.Count,
                Engine.State.HugePages.AdvisedBytes >> 20, Path.GetFullPath(_options.DataDir));
        }
        catch (Exception ex)
        {
            _ready.TrySetException(ex);
            throw;
        }
    }

    /// <summary>
    /// Start-up could not write (the disk is full: recovery's store writes, a checkpoint, the read store's catch-up): the
    /// ledger comes up read-only instead of failing. Writes are refused with the 503 of the component that failed
    /// (<see cref="NoteWriteFault"/>, which also starts the probe that starts the ledger once space is back), and
    /// <c>/health/ready</c> says why. Reads answer from the read store, opened read-only, but only when it holds the whole
    /// committed journal (a clean stop left it so); one behind the journal (a crash) would answer without acknowledged
    /// entries, so reads then wait (503) for the ledger to start and feed it.
    /// </summary>
    private void StartReadOnly(Exception failure)
    {
        NoteWriteFault(Hosting.WriteFault.ComponentOf(failure, _options.DataDir), failure);
        string why;
        try
        {
            why = OpenReadOnlyReads();
        }
        catch (Exception ex) when (ex is IOException or ReadStoreFormatException or JournalFormatException or StoreFormatException or FormatException or InvalidOperationException)
        {
            why = "the read store (or the entry store beside it) does not open read-only: " + ex.Message;
        }
        _readsReady = true;
        _ready.TrySetResult();
        _logger.LogWarning("The ledger started read-only: start-up could not write ({Reason}). Writes are refused until the data directory can be written; {Reads}.",
            failure.Message, why);
    }

    /// <summary>Opens the read store read-only for reads while start-up cannot write; says whether reads are answered.</summary>
    private string OpenReadOnlyReads()
    {
        string dir = Path.Combine(_options.DataDir, ReadStore.DirectoryName);
        string journalDir = Path.Combine(_options.DataDir, LedgerStore.JournalDirectoryName);
        if (!File.Exists(Path.Combine(dir, "CURRENT")) || !JournalLog.Exists(journalDir)) return "reads wait too (there is no read store yet)";
        long journalEnd;
        using (var log = JournalLog.Open(journalDir, readOnly: true)) journalEnd = log.CommittedUntilAddress;
        string entriesDir = Path.Combine(_options.DataDir, EntryStore.DirectoryName);
        if (!EntryStore.Exists(entriesDir)) return "reads wait too (there is no entry store to look correlation ids up in)";
        var readOnly = ReadOnlyReads.Open(dir, ComponentSettings.ReadStore(_options), entriesDir, ComponentSettings.EntryStore(_options));
        var reads = readOnly.Reads;
        if (reads.Watermark.NextAddress != journalEnd)
        {
            long behind = reads.Watermark.RecordNumber;
            readOnly.Dispose();
            return $"reads wait too: the read store ends at journal record {behind}, before the journal's end, and cannot be fed without space";
        }
        lock (_roleGate)
        {
            if (_stopping || _ledger is not null)
            {
                readOnly.Dispose();
                return "reads answer from the ledger";
            }
            _readOnlyReads = readOnly;
        }
        return $"reads answer from the read store (journal record {reads.Watermark.RecordNumber}, the journal's last)";
    }

    /// <summary>Stops intake, drains the ring, closes the stores and the journal. Idempotent.</summary>
    public void Stop()
    {
        lock (_roleGate) StopInside();
    }

    private void StopInside()
    {
        _stopping = true;
        _readsReady = false;
        Interlocked.Exchange(ref _readOnlyReads, null)?.Dispose();
        if (Interlocked.Exchange(ref _statements, null) is { } statements)
        {
            statements.Dispose();
            return;
        }
        if (_ledger is not { } ledger) return;
        ledger.Dispose();
        _ledger = null;
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
