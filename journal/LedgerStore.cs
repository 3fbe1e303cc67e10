using Ledger.Engine;
using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Journal.Format;
using Ledger.Journal.Recovery;
using Ledger.Journal.Snapshots;
using Ledger.Journal.Storage;
using Microsoft.Extensions.Logging;

namespace Ledger.Journal;

/// <summary>
/// The ledger's durable side in one object: opens (or creates) the data directory, recovers the engine (newest valid
/// snapshot + journal tail, a damaged tail cut and reported), journals the catalog if it changed, and hands out what
/// the host needs. One process owns a data directory at a time (a lock file enforces it).
/// <para>Usage:</para>
/// <code>
/// using var store = LedgerStore.Open(new LedgerStoreOptions { DataDir = dir, Catalog = catalog, Logger = logger });
/// var host = new EngineHost(store.Engine, store.Journal, sinks);
/// host.Start(); store.Snapshots.Start();
/// ... on SIGTERM: host.Stop(); store.Dispose();   // drain, then commit and close
/// </code>
/// </summary>
public sealed class LedgerStore : IDisposable
{
    public const string JournalDirectoryName = "journal";
    public const string SnapshotDirectoryName = "snapshots";
    public const string LockFileName = "ledger.lock";

    private readonly JournalLog _log;
    private readonly FileStream _lock;
    private readonly ILogger? _logger;
    private bool _disposed;

    private LedgerStore(string dataDir, JournalLog log, FileStream lockFile, LedgerEngine engine, JournalWriter journal,
        RecoveryReport report, ShadowSnapshotter snapshots, LedgerReadiness readiness, ILogger? logger)
    {
        DataDir = dataDir;
        _log = log;
        _lock = lockFile;
        Engine = engine;
        Journal = journal;
        Recovery = report;
        Snapshots = snapshots;
        Readiness = readiness;
        _logger = logger;
    }

    public string DataDir { get; }

    /// <summary>The open journal (tests and the perf harness read it directly).</summary>
    internal JournalLog Log => _log;

    /// <summary>The recovered engine. Hand it to the <see cref="Engine.Hosting.EngineHost"/>; from then on only its engine thread touches it.</summary>
    public LedgerEngine Engine { get; }

    /// <summary>The journal for the host (<see cref="Engine.Hosting.ICommandJournal"/>): appends on the journal thread, group-commits per batch.</summary>
    public JournalWriter Journal { get; }

    /// <summary>What recovery did (also logged, and in <see cref="Readiness"/>).</summary>
    public RecoveryReport Recovery { get; }

    /// <summary>The shadow snapshotter; call <see cref="ShadowSnapshotter.Start"/> once the host runs.</summary>
    public ShadowSnapshotter Snapshots { get; }

    /// <summary>Ready once <see cref="Open"/> has returned.</summary>
    public LedgerReadiness Readiness { get; }

    /// <summary>Opens the store: lock, recover, journal the catalog if new or changed. Throws with a sentence saying what to fix.</summary>
    public static LedgerStore Open(LedgerStoreOptions options)
    {
        options.Validate();
        var readiness = options.Readiness ?? new LedgerReadiness();
        var logger = options.Logger;
        FileStream? lockFile = null;
        JournalLog? log = null;
        try
        {
            string dataDir = Path.GetFullPath(options.DataDir);
            if (!Directory.Exists(dataDir))
            {
                Directory.CreateDirectory(dataDir);
                DurableFiles.SyncDirectory(Path.GetDirectoryName(dataDir)!);
            }
            lockFile = TakeLock(dataDir);
            readiness.Recovering();
            string journalDir = Path.Combine(dataDir, JournalDirectoryName);
            bool created = !JournalLog.Exists(journalDir);
            log = JournalLog.Open(journalDir, options.Journal);
            var snapshots = new SnapshotStore(Path.Combine(dataDir, SnapshotDirectoryName), options.SnapshotsKept);
            snapshots.DeleteUnfinished();
            var result = LedgerRecovery.Recover(log, snapshots, new RecoveryOptions
            {
                InitialCatalog = options.Catalog,
                EngineSettings = options.Engine,
                CutDamage = true,
                UseSnapshots = options.UseSnapshots,
                Logger = logger,
                OnProgress = readiness.OnProgress,
            });
            var engine = result.Engine;
            var journal = new JournalWriter(log, result.NextRecordNumber, engine.LastSequence);
            bool newLedger = result.NextRecordNumber == 1;
            bool catalogChanged = !newLedger && !CatalogCodec.SameDefinitions(engine.Catalog.Definitions, options.Catalog.Definitions);
            if (newLedger || catalogChanged)
            {
                // Every journal starts with its catalog, and a changed catalog file is journaled before any command uses it.
                // It takes the ledger's own clock: the store never moves the ledger's time (only the host's stamps do).
                var load = new LedgerCommand { TimestampTicks = engine.ClockTicks };
                load.SetLoadCatalog(options.Catalog);
                engine.Apply(load);
                journal.Append(load);
                journal.Commit();
            }
            var report = result.Report with
            {
                CatalogChanged = catalogChanged,
                JournalCreated = created,
                LastRecordNumber = journal.CommittedRecordNumber,
                StateHash = catalogChanged || newLedger ? engine.ComputeStateHash() : result.Report.StateHash,
            };
            var level = report.Damage is not null || report.SnapshotsRejected.Count > 0 ? LogLevel.Warning : LogLevel.Information;
            if (logger?.IsEnabled(level) == true) logger.Log(level, "{Summary}", report.Summary());
            var shadow = new ShadowSnapshotter(log, snapshots, options);
            readiness.Ready(report);
            return new LedgerStore(dataDir, log, lockFile, engine, journal, report, shadow, readiness, logger);
        }
        catch (Exception ex)
        {
            readiness.Failed(ex);
            log?.Dispose();
            lockFile?.Dispose();
            throw;
        }
    }

    private static FileStream TakeLock(string dataDir)
    {
        string path = Path.Combine(dataDir, LockFileName);
        try
        {
            // FileShare.None takes an exclusive advisory lock (flock on Unix); the OS drops it if the process dies.
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new IOException($"The data directory '{dataDir}' is in use by another ledger process ({LockFileName} is locked). Stop it, or set Ledger:DataDir to another directory.", ex);
        }
    }

    /// <summary>Whether <paramref name="catalog"/> differs from the catalog in force (then publish a LoadCatalog command to change it).</summary>
    public bool CatalogDiffers(HistoryCatalog catalog) => !CatalogCodec.SameDefinitions(Engine.Catalog.Definitions, catalog.Definitions);

    /// <summary>
    /// Reads every committed journal record from the first, in order, with the events as journaled (no engine runs):
    /// what a read model or statement index is rebuilt from. Safe while the host is writing (it reads what is committed
    /// when it starts). Returns the number of records read. The record passed in is reused: copy what you keep.
    /// </summary>
    public long ReplayCommitted(Action<JournalRecord> onRecord) => JournalReader.ReadAll(_log, onRecord);

    /// <summary>Stops the snapshotter, commits anything appended, closes the journal and releases the data directory. Stop the host first.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Snapshots.Dispose();
        try
        {
            Journal.Commit();
        }
        catch (InvalidOperationException ex)
        {
            _logger?.LogError(ex, "The journal had failed; nothing after the failure was acknowledged.");
        }
        _log.Dispose();
        _lock.Dispose();
        Readiness.Stopped();
    }
}
