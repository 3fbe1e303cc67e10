namespace Ledger.Engine.Ring;

/// <summary>
/// How a consumer waits for a sequence to become available. Busy-spin is lowest-latency but burns a core
/// (right only with a core per consumer); yielding gives the core away between checks; blocking sleeps on a
/// monitor and is the right default on a small shared machine.
/// </summary>
public interface IWaitStrategy
{
    /// <summary>Waits until <paramref name="availability"/> reports at least <paramref name="sequence"/>, or the barrier is alerted.</summary>
    /// <returns>The highest sequence available (may exceed the one asked for), or -2 when alerted.</returns>
    long WaitFor(long sequence, ISequenceBarrierSource availability, Func<bool> alerted);

    /// <summary>Wakes blocked waiters after a publish or a consumer's progress.</summary>
    void SignalAllWhenBlocking();
}

/// <summary>What a waiting consumer watches: the highest sequence it may consume now.</summary>
public interface ISequenceBarrierSource
{
    long AvailableSequence { get; }
}

/// <summary>Spins on the sequence: lowest latency, one full core per waiting consumer.</summary>
public sealed class BusySpinWaitStrategy : IWaitStrategy
{
    public long WaitFor(long sequence, ISequenceBarrierSource availability, Func<bool> alerted)
    {
        long available;
        while ((available = availability.AvailableSequence) < sequence)
        {
            if (alerted()) return -2;
            Thread.SpinWait(1);
        }
        return available;
    }

    public void SignalAllWhenBlocking() { }
}

/// <summary>Spins briefly, then yields the core between checks.</summary>
public sealed class YieldingWaitStrategy : IWaitStrategy
{
    private const int SpinTries = 100;

    public long WaitFor(long sequence, ISequenceBarrierSource availability, Func<bool> alerted)
    {
        int counter = SpinTries;
        long available;
        while ((available = availability.AvailableSequence) < sequence)
        {
            if (alerted()) return -2;
            if (counter > 0) counter--;
            else Thread.Yield();
        }
        return available;
    }

    public void SignalAllWhenBlocking() { }
}

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
