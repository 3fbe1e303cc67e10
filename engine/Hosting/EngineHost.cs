using Ledger.Engine.Commands;
using Ledger.Engine.Ring;

namespace Ledger.Engine.Hosting;

/// <summary>
/// Runs the pipeline: producers publish commands onto the ring; the prefetch thread reads from the entry store what
/// each command names; the engine thread decides them; the journal thread appends and group-commits each drained
/// batch and answers its producers (the journal is the write-ahead log: nothing is acknowledged before it is durable,
/// and nothing more is waited for); behind the answers, the store thread writes what the committed commands changed
/// into the entry store and the publish thread feeds the sinks (read model, metrics), then lets go of the commands and
/// their entries in flight. Reads that must see an acknowledged command wait for the read side to reach
/// <see cref="AcknowledgedRecord"/>.
/// Without an entry store (benchmarks, tests of the ring) the prefetch and store stages are left out and the engine
/// keeps every entry in RAM.
/// Usage: <c>host.Start(); await host.SubmitAsync(command); host.Stop();</c>
/// </summary>
public sealed class EngineHost : IDisposable
{
    private readonly RingBuffer<CommandSlot> _ring;
    // The stages in ring order, each with the name of its thread (two stages may share one: see PipelineLayout).
    private readonly List<(string Thread, IStageProcessor Processor)> _stages = [];
    private readonly IStageProcessor _last;
    private readonly PipelineFault _fault = new();
    private readonly InFlight _inFlight = new();
    private readonly ProducerRoom _room = new();
    private readonly EngineHostSettings _settings;
    private readonly List<Thread> _threads = [];
    private Timer? _ticker;
    private volatile bool _accepting;
    private int _inFlightPublishers;

    /// <param name="engine">The engine (from then on only the engine thread touches it).</param>
    /// <param name="journal">Where decided commands become durable.</param>
    /// <param name="sinks">Fed every acknowledged command in order, behind the answers.</param>
    /// <param name="settings">Ring size, wait strategy, thread layout, tick, bound on entries in flight.</param>
    /// <param name="prefetcher">Reads the entry store for each command; null: no entry store (every entry stays in RAM).</param>
    /// <param name="storeWriter">Writes each committed command's changes to the entry store; required with <paramref name="prefetcher"/>.</param>
    public EngineHost(LedgerEngine engine, ICommandJournal journal, IReadOnlyList<ICommittedCommandSink> sinks, EngineHostSettings? settings = null,
        IEntryPrefetcher? prefetcher = null, IEntryStoreWriter? storeWriter = null)
    {
        if ((prefetcher is null) != (storeWriter is null)) throw new ArgumentException("An entry store needs both its prefetcher and its writer, or neither.");
        _settings = settings ?? new EngineHostSettings();
        _settings.Validate();
        Engine = engine;
        _ring = new RingBuffer<CommandSlot>(_settings.RingSize, _settings.WaitStrategy());
        bool separate = _settings.Layout == PipelineLayout.Separate, compact = _settings.Layout == PipelineLayout.Compact;
        var decide = new EngineStage(engine, _fault);
        var publish = new PublishStageHandler(new PublishStage(sinks.ToArray(), _fault, _inFlight, _settings.PublishBatchMax));

        // Front: prefetch and decide, then the journal, which answers. The first stage waits on the ring's strategy (the
        // producers wake it); every later one on its own (its upstream wakes it). Without an entry store the prefetch step
        // only derives fee ids, on the engine's thread. The front takes small batches (the engine waits for a whole batch's
        // reads), except in the Compact layout, where its batch is also the journal's commit: there it takes all that is
        // there, as the journal on its own thread does (bounded at 32 it made one commit per 32 commands when thousands
        // waited: the durable harness's single entries fell to 74 000 entries/s from 161 600).
        int frontBatchMax = compact ? _ring.Size : _settings.PrefetchBatchMax;
        var read = Batching(new PrefetchStep(prefetcher, engine), frontBatchMax);
        var commit = Batching(new JournalStep(journal, _inFlight), _ring.Size);
        IStageProcessor journalStage;
        if (compact)
        {
            Add("ledger-engine", journalStage = new BatchEventProcessor<CommandSlot,
                PairedHandler<CommandSlot, PairedHandler<CommandSlot, BatchingStage<PrefetchStep>, EngineStage>, BatchingStage<JournalStep>>>(
                _ring, null, new(_ring, new(_ring, read, decide), commit), frontBatchMax));
        }
        else
        {
            IStageProcessor front;
            if (prefetcher is null || !separate) Add("ledger-engine", front = new BatchEventProcessor<CommandSlot, PairedHandler<CommandSlot, BatchingStage<PrefetchStep>, EngineStage>>(_ring, null,
                new(_ring, read, decide), frontBatchMax));
            else
            {
                var reader = new BatchEventProcessor<CommandSlot, BatchingStage<PrefetchStep>>(_ring, null, read, frontBatchMax);
                Add("ledger-prefetch", reader);
                Add("ledger-engine", front = Behind(reader, decide, int.MaxValue));
            }
            // Its own thread: its batch is unbounded (one commit covers all that is there).
            Add("ledger-journal", journalStage = Behind(front, commit, _ring.Size));
        }
        // Behind the answers: the entry store, then the sinks, which let go of the commands.
        if (storeWriter is null) Add("ledger-publish", _last = Behind(journalStage, publish, _settings.PublishBatchMax));
        else if (!separate) Add("ledger-store", _last = Behind(journalStage,
            new PairedHandler<CommandSlot, BatchingStage<StoreStep>, PublishStageHandler>(_ring, Batching(new StoreStep(storeWriter), _settings.StoreBatchMax), publish), _settings.StoreBatchMax));
        else
        {
            var store = Behind(journalStage, Batching(new StoreStep(storeWriter), _settings.StoreBatchMax), _settings.StoreBatchMax);
            Add("ledger-store", store);
            Add("ledger-publish", _last = Behind(store, publish, _settings.PublishBatchMax));
        }
        // Each stage waits on a wait strategy of its own and is woken only by what it waits for: producers wake the first
        // stage (through the ring), each stage the next. One shared strategy would wake every sleeping stage at every
        // publish and every stage's progress, to find most of them still with nothing to do (measured in docs/perf.md).
        for (int i = 0; i + 1 < _stages.Count; i++) _stages[i].Processor.Wakes(_stages[i + 1].Processor.WaitStrategy);
        _last.Wakes(_room); // producers waiting for room (TrySubmitAsync); those of SubmitAsync spin on the gating sequence
        _ring.Sequencer.SetGatingSequences(_last.Sequence);
    }

    private void Add(string thread, IStageProcessor processor) => _stages.Add((thread, processor));

    /// <summary>A batching stage (prefetch, journal, store): one shape for all three (<see cref="BatchingStage{TStep}"/>).</summary>
    private BatchingStage<TStep> Batching<TStep>(TStep step, int batchMax) where TStep : struct, IBatchStep => new(step, _fault, batchMax);

    /// <summary>A stage behind <paramref name="upstream"/>, handed at most <paramref name="batchMax"/> slots at once, waiting on a strategy of its own.</summary>
    private BatchEventProcessor<CommandSlot, THandler> Behind<THandler>(IStageProcessor upstream, THandler handler, int batchMax)
        where THandler : struct, IBatchHandler<CommandSlot> =>
        new(_ring, upstream.Sequence, handler, batchMax, _settings.WaitStrategy());

    /// <summary>The pipeline's threads, in ring order (for diagnostics and tests).</summary>
    public IReadOnlyList<string> ThreadNames => _stages.ConvertAll(s => s.Thread);

    /// <summary>The engine the host drives. Touch its state only from the engine thread or after <see cref="Stop"/>.</summary>
    public LedgerEngine Engine { get; }

    /// <summary>The journal failure that stopped the host, or null.</summary>
    public Exception? Fault => _fault.Value;

    /// <summary>Commands published but not yet released (for metrics).</summary>
    public long RingDepth => _ring.Sequencer.Cursor - _last.Sequence.Value;

    public int RingSize => _ring.Size;

    /// <summary>
    /// The last journal record whose command was acknowledged (its journal commit returned). A read that must see every
    /// answer given before it arrived waits until the read side holds this record (read-your-writes).
    /// </summary>
    public long AcknowledgedRecord => Volatile.Read(ref _inFlight.AcknowledgedRecord);

    /// <summary>Entries published but not yet released (bounded by <see cref="EngineHostSettings.InFlightEntriesMax"/>).</summary>
    public long EntriesInFlight => Volatile.Read(ref _inFlight.Entries);

    /// <summary>Writes that waited for room in <see cref="TrySubmitAsync"/>, and those refused after the wait (for metrics).</summary>
    public long RoomWaits => Volatile.Read(ref _roomWaits);
    public long RoomWaitsRefused => Volatile.Read(ref _roomWaitsRefused);
    private long _roomWaits, _roomWaitsRefused;

    /// <summary>The bound on <see cref="EntriesInFlight"/> (<see cref="EngineHostSettings.InFlightEntriesMax"/>).</summary>
    public int InFlightEntriesMax => _settings.InFlightEntriesMax;

    public void Start()
    {
        foreach (var (name, processor) in _stages) StartThread(name, processor.Run);
        _accepting = true;
        if (_settings.TickInterval > TimeSpan.Zero)
        {
            _ticker = new Timer(_ => PublishTick(), null, _settings.TickInterval, _settings.TickInterval);
        }
    }

    private void StartThread(string name, Action run)
    {
        var thread = new Thread(() => run()) { IsBackground = true };
        if (_settings.NamesThreads) thread.Name = name;
        thread.Start();
        _threads.Add(thread);
    }

    /// <summary>Publishes the command (waiting while the ring is full) and returns when it is durable and decided (the stores follow behind).</summary>
    /// <exception cref="InvalidOperationException">The host is not accepting (stopping, stopped, or failed).</exception>
    public ValueTask SubmitAsync(LedgerCommand command)
    {
        Publish(command);
        return command.WhenDone;
    }

    private void Publish(LedgerCommand command)
    {
        Interlocked.Increment(ref _inFlightPublishers);
        try
        {
            if (!_accepting) throw new InvalidOperationException("The ledger is not accepting commands (stopping or stopped).");
            if (_fault.Value is { } fault) throw new JournalFailedException(fault);
            ReserveEntries(command);
            if (command.TimestampTicks == 0) command.TimestampTicks = _settings.UtcNowTicks();
            command.EnterPipeline();
            long sequence = _ring.Next();
            _ring[sequence].Command = command;
            _ring.Publish(sequence);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlightPublishers);
        }
    }

    /// <summary>Waits until the command's entries fit the bound on entries in flight (back-pressure, like a full ring).</summary>
    private void ReserveEntries(LedgerCommand command)
    {
        long entries = InFlightWeight(command);
        var spin = new SpinWait();
        while (!TryReserveEntries(entries))
        {
            if (_fault.Value is { } fault) throw new JournalFailedException(fault);
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    /// <summary>
    /// What a command counts against <see cref="EngineHostSettings.InFlightEntriesMax"/>: two per requested entry, because
    /// an entry of a code with a <c>fee</c> rule posts a fee entry too (and a reversal reverses both), so the entries a
    /// command makes, and the cache slots they pin until the store has them, stay within the bound whatever the catalog.
    /// Reserved at publish and given back after the last stage with the same count.
    /// </summary>
    internal static long InFlightWeight(LedgerCommand command) => Math.Max(1, 2L * command.EntryCount);

    /// <summary>Takes room for the entries if it is there (a command alone always fits, whatever its size).</summary>
    private bool TryReserveEntries(long entries)
    {
        long after = Interlocked.Add(ref _inFlight.Entries, entries);
        if (after <= _settings.InFlightEntriesMax || after == entries) return true;
        Interlocked.Add(ref _inFlight.Entries, -entries);
        return false;
    }

    /// <summary>Publishes only if the ring has room now; false means back-pressure (answer 503, retry later).</summary>
    public bool TrySubmit(LedgerCommand command, out ValueTask done) => TrySubmit(command, out done, out _);

    /// <summary>
    /// <see cref="TrySubmit(LedgerCommand, out ValueTask)"/> that also says which bound refused, so the edge can name it:
    /// usage <c>if (!host.TrySubmit(command, out var done, out var refused)) answer503(refused);</c>
    /// </summary>
    public bool TrySubmit(LedgerCommand command, out ValueTask done, out SubmitRefusal refused)
    {
        Interlocked.Increment(ref _inFlightPublishers);
        try
        {
            done = default;
            refused = SubmitRefusal.Stopped;
            if (!_accepting || _fault.Value is not null) return false;
            long entries = InFlightWeight(command);
            refused = SubmitRefusal.EntriesInFlight;
            if (!TryReserveEntries(entries)) return false;
            refused = SubmitRefusal.RingFull;
            if (!_ring.TryNext(out long sequence))
            {
                Interlocked.Add(ref _inFlight.Entries, -entries);
                return false;
            }
            refused = SubmitRefusal.None;
            if (command.TimestampTicks == 0) command.TimestampTicks = _settings.UtcNowTicks();
            command.EnterPipeline();
            _ring[sequence].Command = command;
            _ring.Publish(sequence);
            done = command.WhenDone;
            return true;
        }
        finally
        {
            Interlocked.Decrement(ref _inFlightPublishers);
        }
    }

    /// <summary>
    /// <see cref="TrySubmit(LedgerCommand, out ValueTask, out SubmitRefusal)"/> that, when the ring or the bound on entries
    /// in flight is full, waits for room without holding a thread, at most <paramref name="waitMax"/>, then refuses as it
    /// does. Answers go out after the journal commit, so a closed-loop client sends its next command while the stores
    /// still write the last ones: a stage behind the answers that lags for a moment (a checkpoint, a write stall, a thread
    /// the box did not schedule) fills the bound, and the write then waits for it instead of being refused.
    /// Usage: <c>var refused = await host.TrySubmitAsync(command, wait); if (refused == SubmitRefusal.None) await command.WhenDone;</c>
    /// </summary>
    public ValueTask<SubmitRefusal> TrySubmitAsync(LedgerCommand command, TimeSpan waitMax)
    {
        if (TrySubmit(command, out _, out var refused) || !IsRoom(refused) || waitMax <= TimeSpan.Zero) return ValueTask.FromResult(refused);
        return WaitForRoomAsync(command, waitMax);
    }

    private static bool IsRoom(SubmitRefusal refused) => refused is SubmitRefusal.EntriesInFlight or SubmitRefusal.RingFull;

    private async ValueTask<SubmitRefusal> WaitForRoomAsync(LedgerCommand command, TimeSpan waitMax)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        Interlocked.Increment(ref _roomWaits);
        _room.Enter();
        try
        {
            while (true)
            {
                var freed = _room.Freed; // before the try: a release after it completes this one
                if (TrySubmit(command, out _, out var refused) || !IsRoom(refused)) return refused;
                var left = waitMax - System.Diagnostics.Stopwatch.GetElapsedTime(started);
                if (left <= TimeSpan.Zero)
                {
                    Interlocked.Increment(ref _roomWaitsRefused);
                    return refused;
                }
                try
                {
                    await freed.WaitAsync(left).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // tried once more above, then refused
                }
            }
        }
        finally
        {
            _room.Leave();
        }
    }

    private void PublishTick()
    {
        if (!_accepting) return;
        var tick = new LedgerCommand();
        tick.SetTick();
        try
        {
            Publish(tick); // nobody awaits a tick
        }
        catch (InvalidOperationException)
        {
            // stopping
        }
        catch (JournalFailedException)
        {
            // already failed; nothing more to do
        }
    }

    /// <summary>Stops intake, drains the ring (every published command is decided, committed and released), stops the threads.</summary>
    public void Stop()
    {
        if (!_accepting && _threads.Count == 0) return;
        _accepting = false;
        // Publishers increment _inFlightPublishers, then read _accepting; Stop writes _accepting, then reads the count.
        // Without a full fence here the read may pass the write, and a late publisher could slip onto a halted ring.
        Interlocked.MemoryBarrier();
        _ticker?.Dispose();
        var spin = new SpinWait();
        while (Volatile.Read(ref _inFlightPublishers) > 0) spin.SpinOnce();
        while (_last.Sequence.Value < _ring.Sequencer.Cursor) Thread.Sleep(1);
        foreach (var (_, processor) in _stages) processor.Halt();
        foreach (var thread in _threads) thread.Join();
        _threads.Clear();
    }

    public void Dispose() => Stop();
}
