using Avro;
using Avro.Generic;
using Confluent.Kafka;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using Ledger.Gateway.Hosting;
using Ledger.ReadSide;

namespace Ledger.Gateway.Kafka;

/// <summary>
/// The feed of a statements replica (<c>--Ledger:Role=statements</c>): consumes <c>ledger.events</c> in its own group
/// and applies each event to this process's read store (<see cref="ReadStoreWriter.AddFromPartition"/>), committing a
/// batch at most every 256 messages or when the topic goes quiet. Its position is the read store's own (each
/// partition's next offset, written in the same atomic write as the rows), so a restart resumes exactly there; Kafka
/// offsets are not committed. Ready once it first reached the end of what was published.
/// </summary>
internal sealed class EventsFeed : IDisposable
{
    private readonly ReadStore _store;
    private readonly ReadStoreWriter _writer;
    private readonly Schema _schema = AvroFraming.Load(EventAvro.SchemaFile);
    private readonly byte[] _header;
    private readonly IConsumer<byte[], byte[]> _consumer;
    private readonly string _topic;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly LedgerEvent[] _one = new LedgerEvent[1];
    private readonly TaskCompletionSource _caughtUp = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public EventsFeed(KafkaOptions options, ReadStore store, ILogger logger)
    {
        _store = store;
        _writer = store.PartitionedWriter();
        _topic = options.EventsTopic;
        _logger = logger;
        _header = AvroFraming.Header(_schema, options, options.EventsTopic);
        var offsets = store.PartitionOffsets();
        _consumer = new ConsumerBuilder<byte[], byte[]>(KafkaClients.Consumer(options, options.StatementsGroup))
        .SetPartitionsAssignedHandler((_, partitions) => partitions.Select(p =>
            new TopicPartitionOffset(p, offsets.TryGetValue(p.Partition.Value, out long next) ? new Offset(next) : Offset.Beginning)))
        .Build();
        _thread = new Thread(Run) { Name = "ledger-statements-feed", IsBackground = true };
    }

    /// <summary>Completes when the feed first found nothing more to read.</summary>
    public Task CaughtUp => _caughtUp.Task;

    /// <summary>Why the feed stopped, or null while it runs.</summary>
    public Exception? Fault { get; private set; }

    public void Start() => _thread.Start();

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031:Do not catch general exception types",
        Justification = "The feed thread must not take the process down: it stops (readiness turns false), says why, and resumes from the read store's position at the next start.")]
    private void Run()
    {
        try
        {
            _consumer.Subscribe(_topic);
            bool assigned = false;
            while (!_stop.IsCancellationRequested)
            {
                var message = _consumer.Consume(TimeSpan.FromMilliseconds(100));
                assigned |= _consumer.Assignment.Count > 0;
                if (message is null || message.IsPartitionEOF)
                {
                    _writer.Commit();
                    if (assigned) _caughtUp.TrySetResult();
                    continue;
                }
                var record = AvroFraming.TryRead(_schema, _header, message.Message.Value, out string? problem)
                    ?? throw new InvalidOperationException($"ledger.events {message.TopicPartitionOffset}: {problem}");
                _one[0] = EventOf(record);
                _writer.AddFromPartition(_one, (long)record["record"], message.Partition.Value, message.Offset.Value);
                if (_writer.Pending >= 256) _writer.Commit();
            }
            _writer.Commit();
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex)
        {
            Fault = ex;
            _caughtUp.TrySetException(ex);
            if (_logger.IsEnabled(LogLevel.Error)) _logger.LogError(ex, "The statements feed stopped: {Reason}.", ex.Message);
        }
    }

    private static LedgerEvent EventOf(GenericRecord r)
    {
        string kind = ((GenericEnum)r["kind"]).Value;
        var e = new LedgerEvent
        {
            Kind = kind switch
            {
                "ACCOUNT_OPENED" => LedgerEventKind.AccountOpened,
                "ENTRY_POSTED" or "ENTRY_PENDING" => LedgerEventKind.EntryApplied,
                _ => LedgerEventKind.EntryStatusChanged,
            },
            Sequence = (long)r["sequence"],
            CausedBySequence = (long)r["causedBySequence"],
            TimestampTicks = (long)r["timestampTicks"],
            Account = new AccountKey((int)r["branch"], (long)r["account"]),
            Currency = CurrencyCode.Parse((string)r["currency"]),
            CorrelationId = r["correlationId"] as string,
            Description = r["description"] as string,
            EntryType = r["entryType"] as int? ?? 0,
            AmountMinor = (long)r["amount"],
            ReferenceSequence = (long)r["reference"],
            ExpiresAtTicks = (long)r["expiresAtTicks"],
            BalancesAfter = new Balances((long)r["available"], (long)r["held"]),
        };
        if (r["entryKind"] is GenericEnum entryKind) e.EntryKind = WireNames.TryParseKind(entryKind.Value, out var k) ? k : 0;
        if (r["status"] is GenericEnum status) e.Status = WireNames.TryParseStatus(status.Value, out var s) ? s : EntryStatus.None;
        return e;
    }

    public void Dispose()
    {
        _stop.Cancel();
        if (_thread.IsAlive) _thread.Join(TimeSpan.FromSeconds(10));
        _consumer.Close();
        _consumer.Dispose();
        _writer.Dispose();
        _stop.Dispose();
    }
}
