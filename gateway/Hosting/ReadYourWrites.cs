namespace Ledger.Gateway.Hosting;

/// <summary>
/// Read-your-writes, now that answers go out after the journal commit and the read side follows behind: a read waits
/// until the read store holds every journal record acknowledged when the read arrived (the host's
/// <see cref="Engine.Hosting.EngineHost.AcknowledgedRecord"/>), at most <see cref="LedgerOptions.ReadYourWritesWaitMax"/>;
/// past it the read is refused (503, retry). The publish stage calls <see cref="Advance"/> after each read-store write.
/// Usage: <c>if (!await gate.WaitAsync(host.AcknowledgedRecord, bound, ct)) return 503;</c>
/// </summary>
public sealed class ReadYourWrites
{
    private readonly Func<Task, TimeSpan, CancellationToken, Task> _waitForAdvance;
    private long _record;
    private TaskCompletionSource _advanced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _waiters;

    public ReadYourWrites() : this(static (advanced, left, cancel) => advanced.WaitAsync(left, cancel))
    {
    }

    /// <summary>
    /// The concurrency tests' seam: how a waiting read waits for the next <see cref="Advance"/> (at most the time left,
    /// throwing <see cref="TimeoutException"/> past it). Coyote 1.7.11 does not control <see cref="Task.WaitAsync(TimeSpan, CancellationToken)"/>,
    /// so tests/Ledger.Concurrency.Tests waits on the completion alone, where a lost wake-up is a deadlock Coyote reports.
    /// </summary>
    internal ReadYourWrites(Func<Task, TimeSpan, CancellationToken, Task> waitForAdvance) => _waitForAdvance = waitForAdvance;

    /// <summary>The last journal record the read store holds and serves.</summary>
    public long Record => Volatile.Read(ref _record);

    /// <summary>Waits observed and how long they took in all (for metrics).</summary>
    public long Waits => Volatile.Read(ref _waits);
    public long WaitTicks => Volatile.Read(ref _waitTicks);
    public long TimedOut => Volatile.Read(ref _timedOut);
    private long _waits, _waitTicks, _timedOut;

    /// <summary>
    /// A (re)started ledger role: the read store it opened serves up to <paramref name="record"/> (caught up from the
    /// journal, so at least every record acknowledged before). Unlike <see cref="Advance"/> it may go back: a read
    /// store rebuilt after a failed write starts over at what was durable.
    /// </summary>
    public void Restart(long record)
    {
        Interlocked.Exchange(ref _record, record);
        Interlocked.Exchange(ref _advanced, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>The read store now serves everything up to <paramref name="record"/>; wakes the reads waiting for it.</summary>
    public void Advance(long record)
    {
        Engine.Invariant.That(record >= Volatile.Read(ref _record), "the read side's watermark went back");
        // A full fence on both sides (this exchange, the waiter's increment): either the waiter sees the new record, or
        // this sees the waiter and wakes it. Nobody waiting: no new completion source per write batch.
        Interlocked.Exchange(ref _record, record);
        if (Volatile.Read(ref _waiters) == 0) return;
        Interlocked.Exchange(ref _advanced, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>True once the read store holds <paramref name="record"/> (at once when it already does); false past <paramref name="bound"/>.</summary>
    public ValueTask<bool> WaitAsync(long record, TimeSpan bound, CancellationToken cancel) =>
        Record >= record ? ValueTask.FromResult(true) : WaitSlowAsync(record, bound, cancel);

    private ValueTask<bool> WaitSlowAsync(long record, TimeSpan bound, CancellationToken cancel) => WaitSlowAsync(() => Record >= record, bound, cancel);

    /// <summary>True once <paramref name="holds"/> is (checked now, then after every <see cref="Advance"/>); false past <paramref name="bound"/>.</summary>
    public ValueTask<bool> WaitUntilAsync(Func<bool> holds, TimeSpan bound, CancellationToken cancel) =>
        holds() ? ValueTask.FromResult(true) : WaitSlowAsync(holds, bound, cancel);

    private async ValueTask<bool> WaitSlowAsync(Func<bool> holds, TimeSpan bound, CancellationToken cancel)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        Interlocked.Increment(ref _waiters);
        try
        {
            while (true)
            {
                var advanced = Volatile.Read(ref _advanced).Task; // taken before the check: an Advance after it completes this one
                if (holds()) return true;
                var left = bound - System.Diagnostics.Stopwatch.GetElapsedTime(started);
                if (left <= TimeSpan.Zero)
                {
                    Interlocked.Increment(ref _timedOut);
                    return false;
                }
                try
                {
                    await _waitForAdvance(advanced, left, cancel).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // checked once more above, then refused
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref _waiters);
            Interlocked.Increment(ref _waits);
            Interlocked.Add(ref _waitTicks, System.Diagnostics.Stopwatch.GetTimestamp() - started);
        }
    }
}
