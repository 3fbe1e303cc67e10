namespace Ledger.Engine.Ring;

/// <summary>
/// How a consumer waits for a sequence to become available. Busy-spin is lowest-latency but burns a core
/// (right only with a core per consumer); yielding gives the core away between checks; blocking sleeps on a
/// monitor and is the right default on a small shared machine.
/// </summary>
public interface IWaitStrategy : IWakeable
{
    /// <summary>Waits until <paramref name="availability"/> reports at least <paramref name="sequence"/>, or the barrier is alerted.</summary>
    /// <returns>The highest sequence available (may exceed the one asked for), or -2 when alerted.</returns>
    long WaitFor(long sequence, ISequenceBarrierSource availability, Func<bool> alerted);
}
