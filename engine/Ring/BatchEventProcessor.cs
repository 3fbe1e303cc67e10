namespace Ledger.Engine.Ring;

/// <summary>
/// Runs one consumer stage on its own thread: waits for available slots (published ones for the first stage,
/// or those the previous stage finished), hands every slot of the drained batch to the handler with an
/// end-of-batch flag, then advances its own <see cref="Sequence"/> so the next stage (or the producers) may go on.
/// </summary>
public sealed class BatchEventProcessor<T, THandler> : IStageProcessor
    where T : struct
    where THandler : struct, IBatchHandler<T>
{
    private readonly RingBuffer<T> _ring;
    private readonly Sequence? _upstream;
    private THandler _handler;
    private readonly long _batchMax;
    private volatile bool _halted;
    private readonly IWaitStrategy _wait;
    private IWakeable? _wakes;

    /// <param name="ring">The ring to consume.</param>
    /// <param name="upstream">The previous stage's sequence, or null for the first stage (it follows the producers).</param>
    /// <param name="handler">The stage's logic.</param>
    /// <param name="batchMax">
    /// Slots handed over per batch at most (the end-of-batch flag comes at least this often, and the next stage may go
    /// on). Unbounded by default: a stage that batches work (group commit) wants all that is there; a stage whose batch
    /// holds the next one up (a prefetch) wants small ones.
    /// </param>
    /// <param name="wait">How this stage waits (its own instance: only its upstream wakes it); default: the ring's, shared with every stage that takes the default.</param>
    public BatchEventProcessor(RingBuffer<T> ring, Sequence? upstream, THandler handler, int batchMax = int.MaxValue, IWaitStrategy? wait = null)
    {
        _wait = wait ?? ring.WaitStrategy;
        _wakes = ring.WaitStrategy;
        if (batchMax < 1) throw new ArgumentOutOfRangeException(nameof(batchMax), "A batch holds at least one slot.");
        _ring = ring;
        _upstream = upstream;
        _handler = handler;
        _batchMax = batchMax;
    }

    public Sequence Sequence { get; } = new();

    public long AvailableSequence => _upstream is null ? HighestPublished() : _upstream.Value;

    /// <summary>
    /// A waiting first stage polls this in a loop: while the next slot is unpublished it reads only that slot's
    /// flag, not the cursor every producer's claim writes, so polling does not steal that line from the producers.
    /// </summary>
    private long HighestPublished()
    {
        long next = Sequence.Value + 1;
        var sequencer = _ring.Sequencer;
        return sequencer.IsPublished(next) ? sequencer.HighestPublished(next, sequencer.Cursor) : next - 1;
    }

    /// <summary>Stops after the slots available now are processed (call once the producers have stopped).</summary>
    public IWaitStrategy WaitStrategy => _wait;

    public void Wakes(IWakeable? downstream) => _wakes = downstream;

    public void Halt()
    {
        _halted = true;
        _wait.SignalAllWhenBlocking();
    }

    /// <summary>The consumer loop; run it on a dedicated thread.</summary>
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
                // Halted: drain what is already available, then stop.
                available = AvailableSequence;
                if (available < next) return;
            }
            if (available - next >= _batchMax) available = next + _batchMax - 1;
            for (long s = next; s <= available; s++)
            {
                _handler.OnEvent(ref _ring[s], s, s == available);
            }
            Sequence.SetValue(available);
            _wakes?.SignalAllWhenBlocking();
            next = available + 1;
        }
    }
}
