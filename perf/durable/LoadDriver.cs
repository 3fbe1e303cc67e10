using System.Diagnostics;
using HdrHistogram;
using Ledger.Engine.Commands;
using Ledger.Engine.Hosting;

namespace Ledger.Perf.Durable;

/// <summary>
/// Producer threads publishing deposits (one command = a batch of <c>batch</c> entries on one random account, each with
/// a fresh correlation id) in windows (submit W, wait for the last, repeat: commands complete in ring order), and a sink
/// on the host's publish thread that records each command's submit-to-durable latency and the longest gap between two
/// consecutive acknowledgements.
/// </summary>
internal sealed class LoadDriver : ICommittedCommandSink
{
    private readonly int _producers;
    private readonly int _window;
    private readonly int _accounts;
    private readonly int _batch;
    private readonly Dictionary<LedgerCommand, (int Producer, int Slot)> _slots = new(ReferenceEqualityComparer.Instance);
    private readonly LedgerCommand[][] _commands;
    private readonly long[][] _started;
    private readonly List<Thread> _threads = [];
    private volatile bool _stop;
    private volatile bool _measuring;
    private long _completed;
    private long _lastAck;
    private long _maxGap;

    public LoadDriver(int producers, int window, int accounts, int batch = 1)
    {
        _producers = producers;
        _window = window;
        _accounts = accounts;
        _batch = batch;
        _commands = new LedgerCommand[producers][];
        _started = new long[producers][];
        for (int p = 0; p < producers; p++)
        {
            _commands[p] = new LedgerCommand[window];
            _started[p] = new long[window];
            for (int i = 0; i < window; i++)
            {
                var c = new LedgerCommand();
                c.EnsureEntryCapacity(batch);
                _commands[p][i] = c;
                _slots[c] = (p, i);
            }
        }
    }

    /// <summary>Submit-to-durable latency in microseconds, recorded while measuring.</summary>
    public LongHistogram Latency { get; } = new(60_000_000, 3);

    public long Completed => Volatile.Read(ref _completed);

    /// <summary>Entries acknowledged (commands × batch).</summary>
    public long EntriesCompleted => Completed * _batch;

    /// <summary>Commands that were not answered Ok (a fast wrong answer is a failure).</summary>
    public long Failed => Volatile.Read(ref _failed);
    private long _failed;

    /// <summary>The longest time between two consecutive acknowledgements while measuring.</summary>
    public TimeSpan MaxGap => TimeSpan.FromTicks(Volatile.Read(ref _maxGap) * TimeSpan.TicksPerSecond / Stopwatch.Frequency);

    public void Measure(bool on)
    {
        if (on)
        {
            Latency.Reset();
            Volatile.Write(ref _maxGap, 0);
            Volatile.Write(ref _lastAck, 0);
        }
        _measuring = on;
    }

    public void Start(EngineHost host)
    {
        for (int p = 0; p < _producers; p++)
        {
            int producer = p;
            var thread = new Thread(() => Produce(host, producer)) { Name = $"producer-{p}", IsBackground = true };
            thread.Start();
            _threads.Add(thread);
        }
    }

    public void Stop()
    {
        _stop = true;
        foreach (var t in _threads) t.Join();
    }

    private void Produce(EngineHost host, int producer)
    {
        var random = new Random(producer);
        var commands = _commands[producer];
        var started = _started[producer];
        long n = 0;
        while (!_stop)
        {
            ValueTask last = default;
            for (int i = 0; i < _window; i++)
            {
                var c = commands[i];
                c.Reset();
                long id = n++;
                if (_batch == 1) Book.Deposit(c, Book.Account(random.Next(_accounts)), string.Create(null, $"p{producer}-{id}"), 1 + random.Next(100));
                else Book.Deposits(c, Book.Account(random.Next(_accounts)), $"p{producer}-{id}-", _batch, 1 + random.Next(100));
                started[i] = Stopwatch.GetTimestamp();
                last = host.SubmitAsync(c);
            }
            last.AsTask().Wait(); // the window's commands complete in ring order: the last one completes last
        }
    }

    public void OnCommitted(LedgerCommand command)
    {
        long now = Stopwatch.GetTimestamp();
        _completed++;
        if (command.Result.Code != ResultCode.Ok) _failed++;
        if (!_measuring) return;
        if (_slots.TryGetValue(command, out var slot))
        {
            long micros = (now - _started[slot.Producer][slot.Slot]) * 1_000_000 / Stopwatch.Frequency;
            Latency.RecordValue(Math.Max(0, micros));
        }
        if (_lastAck != 0 && now - _lastAck > _maxGap) _maxGap = now - _lastAck;
        _lastAck = now;
    }
}

/// <summary>Wraps the journal to time each group commit (journal thread only) and count records per commit.</summary>
internal sealed class TimedJournal(ICommandJournal inner) : ICommandJournal
{
    private int _batch;
    private volatile bool _measuring;

    /// <summary>Group-commit duration in microseconds.</summary>
    public LongHistogram CommitLatency { get; } = new(60_000_000, 3);
    public long Commits { get; private set; }
    public long Records { get; private set; }

    public void Measure(bool on)
    {
        if (on)
        {
            CommitLatency.Reset();
            Commits = 0;
            Records = 0;
        }
        _measuring = on;
    }

    public void Append(LedgerCommand command)
    {
        inner.Append(command);
        _batch++;
    }

    public void Commit()
    {
        long started = Stopwatch.GetTimestamp();
        inner.Commit();
        if (!_measuring)
        {
            _batch = 0;
            return;
        }
        CommitLatency.RecordValue((Stopwatch.GetTimestamp() - started) * 1_000_000 / Stopwatch.Frequency);
        Commits++;
        Records += _batch;
        _batch = 0;
    }
}
