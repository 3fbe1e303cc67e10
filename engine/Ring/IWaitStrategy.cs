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
/// Spins a little, then sleeps on a monitor until signalled. Signals take the lock only when someone is
/// actually asleep, so a busy pipeline pays one volatile read per publish.
/// </summary>
public sealed class BlockingWaitStrategy : IWaitStrategy
{
    private const int SpinTries = 64;
    private readonly object _gate = new();
    private int _sleepers;

    public long WaitFor(long sequence, ISequenceBarrierSource availability, Func<bool> alerted)
    {
        long available;
        for (int i = 0; i < SpinTries; i++)
        {
            if ((available = availability.AvailableSequence) >= sequence) return available;
            Thread.SpinWait(8);
        }
        while ((available = availability.AvailableSequence) < sequence)
        {
            if (alerted()) return -2;
            lock (_gate)
            {
                Interlocked.Increment(ref _sleepers);
                try
                {
                    // Re-check under the lock: a signal between the check above and here is not lost.
                    if (availability.AvailableSequence < sequence && !alerted()) Monitor.Wait(_gate, 50);
                }
                finally
                {
                    Interlocked.Decrement(ref _sleepers);
                }
            }
        }
        return available;
    }

    public void SignalAllWhenBlocking()
    {
        if (Volatile.Read(ref _sleepers) == 0) return;
        lock (_gate) Monitor.PulseAll(_gate);
    }
}
