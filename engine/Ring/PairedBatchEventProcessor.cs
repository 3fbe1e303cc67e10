namespace Ledger.Engine.Ring;

/// <summary>
/// Two consecutive stages on one thread (where cores are few, a thread hand-off costs more than it buys): waits as
/// <see cref="BatchEventProcessor{T,THandler}"/> does, hands every slot of the drained batch to the first handler, then
/// every slot of the same batch to the second, each with its end-of-batch flag, then advances its one
/// <see cref="Sequence"/>. The second handler sees a slot only after the first has seen the whole batch, exactly as if
/// it ran on its own thread behind the first.
/// Usage: <c>new PairedBatchEventProcessor&lt;Slot, Prefetch, Decide&gt;(ring, null, prefetch, decide, batchMax: 32)</c>
/// </summary>
public sealed class PairedBatchEventProcessor<T, TFirst, TSecond> : IStageProcessor
    where T : struct
    where TFirst : struct, IBatchHandler<T>
    where TSecond : struct, IBatchHandler<T>
{
    private readonly RingBuffer<T> _ring;
    private readonly Sequence? _upstream;
    private TFirst _first;
    private TSecond _second;
    private readonly long _batchMax;
    private volatile bool _halted;
    private readonly IWaitStrategy _wait;
    private IWaitStrategy? _wakes;

    public PairedBatchEventProcessor(RingBuffer<T> ring, Sequence? upstream, TFirst first, TSecond second, int batchMax = int.MaxValue, IWaitStrategy? wait = null)
    {
        _wait = wait ?? ring.WaitStrategy;
        _wakes = ring.WaitStrategy;
        if (batchMax < 1) throw new ArgumentOutOfRangeException(nameof(batchMax), "A batch holds at least one slot.");
        _ring = ring;
        _upstream = upstream;
        _first = first;
        _second = second;
        _batchMax = batchMax;
    }

    public Sequence Sequence { get; } = new();

    public long AvailableSequence
    {
        get
        {
            if (_upstream is not null) return _upstream.Value;
            long next = Sequence.Value + 1;
            var sequencer = _ring.Sequencer;
            return sequencer.IsPublished(next) ? sequencer.HighestPublished(next, sequencer.Cursor) : next - 1;
        }
    }

    public IWaitStrategy WaitStrategy => _wait;

    public void Wakes(IWaitStrategy? downstream) => _wakes = downstream;

    public void Halt()
    {
        _halted = true;
        _wait.SignalAllWhenBlocking();
    }

    public void Run()
    {
        long next = Sequence.Value + 1;
        var wait = _wait;
        Func<bool> alerted = () => _halted;
        while (true)
        {
            long available = wait.WaitFor(next, this, alerted);
            if (available == -2)
            {
                available = AvailableSequence;
                if (available < next) return;
            }
            if (available - next >= _batchMax) available = next + _batchMax - 1;
            for (long s = next; s <= available; s++) _first.OnEvent(ref _ring[s], s, s == available);
            for (long s = next; s <= available; s++) _second.OnEvent(ref _ring[s], s, s == available);
            Sequence.SetValue(available);
            _wakes?.SignalAllWhenBlocking();
            next = available + 1;
        }
    }
}
