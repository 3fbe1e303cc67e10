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
    private readonly Action<DeliveryReport<byte[], byte[]>> _onDelivery;
    private IProducer<byte[], byte[]> _producer;
    private volatile string? _deliveryError;
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
        _caughtUpTicks = _acknowledged.TimestampTicks != 0 ? _acknowledged.TimestampTicks : DateTime.UtcNow.Ticks;
        _producer = NewProducer();
        _onDelivery = report =>
        {
            if (report.Error.IsError) _deliveryError = report.Error.Reason;
        };
        _thread = new Thread(Run) { Name = "ledger-kafka-publisher", IsBackground = true };
    }

    /// <summary>The last position Kafka acknowledged (and that was saved).</summary>
    public PublishedPosition Acknowledged => _acknowledged;

    /// <summary>
    /// How long the oldest committed record Kafka has not acknowledged can have waited, when the journal has committed
    /// up to <paramref name="committedRecord"/>: the time since the publisher last found the journal's end with all it
    /// had read acknowledged (it looks at least every 100 ms while it has nothing to do, so a record committed after an
    /// idle hour shows its own wait, not the hour); 0 when nothing is behind. At a start with a backlog, since the last
    /// acknowledged record's time.
    /// </summary>
    public double SecondsBehind(long committedRecord) =>
        committedRecord <= _acknowledged.Record ? 0 : Math.Max(0, (DateTime.UtcNow.Ticks - Volatile.Read(ref _caughtUpTicks)) / (double)TimeSpan.TicksPerSecond);

    private long _caughtUpTicks;

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
        var produced = from;
        long pendingEvents = 0;
        var sinceSave = Stopwatch.StartNew();
        var saveEvery = TimeSpan.FromMilliseconds(Math.Max(10, _options.PublisherSaveMilliseconds));
        while (true)
        {
            _stop.Token.ThrowIfCancellationRequested();
            long readAt = DateTime.UtcNow.Ticks; // at End: every record committed before it is read
            switch (cursor.TryRead(record))
            {
                case ReadOutcome.Record:
                {
                    var events = record.EventSpan;
                    for (int i = 0; i < events.Length; i++) Produce(in events[i], record.RecordNumber, i, events.Length);
                    pendingEvents += events.Length;
                    produced = new PublishedPosition(record.RecordNumber, record.NextAddress, cursor.LastSequence, record.TimestampTicks);
                    if (sinceSave.Elapsed >= saveEvery)
                    {
                        Acknowledge(produced, ref pendingEvents);
                        sinceSave.Restart();
                    }
                    break;
                }
                case ReadOutcome.End:
                {
                    if (produced != _acknowledged) Acknowledge(produced, ref pendingEvents);
                    Volatile.Write(ref _caughtUpTicks, readAt); // and acknowledged now
                    if (!WaitForCommits(cursor)) return; // the journal is closing
                    break;
                }
                default:
                    if (_logger.IsEnabled(LogLevel.Error))
                        _logger.LogError("Kafka publisher stopped at damaged journal {Damage}; events after record {Record} are not published.", cursor.Damage, _acknowledged.Record);
                    return;
            }
        }
    }

    /// <summary>
    /// Waits for the journal to commit more, at most 100 ms at a time: a commit that lands between the cursor's last
    /// read and the wait must not leave the publisher asleep until the next one (the tail of a burst would sit
    /// unpublished while the ledger is idle). False when the journal is closing.
    /// </summary>
    private bool WaitForCommits(JournalCursor cursor)
    {
        using var poll = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        poll.CancelAfter(TimeSpan.FromMilliseconds(100));
        try
        {
            return cursor.WaitAsync(poll.Token).AsTask().GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
        {
            return true; // no commit signalled in 100 ms: read again anyway
        }
    }

    private void Produce(in LedgerEvent e, long record, int index, int recordEvents)
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
                _producer.Produce(_options.EventsTopic, message, _onDelivery);
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

    /// <summary>Waits until Kafka acknowledged everything produced, then saves <paramref name="position"/>.</summary>
    private void Acknowledge(PublishedPosition position, ref long pendingEvents)
    {
        while (_producer.Flush(TimeSpan.FromMilliseconds(500)) > 0) _stop.Token.ThrowIfCancellationRequested();
        if (_deliveryError is { } error)
        {
            _deliveryError = null;
            throw new KafkaException(new Error(ErrorCode.Local_Fatal, $"a delivery failed ({error})"));
        }
        Save(position);
        _acknowledged = position;
        Interlocked.Add(ref _published, pendingEvents);
        pendingEvents = 0;
    }

    /// <summary>
    /// Saves the position Kafka acknowledged; when the file cannot be written (ENOSPC, any I/O error) says so — log,
    /// <see cref="PositionFault"/>, <c>/health/ready</c> — and tries again every <c>Ledger:Storage:ProbeEverySeconds</c>
    /// until it can (or the publisher stops: the old position stands and the next start publishes from there again).
    /// Nothing is skipped: the position only ever names events Kafka acknowledged.
    /// </summary>
    private void Save(PublishedPosition position)
    {
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
