namespace Ledger.Engine.Ring;

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
