using Ledger.Engine;
using Ledger.Engine.Commands;
using Ledger.Journal.Entries;
using Ledger.Journal.Format;
using Ledger.Journal.Recovery;
using Ledger.Journal.Storage;
using Microsoft.Extensions.Logging;

namespace Ledger.Journal;

/// <summary>
/// The ledger's durable side in one object: opens (or creates) the data directory, recovers the engine (the live state
/// at the entry store's checkpoint + the journal after it, a damaged tail cut and reported; a store that does not fit the
/// journal is set aside and rebuilt from it), journals the catalog if it changed, starts the key filter's top-up in the
/// background if its file lagged (<see cref="FilterTopUp"/>), and hands out what the host needs.
/// One process owns a data directory at a time (a lock file enforces it).
/// <para>Usage:</para>
/// <code>
/// using var store = LedgerStore.Open(new LedgerStoreSettings { DataDir = dir, Catalog = catalog, Logger = logger });
/// var host = new EngineHost(store.Engine, store.Journal, sinks, settings, store.Prefetcher, store.StoreWriter);
/// host.Start(); store.Checkpoints.Start();
/// ... on SIGTERM: host.Stop(); store.Dispose();   // drain, then commit, checkpoint and close
/// </code>
/// </summary>
public sealed class LedgerStore : IDisposable
{
    public const string JournalDirectoryName = "journal";
    public const string LockFileName = "ledger.lock";

    private readonly JournalLog _log;
    private readonly FileStream _lock;
    private readonly ILogger? _logger;
    private bool _disposed;

    private LedgerStore(string dataDir, JournalLog log, FileStream lockFile, EntryStore entries, LedgerEngine engine, JournalWriter journal,
        RecoveryReport report, ILogger? logger, FilterTopUp? filterTopUp)
    {
        DataDir = dataDir;
        _log = log;
        _lock = lockFile;
        Entries = entries;
        Engine = engine;
        Journal = journal;
        Recovery = report;
        _logger = logger;
        Prefetcher = entries.Prefetcher();
        StoreWriter = entries.Writer();
        Checkpoints = entries.Checkpointer(logger);
        FilterTopUp = filterTopUp;
    }

    public string DataDir { get; }

    /// <summary>The open journal (tests and the perf harness read it directly).</summary>
    public JournalLog Log => _log;

    /// <summary>The recovered engine. Hand it to the <see cref="Engine.Hosting.EngineHost"/>; from then on only its engine thread touches it.</summary>
    public LedgerEngine Engine { get; }

    /// <summary>The journal for the host (<see cref="Engine.Hosting.ICommandJournal"/>): appends on the journal thread, group-commits per batch.</summary>
    public JournalWriter Journal { get; }

    /// <summary>The entry store (history on disk, live state at its checkpoint).</summary>
    public EntryStore Entries { get; }

    /// <summary>The host's prefetch stage reads the store through this.</summary>
    public StorePrefetcher Prefetcher { get; }

    /// <summary>The host's store stage writes the store through this.</summary>
    public StoreWriter StoreWriter { get; }

    /// <summary>The checkpoint thread; call <see cref="Checkpointer.Start"/> once the host runs.</summary>
    public Checkpointer Checkpoints { get; }

    /// <summary>
    /// The key filter's top-up from the journal, running in the background after this start (null: the filter was
    /// complete at open). Until it completes, lookups do not trust the filter's "absent" (they ask RocksDB) and checkpoints
    /// do not rewrite its file. Stopped and awaited by <see cref="Dispose"/> before the store closes.
    /// </summary>
    public FilterTopUp? FilterTopUp { get; }

    /// <summary>What recovery did (also logged).</summary>
    public RecoveryReport Recovery { get; }

    /// <summary>Opens the store: lock, recover, journal the catalog if new or changed. Throws with a sentence saying what to fix.</summary>
    public static LedgerStore Open(LedgerStoreSettings options)
    {
        options.Validate();
        var logger = options.Logger;
        FileStream? lockFile = null;
        JournalLog? log = null;
        EntryStore? entries = null;
        try
        {
            string dataDir = Path.GetFullPath(options.DataDir);
            if (!Directory.Exists(dataDir))
            {
                Directory.CreateDirectory(dataDir);
                DurableFiles.SyncDirectory(Path.GetDirectoryName(dataDir)!);
            }
            var opening = System.Diagnostics.Stopwatch.StartNew();
            lockFile = TakeLock(dataDir);
            string journalDir = Path.Combine(dataDir, JournalDirectoryName);
            bool created = !JournalLog.Exists(journalDir);
            log = JournalLog.Open(journalDir, options.Journal);
            (entries, string? rebuilt) = OpenEntryStore(Path.Combine(dataDir, EntryStore.DirectoryName), log, options.EntryStore, logger);
            var opened = opening.Elapsed;
            var result = RecoverBeside(log, entries, options, new RecoverySettings
            {
                InitialCatalog = options.Catalog,
                EngineSettings = options.Engine,
                CutDamage = true,
                Logger = logger,
                FilterTopUpLater = true, // started below, once everything else of the start has succeeded
            });
            var engine = result.Engine;
            var journal = new JournalWriter(log, result.NextRecordNumber, engine.LastSequence);
            bool newLedger = result.NextRecordNumber == 1;
            // A catalog promoted live (PUT /v1/history-codes) stays in force across restarts: the file is the start-up
            // default, and a promotion is a later, journaled decision. A differing file is then only reported.
            bool fileDiffers = !newLedger && !CatalogCodec.SameCatalog(engine.Catalog, options.Catalog);
            bool promoted = engine.Catalog.PromotedBy is not null;
            if (fileDiffers && promoted)
            {
                logger?.LogWarning("The catalog file differs from the catalog in force, version {Version}, promoted by {Client} from sequence {Since}: the promoted catalog stays in force (promote the file's with PUT /v1/history-codes).",
                    engine.Catalog.Version, engine.Catalog.PromotedBy, engine.Catalog.SinceSequence);
            }
            bool catalogChanged = fileDiffers && !promoted;
            if (newLedger || catalogChanged)
            {
                // Every journal starts with its catalog, and a changed catalog file is journaled before any command uses it.
                // It takes the ledger's own clock: the store never moves the ledger's time (only the host's stamps do).
                var load = new LedgerCommand { TimestampTicks = engine.ClockTicks };
                load.SetLoadCatalog(newLedger ? options.Catalog : options.Catalog.Replacing(engine.Catalog, promotedBy: null));
                engine.Apply(load);
                journal.Append(load);
                journal.Commit();
                using var writer = entries.Writer();
                writer.Add(load);
                writer.EndOfBatch();
            }
            var report = result.Report with
            {
                StoreRebuilt = rebuilt,
                OpenElapsed = opened,
                FilterRefilledKeys = entries.FilterRebuiltKeys,
                FilterLog = entries.FilterLogApplied,
                FilterLogUnreadable = entries.FilterLogUnreadable,
                CatalogChanged = catalogChanged,
                JournalCreated = created,
                LastRecordNumber = journal.CommittedRecordNumber,
                StateHash = catalogChanged || newLedger ? engine.ComputeStateHash() : result.Report.StateHash,
            };
            var level = report.Damage is not null || rebuilt is not null || report.FilterRefilledKeys > 0 || report.FilterLogUnreadable is not null ? LogLevel.Warning : LogLevel.Information;
            if (logger?.IsEnabled(level) == true) logger.Log(level, "{Summary}", report.Summary());
            // The filter's gap (its file's coverage .. the checkpoint recovery started from), unless recovery topped it up first
            // because the gap was small beside the replay (LedgerRecovery.TopUpFirstRatio), is filled on its own thread: the
            // ledger is ready now, correct meanwhile because lookups do not trust an incomplete filter (issue 14: it was
            // 4.97 s of a 6.79 s restart after a minute of load).
            var topUp = result.FilterTopUpUntil is { } until ? FilterTopUp.Start(log, entries, until, logger, options.FilterTopUpHold) : null;
            try
            {
                return new LedgerStore(dataDir, log, lockFile, entries, engine, journal, report, logger, topUp);
            }
            catch
            {
                topUp?.Dispose();
                throw;
            }
        }
        catch
        {
            entries?.Dispose();
            log?.Dispose();
            lockFile?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Recovers, with <see cref="LedgerStoreSettings.AlongsideReplay"/> (when set and the store has a checkpoint) running
    /// on its own thread meanwhile over the journal up to that checkpoint. Both have ended when this returns or throws
    /// (nothing reads the journal after its caller closes it); recovery's failure wins over the other's.
    /// </summary>
    private static RecoveryResult RecoverBeside(JournalLog log, EntryStore entries, LedgerStoreSettings options, RecoverySettings recovery)
    {
        if (options.AlongsideReplay is not { } alongside || entries.LastCheckpoint is not { } checkpoint)
            return LedgerRecovery.Recover(log, entries, recovery);
        var prefix = new VerifiedJournalPrefix(log, checkpoint);
        var beside = Task.Factory.StartNew(() => alongside(prefix), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        RecoveryResult result;
        try
        {
            result = LedgerRecovery.Recover(log, entries, recovery);
        }
        catch
        {
            try
            {
                beside.Wait();
            }
            catch (AggregateException)
            {
                // recovery's own failure is the one to report
            }
            throw;
        }
        beside.GetAwaiter().GetResult();
        return result;
    }

    /// <summary>
    /// Opens the entry store; one that cannot be read or does not fit this journal (another journal's, ahead of it, of
    /// a discarded region) is moved aside as <c>store.unusable-…</c> (kept for inspection) and a new one is created, which
    /// recovery then fills from the whole journal. Returns why it was rebuilt, or null.
    /// </summary>
    private static (EntryStore Store, string? Rebuilt) OpenEntryStore(string directory, JournalLog log, EntryStoreSettings settings, ILogger? logger)
    {
        string? problem;
        EntryStore? store = null;
        try
        {
            store = EntryStore.Open(directory, settings);
            store.Logger = logger;
            problem = LedgerRecovery.CheckStore(log, store);
        }
        catch (Exception ex) when (DiskSpace.IsOutOfSpace(ex))
        {
            store?.Dispose(); // a full disk is not damage: keep the store (rebuilding it would need more space), let the caller wait for space
            throw;
        }
        catch (Exception ex) when (ex is IOException or StoreFormatException)
        {
            problem = ex.Message;
        }
        catch (JournalFormatException)
        {
            store?.Dispose(); // the journal lost what the store covers: refuse, keep the store as it is
            throw;
        }
        if (problem is null) return (store!, null);
        store?.Dispose();
        string aside = AsideName(directory);
        Directory.Move(directory, aside);
        logger?.LogWarning("The entry store does not fit the journal ({Problem}); moved to {Aside}, rebuilding it from the journal.", problem, aside);
        var rebuilt = EntryStore.Open(directory, settings);
        rebuilt.Logger = logger;
        return (rebuilt, $"{problem} (the old store is in {aside})");
    }

    /// <summary>
    /// Where a store that does not fit is set aside: <c>&lt;dir&gt;.unusable-&lt;UTC second&gt;</c>, with <c>-2</c>, <c>-3</c>… when
    /// that exists (two set-asides within a second made start-up fail: found by ledger-sim, seed 9 of the CI set).
    /// </summary>
    public static string AsideName(string directory)
    {
        string stamp = $"{directory}.unusable-{DateTime.UtcNow:yyyyMMddTHHmmssZ}";
        string aside = stamp;
        for (int n = 2; Directory.Exists(aside) || File.Exists(aside); n++) aside = $"{stamp}-{n}";
        return aside;
    }

    /// <summary>Takes the data directory's lock (what the service holds while it runs), for tools that change the directory.</summary>
    public static FileStream LockDataDirectory(string dataDir) => TakeLock(Path.GetFullPath(dataDir));

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
            throw new IOException($"The data directory '{dataDir}' is in use by another ledger process ({LockFileName} is locked). Stop it, or open another data directory.", ex);
        }
    }

    /// <summary>
    /// Reads every committed journal record from the journal's beginning, in order, with the events as journaled (no
    /// engine runs). Safe while the host is writing (it reads what is committed when it starts). Returns the number of
    /// records read. The record passed in is reused: copy what you keep.
    /// </summary>
    public long ReplayCommitted(Action<JournalRecord> onRecord) => JournalReader.ReadAll(_log, onRecord);

    /// <summary>
    /// Reads the committed records after record <paramref name="recordNumber"/> (which ended at <paramref name="nextAddress"/>,
    /// sequence <paramref name="lastSequence"/>), in order, events as journaled: how a store derived from the journal (the read
    /// store) catches up from its watermark. Returns the number read, or -1 when the journal does not continue there (the
    /// derived store is not this journal's, or ahead of it: rebuild it with <see cref="ReplayCommitted"/>).
    /// </summary>
    public long ReplayCommittedAfter(long recordNumber, long nextAddress, long lastSequence, Action<JournalRecord> onRecord) =>
        JournalReader.ReadAfter(_log, recordNumber, nextAddress, lastSequence, Journal.CommittedRecordNumber, _log.CommittedUntilAddress, onRecord);

    /// <summary>
    /// A tailing cursor over the committed journal after record <paramref name="recordNumber"/> (which ended at
    /// <paramref name="nextAddress"/>, sequence <paramref name="lastSequence"/>; 0 for the journal's start): how an outbox
    /// reader (the Kafka publisher) follows commits as they happen. Null when the journal does not continue there.
    /// Read with <see cref="JournalCursor.TryRead(JournalRecord)"/>; at its end, <see cref="JournalCursor.WaitAsync"/>.
    /// </summary>
    public JournalCursor? TailCommittedAfter(long recordNumber, long nextAddress, long lastSequence)
    {
        if (recordNumber == 0) return new JournalCursor(_log, _log.StartAddress, _log.Archive.FirstRecordNumber, _log.Archive.LastSequenceBefore, follow: true);
        if (nextAddress < _log.StartAddress || nextAddress > _log.CommittedUntilAddress || recordNumber > Journal.CommittedRecordNumber) return null;
        return new JournalCursor(_log, nextAddress, recordNumber + 1, lastSequence, follow: true);
    }

    /// <summary>Stops checkpointing, commits anything appended, checkpoints and closes the store and journal, releases the data directory. Stop the host first.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        FilterTopUp?.Dispose(); // before the store and the journal it reads close; an unfinished top-up leaves the old file
        Checkpoints.Dispose();
        try
        {
            Journal.Commit();
        }
        catch (InvalidOperationException ex)
        {
            _logger?.LogError(ex, "The journal had failed; nothing after the failure was acknowledged.");
        }
        Prefetcher.Dispose();
        StoreWriter.Dispose();
        Entries.Dispose();
        _log.Dispose();
        _lock.Dispose();
    }
}
