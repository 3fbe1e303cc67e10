using Ledger.Engine.Ring;

namespace Ledger.Engine.Hosting;

/// <summary>
/// Producers waiting for room in the pipeline (ring slots, entries in flight), woken by the last stage each time it lets
/// go of a batch of commands (after its sequence advanced, so both bounds have room by then). Answers go out after the
/// journal commit while the stores follow behind: when a stage behind the answers lags for a moment, the commands it has
/// not let go of fill the bound on entries in flight, and a write should wait for them rather than be refused.
/// Nobody waiting: one fence and one read per batch of the last stage.
/// </summary>
internal sealed class ProducerRoom : IWakeable
{
    private TaskCompletionSource _freed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _waiters;

    /// <summary>Completes at the next release; take it before trying, so a release after the try completes it.</summary>
    public Task Freed => Volatile.Read(ref _freed).Task;

    /// <summary>Counts a waiter (a full fence: either it sees the room a release made, or the release sees it and wakes it).</summary>
    public void Enter() => Interlocked.Increment(ref _waiters);

    public void Leave() => Interlocked.Decrement(ref _waiters);

    public void SignalAllWhenBlocking()
    {
        Interlocked.MemoryBarrier(); // the released entries and the last stage's sequence before the read of _waiters
        if (Volatile.Read(ref _waiters) == 0) return;
        Interlocked.Exchange(ref _freed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }
}
