namespace Ledger.Engine.Ring;

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
