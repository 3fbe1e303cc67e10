using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Ledger.Engine.Catalog;
using Ledger.Engine.Events;
using Ledger.Gateway.Hosting;
using Ledger.Journal;

namespace Ledger.Gateway.Kafka.Egress;

/// <summary>
/// The journal is the outbox: this publisher tails the committed journal on a thread of its own and produces every
/// event to <see cref="KafkaOptions.EventsTopic"/> (key <c>branch/account</c>, value <see cref="EventAvro"/>), with the
/// idempotent producer. It saves how far Kafka has acknowledged (<see cref="PublishedPosition"/>) only after a flush
/// returned with nothing outstanding, so after any crash it resumes from there: no gap, duplicates only after a crash,
/// each event carrying its (record, index) position for consumers to drop them. Kafka being down never blocks posting:
/// the publisher waits (librdkafka's queue full) while the ledger goes on, and catches up when Kafka returns.
/// </summary>
internal sealed class EventPublisher : IDisposable
{
    private readonly KafkaOptions _options;
    private readonly LedgerStore _store;
    private readonly string _dataDir;
    private readonly ILogger _logger;
    private readonly EventAvro _avro;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private IProducer<byte[], byte[]> _producer;
    private PublishedPosition _acknowledged;
    private long _published;

    private readonly TimeSpan _retrySaveEvery;
    private volatile WriteFault? _positionFault;

    /// <param name="retrySaveEvery">How often a position that could not be saved (a full disk) is tried again.</param>
    public EventPublisher(KafkaOptions options, LedgerStore store, HistoryCatalog catalog, string dataDir, ILogger logger, TimeSpan retrySaveEvery)
    {
        _retrySaveEvery = retrySaveEvery;
        _options = options;
        _store = store;
        _dataDir = dataDir;
        _logger = logger;
        var schema = EventAvro.LoadSchema();
        _avro = new EventAvro(catalog, AvroFraming.Header(schema, options, options.EventsTopic));
        _acknowledged = PublishedPosition.Load(dataDir);
        _settledRecord = _acknowledged.Record;
        _caughtUpTicks = _acknowledged.TimestampTicks != 0 ? _acknowledged.TimestampTicks : DateTime.UtcNow.Ticks;
        _producer = NewProducer();
        _thread = new Thread(Run) { Name = "ledger-kafka-publisher", IsBackground = true };
    }

    /// <summary>The last position Kafka acknowledged and that was saved.</summary>
    public PublishedPosition Acknowledged => _acknowledged;

    /// <summary>The last journal record whose events, and every earlier record's, Kafka acknowledged (saved or not yet).</summary>
    public long AcknowledgedRecord => Volatile.Read(ref _settledRecord);

    /// <summary>
    /// How long the oldest committed record Kafka has not acknowledged can have waited, when the journal has committed
    /// up to <paramref name="committedRecord"/>; 0 when nothing is behind. An upper bound: the time since the latest of
    /// (a) the oldest record in flight's own timestamp, (b) with none in flight, the last acknowledged record's, and
    /// (c) the last time the publisher found the journal's end with all it had read acknowledged (it looks at least
    /// every 100 ms while it has nothing to do, so a record committed after an idle hour shows its own wait, not the
    /// hour). At a start with a backlog, since the last acknowledged record's time.
    /// </summary>
    public double SecondsBehind(long committedRecord) =>
        committedRecord <= Volatile.Read(ref _settledRecord) ? 0 : Math.Max(0, (DateTime.UtcNow.Ticks - Volatile.Read(ref _caughtUpTicks)) / (double)TimeSpan.TicksPerSecond);

    private long _caughtUpTicks;
    private long _settledRecord; // every event of journal records up to it acknowledged (saved or not yet)

    /// <summary>
    /// Why the position could not be saved (component <see cref="WriteFault.Publisher"/>), while it cannot: the publisher
    /// then waits, retrying the save, and publishes nothing further (so a crash meanwhile re-publishes at most what it
    /// produced since the last save); null when it saves.
    /// </summary>
    public WriteFault? PositionFault => _positionFault;

    /// <summary>Why the publisher stopped, or null while it runs.</summary>
    public Exception? Fault { get; private set; }

    /// <summary>Events handed to Kafka and acknowledged since start.</summary>
    public long Published => Interlocked.Read(ref _published);

    public void Start() => _thread.Start();

    private IProducer<byte[], byte[]> NewProducer() => new ProducerBuilder<byte[], byte[]>(KafkaClients.Producer(_options, linger: TimeSpan.FromMilliseconds(5))).LogTo(_logger).Build();

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031:Do not catch general exception types",
        Justification = "The publisher thread must not take the process down (posting goes on): it stops, says why, and resumes from its saved position at the next start.")]
    private void Run()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                PublishFrom(_acknowledged);
                return;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex) when (ex is not KafkaException)
            {
                Fault = ex;
                if (_logger.IsEnabled(LogLevel.Error)) _logger.LogError(ex, "Kafka publisher stopped: {Reason}. Events after journal record {Record} are published after the next start.", ex.Message, _acknowledged.Record);
                return;
            }
            catch (KafkaException ex)
            {
                // A fatal producer error (idempotence lost): start a new producer from the last acknowledged position.
                if (_logger.IsEnabled(LogLevel.Warning)) _logger.LogWarning(ex, "Kafka publisher: {Reason}; resuming from journal record {Record}.", ex.Message, _acknowledged.Record);
                _producer.Dispose();
                _producer = NewProducer();
                _stop.Token.WaitHandle.WaitOne(TimeSpan.FromSeconds(1));
            }
        }
    }

    private void PublishFrom(PublishedPosition from)
    {
        using var cursor = _store.TailCommittedAfter(from.Record, from.NextAddress, from.LastSequence)
            ?? throw new InvalidOperationException($"The Kafka publisher's position (record {from.Record} at address {from.NextAddress}) is not in this journal: delete '{PublishedPosition.PathIn(_dataDir)}' to publish from the journal's start.");
        var record = new JournalRecord();
        var window = new DeliveryWindow();
        var settled = from;
        var sinceSave = Stopwatch.StartNew();
        var saveEvery = TimeSpan.FromMilliseconds(Math.Max(10, _options.PublisherSaveMilliseconds));
        try
        {
            while (true)
            {
                _stop.Token.ThrowIfCancellationRequested();
                if (window.IsFull)
                {
                    WaitForDeliveries(window, ref settled);
                    continue;
                }
                long readAt = DateTime.UtcNow.Ticks; // at End: every record committed before it is read
                switch (cursor.TryRead(record))
                {
                    case ReadOutcome.Record:
                    {
                        var events = record.EventSpan;
                        var onDelivery = window.Open(new PublishedPosition(record.RecordNumber, record.NextAddress, cursor.LastSequence, record.TimestampTicks), events.Length);
                        for (int i = 0; i < events.Length; i++) Produce(in events[i], record.RecordNumber, i, events.Length, onDelivery);
                        Settle(window, ref settled);
                        if (sinceSave.Elapsed >= saveEvery)
                        {
                            if (settled != _acknowledged) Save(settled);
                            sinceSave.Restart();
                        }
                        break;
                    }
                    case ReadOutcome.End:
                    {
                        Settle(window, ref settled);
                        if (window.IsEmpty)
                        {
                            if (settled != _acknowledged) Save(settled);
                            CaughtUpAt(readAt); // everything committed before readAt is acknowledged
                        }
                        if (!window.IsEmpty)
                        {
                            _stop.Token.WaitHandle.WaitOne(InFlightPoll); // soon again: their acknowledgements move the position
                        }
                        else if (!WaitForCommits(cursor))
                        {
                            SaveWhatWasAcknowledged(window, ref settled); // the journal is closing
                            return;
                        }
                        break;
                    }
                    default:
                        if (_logger.IsEnabled(LogLevel.Error))
                            _logger.LogError("Kafka publisher stopped at damaged journal {Damage}; events after record {Record} are not published.", cursor.Damage, _acknowledged.Record);
                        return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            SaveWhatWasAcknowledged(window, ref settled);
            throw;
        }
    }

    private static readonly TimeSpan InFlightPoll = TimeSpan.FromMilliseconds(2);

    /// <summary>
    /// Moves <paramref name="settled"/> past the records Kafka acknowledged in full, and with it how long the oldest
    /// unacknowledged record can have waited.
    /// </summary>
    private void Settle(DeliveryWindow window, ref PublishedPosition settled)
    {
        if (window.Settle(out var newest, out long events))
        {
            settled = newest;
            Volatile.Write(ref _settledRecord, newest.Record);
            Interlocked.Add(ref _published, events);
        }
        // Records are read in journal order, stamped before their commit: every record committed before the oldest one
        // in flight is acknowledged; with none in flight, every one committed before the last acknowledged one is.
        CaughtUpAt(window.IsEmpty ? settled.TimestampTicks : window.Oldest.TimestampTicks);
    }

    private void CaughtUpAt(long ticks)
    {
        if (ticks > _caughtUpTicks) Volatile.Write(ref _caughtUpTicks, ticks);
    }

    /// <summary>The window is full: waits for Kafka to acknowledge its oldest records.</summary>
    private void WaitForDeliveries(DeliveryWindow window, ref PublishedPosition settled)
    {
        while (window.IsFull)
        {
            _stop.Token.WaitHandle.WaitOne(InFlightPoll);
            _stop.Token.ThrowIfCancellationRequested();
            Settle(window, ref settled);
        }
    }

    /// <summary>At a stop: gives what is in flight a moment to be acknowledged and saves the position it reaches.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031:Do not catch general exception types",
        Justification = "Best effort at a stop: what is not saved is published again after the next start.")]
    private void SaveWhatWasAcknowledged(DeliveryWindow window, ref PublishedPosition settled)
    {
        try
        {
            _producer.Flush(TimeSpan.FromSeconds(2));
            Settle(window, ref settled);
            if (settled != _acknowledged) Save(settled); // at a stop it tries once: a failed write ends in OperationCanceledException
        }
        catch (Exception ex) when (ex is KafkaException or OperationCanceledException)
        {
            if (_logger.IsEnabled(LogLevel.Warning)) _logger.LogWarning(ex, "Kafka publisher: the position at the stop was not saved ({Reason}); events after journal record {Record} are published again after the next start.", ex.Message, _acknowledged.Record);
        }
    }

    /// <summary>
    /// Waits for the journal to commit more, at most 100 ms at a time: a commit that lands between the cursor's last
    /// read and the wait must not leave the publisher asleep until the next one (the tail of a burst would sit
    /// unpublished while the ledger is idle). False when the journal is closing.
    /// </summary>
    private bool WaitForCommits(JournalCursor cursor)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(TimeSpan.FromMilliseconds(100));
        try
        {
            return cursor.WaitAsync(timeout.Token).AsTask().GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
        {
            return true; // no commit signalled in time: read again anyway
        }
    }

    private void Produce(in LedgerEvent e, long record, int index, int recordEvents, Action<DeliveryReport<byte[], byte[]>> onDelivery)
    {
        var message = new Message<byte[], byte[]>
        {
            Key = EventAvro.KeyOf(e.Account),
            Value = _avro.Encode(in e, record, index, recordEvents),
        };
        while (true)
        {
            try
            {
                _producer.Produce(_options.EventsTopic, message, onDelivery);
                return;
            }
            catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
            {
                // Kafka is slow or down: wait here (the ledger does not), serving delivery reports meanwhile.
                _producer.Poll(TimeSpan.FromMilliseconds(100));
                _stop.Token.ThrowIfCancellationRequested();
            }
        }
    }

    /// <summary>
    /// Saves the position Kafka acknowledged; when the file cannot be written (ENOSPC, any I/O error) says so — log,
    /// <see cref="PositionFault"/>, <c>/health/ready</c> — and tries again every <c>Ledger:Storage:ProbeEverySeconds</c>
    /// until it can (or the publisher stops: the old position stands and the next start publishes from there again).
    /// Nothing is skipped: the position only ever names events Kafka acknowledged.
    /// </summary>
    private void Save(PublishedPosition position)
    {
        Debug.Assert(position.Record <= Volatile.Read(ref _settledRecord), "only what Kafka acknowledged is saved");
        while (true)
        {
            try
            {
                position.Save(_dataDir);
                break;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                if (_positionFault is null)
                {
                    _positionFault = WriteFault.Of(WriteFault.Publisher, ex, _dataDir);
                    if (_logger.IsEnabled(LogLevel.Error))
                        _logger.LogError(ex, "The {Component} could not save its position ({Reason}); it publishes nothing after journal record {Record} until it can, trying again every {Seconds} s. Posting goes on.",
                            WriteFault.Publisher, _positionFault.Reason, position.Record, _retrySaveEvery.TotalSeconds);
                }
                if (_stop.Token.WaitHandle.WaitOne(_retrySaveEvery)) _stop.Token.ThrowIfCancellationRequested();
            }
        }
        _acknowledged = position;
        if (_positionFault is { } fault)
        {
            _positionFault = null;
            if (_logger.IsEnabled(LogLevel.Warning))
                _logger.LogWarning("The {Component} saves its position again (it could not since {At:O}); publishing goes on from journal record {Record}.", WriteFault.Publisher, fault.AtUtc, position.Record);
        }
    }

    /// <summary>Stops publishing (what was acknowledged is saved; the rest is published again after the next start).</summary>
    public void Dispose()
    {
        _stop.Cancel();
        if (_thread.IsAlive) _thread.Join(TimeSpan.FromSeconds(10));
        _producer.Flush(TimeSpan.FromSeconds(2));
        _producer.Dispose();
        _stop.Dispose();
    }
}
