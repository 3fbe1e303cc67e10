using Ledger.Journal.Recovery;

namespace Ledger.Journal;

/// <summary>Where start-up is: recovering, ready, or failed.</summary>
public enum LedgerPhase
{
    Starting,
    Recovering,
    Ready,
    Failed,
    Stopped,
}

/// <summary>
/// The readiness flag the gateway exposes (<c>/health/ready</c>): pass one in <see cref="LedgerStoreOptions.Readiness"/>,
/// open the store on a background task, and answer ready only when <see cref="IsReady"/> (recovery finished and the
/// journal is writable). Thread-safe.
/// Usage: <c>var ready = new LedgerReadiness(); _ = Task.Run(() =&gt; LedgerStore.Open(options with { Readiness = ready }));</c>
/// </summary>
public sealed class LedgerReadiness
{
    private volatile LedgerPhase _phase = LedgerPhase.Starting;
    private RecoveryReport? _report;
    private RecoveryProgress _progress;
    private Exception? _failure;
    private readonly object _gate = new();

    public LedgerPhase Phase => _phase;

    public bool IsReady => _phase == LedgerPhase.Ready;

    /// <summary>The recovery report once recovery has finished.</summary>
    public RecoveryReport? Report => Volatile.Read(ref _report);

    /// <summary>How far the replay has come while recovering.</summary>
    public RecoveryProgress Progress
    {
        get
        {
            lock (_gate) return _progress;
        }
    }

    /// <summary>Why start-up failed (then the process should exit with this message).</summary>
    public Exception? Failure => Volatile.Read(ref _failure);

    internal void Recovering() => _phase = LedgerPhase.Recovering;

    internal void OnProgress(RecoveryProgress progress)
    {
        lock (_gate) _progress = progress;
    }

    internal void Ready(RecoveryReport report)
    {
        Volatile.Write(ref _report, report);
        _phase = LedgerPhase.Ready;
    }

    internal void Failed(Exception failure)
    {
        Volatile.Write(ref _failure, failure);
        _phase = LedgerPhase.Failed;
    }

    internal void Stopped() => _phase = LedgerPhase.Stopped;
}
