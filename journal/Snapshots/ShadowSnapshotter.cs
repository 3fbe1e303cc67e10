using System.Diagnostics;
using Ledger.Engine;
using Ledger.Journal.Recovery;
using Microsoft.Extensions.Logging;

namespace Ledger.Journal.Snapshots;

/// <summary>Snapshotter counters (read from any thread).</summary>
public readonly record struct SnapshotterStats(
    long SnapshotsWritten,
    long ShadowRecordNumber,
    SnapshotInfo? LastSnapshot,
    TimeSpan LastSnapshotDuration,
    Exception? LastError);

/// <summary>
/// Takes snapshots without touching the live engine: a shadow <see cref="LedgerEngine"/> on its own thread is
/// recovered the same way the service was (newest snapshot + journal), then follows the committed journal, applying
/// every record; every <see cref="LedgerStoreOptions.SnapshotEveryEntries"/> entries, or after
/// <see cref="LedgerStoreOptions.SnapshotEvery"/> with anything new, it captures its own state and writes it atomically.
/// The engine thread never pauses for it; the price is a second copy of the state in memory and one core's share of
/// replay work. A failure (a replay divergence, a full disk) stops snapshotting, is logged and kept in
/// <see cref="Stats"/>; the ledger itself keeps running, since the journal alone is enough to recover.
/// Usage: <c>store.Snapshots.Start(); ... store.Snapshots.Stop();</c>
/// </summary>
public sealed class ShadowSnapshotter : IDisposable
{
    private readonly JournalLog _log;
    private readonly SnapshotStore _store;
    private readonly LedgerStoreOptions _options;
    private readonly ILogger? _logger;
    private CancellationTokenSource _stop = new();
    private Thread? _thread;
    private volatile bool _requested;
    private long _written, _shadowRecord;
    private SnapshotInfo? _last;
    private TimeSpan _lastDuration;
    private Exception? _error;

    internal ShadowSnapshotter(JournalLog log, SnapshotStore store, LedgerStoreOptions options)
    {
        _log = log;
        _store = store;
        _options = options;
        _logger = options.Logger;
    }

    /// <summary>Raised on the snapshot thread after each snapshot file is durable.</summary>
    public event Action<SnapshotInfo>? SnapshotWritten;

    public SnapshotterStats Stats => new(Volatile.Read(ref _written), Volatile.Read(ref _shadowRecord), Volatile.Read(ref _last), _lastDuration, Volatile.Read(ref _error));

    public bool IsRunning => _thread is { IsAlive: true };

    public void Start()
    {
        if (_thread is not null) throw new InvalidOperationException("The snapshotter is already started.");
        if (_stop.IsCancellationRequested)
        {
            _stop.Dispose();
            _stop = new CancellationTokenSource();
        }
        var token = _stop.Token;
        _thread = new Thread(() => Run(token)) { Name = "ledger-snapshot", IsBackground = true, Priority = ThreadPriority.BelowNormal };
        _thread.Start();
    }

    /// <summary>Asks for a snapshot as soon as the shadow has caught up with the committed journal.</summary>
    public void RequestSnapshot() => _requested = true;

    /// <summary>Stops the shadow (an unfinished snapshot is abandoned; its temp file deleted) and waits for its thread.</summary>
    public void Stop()
    {
        if (_thread is null) return;
        _stop.Cancel();
        _thread.Join();
        _thread = null;
    }

    public void Dispose()
    {
        Stop();
        _stop.Dispose();
    }

    private void Run(CancellationToken token)
    {
        try
        {
            var recovered = LedgerRecovery.Recover(_log, _store, new RecoveryOptions { EngineSettings = _options.Engine, UseSnapshots = _options.UseSnapshots });
            if (recovered.Report.Damage is { } damage)
                throw new InvalidOperationException($"The shadow found the journal damaged ({damage}), which start-up recovery should have cut.");
            var engine = recovered.Engine;
            long lastRecord = recovered.NextRecordNumber - 1;
            long snapshotRecord = recovered.Report.SnapshotUsed?.RecordNumber ?? 0;
            Volatile.Write(ref _shadowRecord, lastRecord);
            using var cursor = new JournalCursor(_log, recovered.NextAddress, recovered.NextRecordNumber, engine.LastSequence, follow: true);
            var record = new JournalRecord();
            long entriesSince = 0;
            var sinceSnapshot = Stopwatch.StartNew();
            while (!token.IsCancellationRequested)
            {
                var outcome = cursor.TryRead(record);
                if (outcome == ReadOutcome.Record)
                {
                    LedgerRecovery.ApplyChecked(engine, record);
                    lastRecord = record.RecordNumber;
                    Volatile.Write(ref _shadowRecord, lastRecord);
                    entriesSince += Math.Max(1, Math.Max(record.Command.EntryCount, record.Command.OpeningCount));
                    if (entriesSince >= _options.SnapshotEveryEntries)
                    {
                        Snapshot(engine, lastRecord, cursor.NextAddress, token);
                        snapshotRecord = lastRecord;
                        entriesSince = 0;
                        sinceSnapshot.Restart();
                    }
                    continue;
                }
                if (outcome == ReadOutcome.Damage) throw new InvalidOperationException($"The shadow found the journal damaged: {cursor.Damage}.");
                bool requested = _requested;
                bool due = requested || (entriesSince > 0 && sinceSnapshot.Elapsed >= _options.SnapshotEvery);
                if (due && lastRecord > snapshotRecord)
                {
                    Snapshot(engine, lastRecord, cursor.NextAddress, token);
                    snapshotRecord = lastRecord;
                    entriesSince = 0;
                    sinceSnapshot.Restart();
                    continue;
                }
                if (requested) _requested = false; // nothing new since the last snapshot
                try
                {
                    cursor.WaitAsync(token).AsTask().Wait(TimeSpan.FromMilliseconds(100), token);
                }
                catch (AggregateException ex) when (ex.InnerException is ObjectDisposedException)
                {
                    return; // the log is closing
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // stopping
        }
        catch (Exception ex)
        {
            Volatile.Write(ref _error, ex);
            _logger?.LogError(ex, "Snapshotting stopped: {Reason}", ex.Message);
        }
    }

    private void Snapshot(LedgerEngine engine, long recordNumber, long nextAddress, CancellationToken token)
    {
        var clock = Stopwatch.StartNew();
        var info = _store.Write(engine, recordNumber, nextAddress, token);
        _lastDuration = clock.Elapsed;
        _requested = false;
        Volatile.Write(ref _last, info);
        Interlocked.Increment(ref _written);
        if (_logger?.IsEnabled(LogLevel.Information) == true)
            _logger.LogInformation("Snapshot {File} written: record {Record}, sequence {Sequence}, {Seconds:0.000} s",
            info.FileName, info.RecordNumber, info.LastSequence, _lastDuration.TotalSeconds);
        SnapshotWritten?.Invoke(info);
    }
}
