namespace Ledger.Engine.Ring;

/// <summary>
/// Spins a little, optionally yields the core a number of times (0 by default), then sleeps on a monitor until
/// signalled. A sleeper raises a flag before it sleeps and the first signal
/// after that clears it and pulses, so a busy pipeline pays one fence and one read per publish and only one
/// publisher per sleep takes the lock (a pulse per publish would make producers and the waking consumer fight
/// over the lock).
/// </summary>
public sealed class BlockingWaitStrategy(int yieldTries = 0) : IWaitStrategy
{
    private const int SpinTries = 64;
    /// <summary>
    /// Yields between the spin and the sleep. 0 by default: on two shared cores every yielding idle stage takes
    /// CPU from the request threads (measured in docs/perf-history.md, HTTP section); the ring-vs-channel bench also runs 100.
    /// </summary>
    private readonly int _yieldTries = yieldTries;
    private readonly object _gate = new();
    private int _signalNeeded;

    public long WaitFor(long sequence, ISequenceBarrierSource availability, Func<bool> alerted)
    {
        long available;
        for (int i = 0; i < SpinTries; i++)
        {
            if ((available = availability.AvailableSequence) >= sequence) return available;
            Thread.SpinWait(8);
        }
        for (int i = 0; i < _yieldTries; i++)
        {
            if ((available = availability.AvailableSequence) >= sequence) return available;
            if (alerted()) return -2;
            Thread.Yield();
        }
        while ((available = availability.AvailableSequence) < sequence)
        {
            if (alerted()) return -2;
            lock (_gate)
            {
                // Raise the flag (a full fence) before the re-check: a publish after the re-check sees it and pulses,
                // so no signal is lost; the timeout is only a safety net.
                Interlocked.Exchange(ref _signalNeeded, 1);
                if (availability.AvailableSequence < sequence && !alerted()) Monitor.Wait(_gate, 50);
            }
        }
        return available;
    }

    public void SignalAllWhenBlocking()
    {
        // The publish before this call is a plain release store; without a full fence x86 may read the flag before
        // that store is visible while a sleeper, having raised the flag, still reads the old sequence: a lost wake-up.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _signalNeeded) == 0 || Interlocked.Exchange(ref _signalNeeded, 0) == 0) return;
        lock (_gate) Monitor.PulseAll(_gate);
    }
}
