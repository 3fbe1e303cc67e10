namespace Ledger.Engine.Ring;

/// <summary>
/// Preallocated slots (a power of two) over a <see cref="MultiProducerSequencer"/>. A producer claims a
/// sequence, writes the slot in place and publishes it; consumers read slots in sequence order.
/// Usage: <c>long s = ring.Next(); ring[s] = value; ring.Publish(s);</c>
/// </summary>
public sealed class RingBuffer<T> where T : struct
{
    private readonly T[] _slots;
    private readonly int _mask;

    public RingBuffer(int size, IWaitStrategy waitStrategy)
    {
        Sequencer = new MultiProducerSequencer(size, waitStrategy);
        WaitStrategy = waitStrategy;
        _slots = new T[size];
        _mask = size - 1;
    }

    public MultiProducerSequencer Sequencer { get; }
    public IWaitStrategy WaitStrategy { get; }
    public int Size => _slots.Length;

    public ref T this[long sequence] => ref _slots[(int)sequence & _mask];

    public long Next() => Sequencer.Next();

    public bool TryNext(out long sequence) => Sequencer.TryNext(out sequence);

    public void Publish(long sequence) => Sequencer.Publish(sequence);
}
