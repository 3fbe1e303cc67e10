using System.Numerics;

namespace Ledger.Engine.Ring;

/// <summary>
/// Claims slots of a ring for several producer threads (CAS on the cursor) and tracks which claimed slots
/// are published (a round number per slot, so consumers never read a slot still being written).
/// Producers are gated by the slowest consumer: a full ring applies back-pressure.
/// </summary>
public sealed class MultiProducerSequencer
{
    private readonly Sequence _cursor = new();
    private readonly Sequence _gatingCache = new();
    private readonly int[] _published;
    private readonly int _mask;
    private readonly int _shift;
    private readonly IWaitStrategy _waitStrategy;
    private Sequence[] _gating = [];

    public MultiProducerSequencer(int size, IWaitStrategy waitStrategy)
    {
        if (size < 1 || !BitOperations.IsPow2(size)) throw new ArgumentException("Ring size must be a power of two.", nameof(size));
        Size = size;
        _mask = size - 1;
        _shift = BitOperations.Log2((uint)size);
        _published = new int[size];
        Array.Fill(_published, -1);
        _waitStrategy = waitStrategy;
    }

    public int Size { get; }

    /// <summary>The highest claimed sequence (not necessarily published).</summary>
    public long Cursor => _cursor.Value;

    /// <summary>The consumers whose progress frees slots (the last stage of the pipeline).</summary>
    public void SetGatingSequences(params Sequence[] gating) => _gating = gating;

    /// <summary>Claims the next sequence, waiting while the ring is full (back-pressure).</summary>
    public long Next()
    {
        var spin = new SpinWait();
        while (true)
        {
            long current = _cursor.Value;
            long next = current + 1;
            long wrapPoint = next - Size;
            long cachedGate = _gatingCache.Value;
            if (wrapPoint > cachedGate || cachedGate > current)
            {
                long gate = Sequence.Minimum(_gating, current);
                if (wrapPoint > gate)
                {
                    spin.SpinOnce(sleep1Threshold: -1); // ring full: wait for the consumers
                    continue;
                }
                _gatingCache.SetValue(gate);
            }
            else if (_cursor.CompareAndSet(current, next))
            {
                return next;
            }
        }
    }

    /// <summary>Claims the next sequence if the ring has room; never waits.</summary>
    public bool TryNext(out long sequence)
    {
        while (true)
        {
            long current = _cursor.Value;
            long next = current + 1;
            if (next - Size > Sequence.Minimum(_gating, current))
            {
                sequence = -1;
                return false;
            }
            if (_cursor.CompareAndSet(current, next))
            {
                sequence = next;
                return true;
            }
        }
    }

    /// <summary>Marks a claimed sequence as readable and wakes consumers.</summary>
    public void Publish(long sequence)
    {
        Volatile.Write(ref _published[(int)sequence & _mask], (int)(sequence >> _shift));
        _waitStrategy.SignalAllWhenBlocking();
    }

    public bool IsPublished(long sequence) => Volatile.Read(ref _published[(int)sequence & _mask]) == (int)(sequence >> _shift);

    /// <summary>The highest sequence in [lowBound, available] up to which every slot is published.</summary>
    public long HighestPublished(long lowBound, long available)
    {
        for (long s = lowBound; s <= available; s++)
        {
            if (!IsPublished(s)) return s - 1;
        }
        return available;
    }

    /// <summary>Free slots right now (for metrics).</summary>
    public long RemainingCapacity => Size - (_cursor.Value - Sequence.Minimum(_gating, _cursor.Value));
}
