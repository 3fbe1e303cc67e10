namespace Ledger.Engine.Ring;

/// <summary>
/// Two consecutive stages as one handler, so they share a thread (where cores are few, a thread hand-off costs more than
/// it buys): the first handler sees every slot of a drained batch, then the second sees the same slots, each with its
/// end-of-batch flag, exactly as if the second ran on its own thread behind the first. A struct over struct handlers,
/// so <see cref="BatchEventProcessor{T,THandler}"/> still calls both directly.
/// Usage: <c>new BatchEventProcessor&lt;Slot, PairedHandler&lt;Slot, Prefetch, Decide&gt;&gt;(ring, null, new(ring, prefetch, decide), batchMax: 32)</c>
/// </summary>
public struct PairedHandler<T, TFirst, TSecond>(RingBuffer<T> ring, TFirst first, TSecond second) : IBatchHandler<T>
    where T : struct
    where TFirst : struct, IBatchHandler<T>
    where TSecond : struct, IBatchHandler<T>
{
    private TFirst _first = first;
    private TSecond _second = second;
    private long _batchStart = -1;

    public void OnEvent(ref T slot, long sequence, bool endOfBatch)
    {
        if (_batchStart < 0) _batchStart = sequence;
        _first.OnEvent(ref slot, sequence, endOfBatch);
        if (!endOfBatch) return;
        for (long s = _batchStart; s <= sequence; s++) _second.OnEvent(ref ring[s], s, s == sequence);
        _batchStart = -1;
    }
}
