using Avro;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using Ledger.Gateway.Hosting;
using Ledger.ReadSide;

namespace Ledger.Gateway.Kafka;

/// <summary>
/// The feed of a statements replica (<c>--Ledger:Role=statements</c>): reads every partition of <c>ledger.events</c>
/// (assigned directly, no group join) and applies the events to this process's read store, a journal record at a time
/// (<see cref="ReadStoreWriter.AddRecord"/>; <see cref="ReadStoreWriter.AddFromPartition"/> for events of older writers).
/// <list type="bullet">
/// <item>A journal record is applied whole: each event says how many its record has over all partitions
/// (<c>recordEvents</c>), the feed holds a record's events until it has them all, and then gives them to the writer as
/// one record (<see cref="ReadStoreWriter.AddRecord"/>), once it is also the oldest record waiting in each of its
/// partitions (an account's events keep their order). Events of records not yet whole are held in memory, at most
/// <see cref="StatementsOptions.PendingEventsMax"/>; past it the feed stops (not ready) and says so. Events without
/// <c>recordEvents</c> (older writers) are applied per partition as before: a record's events of one partition together,
/// when the partition moves to the next record or goes quiet.</item>
/// <item>Its position is the read store's own (each partition's next offset and the last (record, index) applied, in the
/// same atomic write as the rows; the replica's store keeps a write-ahead log), never past an event it holds but has not
/// applied, so a restart resumes exactly there and reads the events of an unfinished record again;
/// Kafka offsets are not committed. An event at or below the partition's last (record, index) is a duplicate of the
/// publisher's and is dropped.</item>
/// <item>Each message is decoded straight from its bytes into the partition's reusable buffer (<see cref="EventAvroReader"/>,
/// bounds-checked, no GenericRecord). One that is not an event the ledger writes, or an offset that jumps (deleted
/// events), stops the feed: not ready, and the readiness body and every read say the partition, the offset and why.</item>
/// <item>Caught up (<see cref="CaughtUp"/>, readiness) once the store holds every partition up to the end offset read
/// when the partitions were assigned at start, but for events that wait for the rest of a record the publisher has not
/// published yet; lag is refreshed at most every 100 ms (<see cref="Progress"/>).</item>
/// </list>
/// </summary>
internal sealed class EventsFeed : IDisposable
{
    private const int CommitRecordsMin = 256;
    private static readonly TimeSpan EndQueryTimeout = TimeSpan.FromSeconds(10);

    private readonly ReadStore _store;
    private readonly ReadStoreWriter _writer;
    private readonly Schema _schema = AvroFraming.Load(EventAvro.SchemaFile);
    private readonly byte[] _header;
    // Events written under the first version of the schema (before feeOf, issue 16), and under version 2 before it had
    // recordEvents (issue 19): the same fields without the last one or two.
    private readonly byte[] _headerV1;
    private readonly byte[] _headerV2Draft;
    private readonly int _pendingEventsMax;
    // Records whose events came with recordEvents and are not applied yet: record → its events so far.
    private readonly Dictionary<long, RecordParts> _incomplete = [];
    private readonly Stack<long> _work = new();
    private long _pendingEvents;
    // The highest record an event without recordEvents opened this run: the rest of such a record (a publisher upgraded
    // after a crash mid-record) is applied the old way too, as the part before was.
    private long _uncountedRecordMax;
    private LedgerEvent _scratch;
    private readonly IConsumer<byte[], byte[]> _consumer;
    private readonly string _topic;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly Dictionary<int, PartitionFeed> _partitions = [];
    private readonly TaskCompletionSource _caughtUp = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<ReadWatermark> _committed;
    private readonly long _started = System.Diagnostics.Stopwatch.GetTimestamp();
    private readonly Dictionary<int, PartitionPosition> _positions;
    private Dictionary<int, long>? _ends;
    private long _progressAt;
    private long _dropped;
    private long _applied;
    private volatile FeedProgress _progress = FeedProgress.Starting;

    /// <param name="committed">Called on the feed's thread after every write of the read store (read-your-writes wakes there).</param>
    /// <param name="pendingEventsMax">Events of records not yet whole the feed may hold (<see cref="StatementsOptions.PendingEventsMax"/>).</param>
    public EventsFeed(KafkaOptions options, int pendingEventsMax, ReadStore store, ILogger logger, Action<ReadWatermark> committed)
    {
        _pendingEventsMax = pendingEventsMax;
        _store = store;
        _writer = store.PartitionedWriter();
        _topic = options.EventsTopic;
        _logger = logger;
        _committed = committed;
        _header = AvroFraming.Header(_schema, options, options.EventsTopic);
        _headerV1 = AvroFraming.Header(AvroFraming.Load(EventAvro.SchemaFileV1), options, options.EventsTopic);
        _headerV2Draft = AvroFraming.Header(EventAvro.V2Draft(), options, options.EventsTopic);
        var positions = store.PartitionOffsets();
        foreach (var (partition, position) in positions) _partitions[partition] = new PartitionFeed(position);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            var watermark = store.Watermark;
            _logger.LogInformation("Statements feed resumes at journal record {Record} (sequence {Sequence}) from the read store's positions: {Positions}.",
                watermark.RecordNumber, watermark.LastSequence, positions.Count == 0 ? "none (a new replica: every partition from its beginning)" : Describe(positions));
        }
        _positions = positions;
        var config = KafkaClients.Consumer(options, options.StatementsGroup);
        // A position the topic no longer holds is an error, never a silent jump to the earliest offset: the events in
        // between would be missing from every statement this replica serves.
        config.AutoOffsetReset = AutoOffsetReset.Error;
        _consumer = new ConsumerBuilder<byte[], byte[]>(config).LogTo(logger).Build();
        _thread = new Thread(Run) { Name = "ledger-statements-feed", IsBackground = true };
    }

    /// <summary>Completes when the read store holds every partition up to its end offset at start.</summary>
    public Task CaughtUp => _caughtUp.Task;

    /// <summary>How far the feed is (any thread; refreshed by the feed at most every 100 ms).</summary>
    public FeedProgress Progress => _progress;

    /// <summary>Why the feed stopped, or null while it runs.</summary>
    public Exception? Fault { get; private set; }

    public void Start() => _thread.Start();

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031:Do not catch general exception types",
        Justification = "The feed thread must not take the process down: it stops (readiness turns false), says why, and resumes from the read store's position at the next start.")]
    private void Run()
    {
        try
        {
            AssignEveryPartition();
            while (!_stop.IsCancellationRequested)
            {
                var message = Consume();
                if (message is null || message.IsPartitionEOF)
                {
                    // Quiet: what is buffered is all there is for now.
                    foreach (var (partition, feed) in _partitions) FlushGroup(partition, feed, quiet: true);
                    Commit();
                    Refresh(force: true);
                    continue;
                }
                Take(message);
                if (_writer.Pending >= CommitRecordsMin) Commit();
                Refresh(force: false);
            }
            foreach (var (partition, feed) in _partitions) FlushGroup(partition, feed, quiet: true);
            Commit();
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

    private ConsumeResult<byte[], byte[]>? Consume()
    {
        try
        {
            return _consumer.Consume(TimeSpan.FromMilliseconds(100));
        }
        catch (ConsumeException ex) when (ex.Error.Code == ErrorCode.Local_AutoOffsetReset)
        {
            throw new InvalidOperationException($"{_topic} no longer holds the offset this replica reads next ({ex.Error.Reason}): the events from there on " +
                $"were deleted (retention or compaction). {KeepEverything}", ex);
        }
    }

    /// <summary>What an operator must do when the topic lost events a replica needs (docs/kafka.md, "Deploying statements replicas").</summary>
    private string KeepEverything =>
        $"A replica would serve statements with entries missing, so it stops instead: keep every event on {_topic} (retention.ms=-1, no compaction; docs/kafka.md, \"Deploying statements replicas\").";

    private void Take(ConsumeResult<byte[], byte[]> message)
    {
        int partition = message.Partition.Value;
        if (!_partitions.TryGetValue(partition, out var feed)) _partitions[partition] = feed = new PartitionFeed(default);
        long offset = message.Offset.Value;
        // The publisher is idempotent, not transactional: a partition's offsets are contiguous, so a jump means deleted events.
        if (offset != feed.LastOffset + 1)
        {
            throw new InvalidOperationException($"{_topic} partition {partition} jumped from offset {feed.LastOffset} to {offset}: " +
                $"{offset - feed.LastOffset - 1} events in between are gone. {KeepEverything}");
        }
        byte[]? value = message.Message.Value;
        var layout = EventLayout.V2;
        int headerLength = _header.Length;
        string? problem = null;
        if (value is not null && !value.AsSpan().StartsWith(_header))
        {
            if (value.AsSpan().StartsWith(_headerV2Draft)) (layout, headerLength) = (EventLayout.V2Draft, _headerV2Draft.Length);
            else if (value.AsSpan().StartsWith(_headerV1)) (layout, headerLength) = (EventLayout.V1, _headerV1.Length);
            else AvroFraming.HasHeader(_schema, _header, value, out problem);
        }
        if (value is null || problem is not null
            || !EventAvroReader.TryRead(value.AsSpan(headerLength), layout, out int recordEvents, out long recordNumber, out int index, out _scratch, out problem))
        {
            throw new InvalidOperationException($"{_topic} partition {partition} offset {offset}: {problem ?? "no value"}. The replica stops here (not ready) and resumes from this offset at its next start.");
        }
        feed.LastOffset = offset;
        feed.LastTimestamp = message.Message.Timestamp.UtcDateTime;
        if (feed.Buffered.Holds(recordNumber, index))
        {
            _dropped++;
            // Nothing to apply; with nothing waiting the position moves on by itself (else the waiting events' application carries it).
            if (feed.Count == 0 && feed.Parts.Count == 0) _writer.Advance(partition, feed.Buffered with { NextOffset = feed.LastOffset + 1 });
            return;
        }
        if (recordEvents == 0 || recordNumber <= _uncountedRecordMax)
        {
            TakeUncounted(partition, feed, recordNumber, index);
            return;
        }
        TakeCounted(partition, feed, recordNumber, index, recordEvents);
    }

    /// <summary>An event of an older writer (no recordEvents): applied with its record's other events of this partition.</summary>
    private void TakeUncounted(int partition, PartitionFeed feed, long recordNumber, int index)
    {
        if (feed.Parts.Count > 0)
        {
            throw new InvalidOperationException($"{_topic} partition {partition} offset {feed.LastOffset}: an event without recordEvents after events with it " +
                "(a publisher of an older build after a newer one). The replica stops here (not ready): publish with the newer build.");
        }
        if (feed.Count > 0 && feed.GroupRecord != recordNumber) FlushGroup(partition, feed, quiet: false, lastOffset: feed.LastOffset - 1);
        feed.NextSlot() = _scratch;
        feed.Count++;
        feed.GroupRecord = recordNumber;
        feed.Buffered = new PartitionPosition(feed.LastOffset + 1, recordNumber, index);
        if (recordNumber > _uncountedRecordMax) _uncountedRecordMax = recordNumber;
    }

    /// <summary>An event that says how many its record has: held until the record is whole, then applied with all of them.</summary>
    private void TakeCounted(int partition, PartitionFeed feed, long recordNumber, int index, int recordEvents)
    {
        long offset = feed.LastOffset;
        if (feed.Count > 0) FlushGroup(partition, feed, quiet: false, lastOffset: offset - 1); // the old writer's last record here
        if (recordNumber == feed.AppliedRecord)
        {
            throw new InvalidOperationException($"{_topic} partition {partition} offset {offset}: event {index} of journal record {recordNumber}, which was whole " +
                "and applied already. The replica stops here (not ready) and resumes from this offset at its next start.");
        }
        if (!_incomplete.TryGetValue(recordNumber, out var parts))
        {
            if (recordEvents > _pendingEventsMax)
            {
                throw new InvalidOperationException($"{_topic} partition {partition} offset {offset}: journal record {recordNumber} has {recordEvents} events, " +
                    $"more than Ledger:Statements:PendingEventsMax ({_pendingEventsMax}) lets this replica hold. {RaiseTheLimit}");
            }
            _incomplete[recordNumber] = parts = new RecordParts(recordEvents);
        }
        if (parts.Events.Length != recordEvents || parts.Held[index])
        {
            throw new InvalidOperationException($"{_topic} partition {partition} offset {offset}: event {index} of journal record {recordNumber} says the record has " +
                $"{recordEvents} events{(parts.Events.Length != recordEvents ? $"; an earlier one said {parts.Events.Length}" : ", and that event came before")}. " +
                "The replica stops here (not ready) and resumes from this offset at its next start.");
        }
        parts.Events[index] = _scratch;
        parts.Held[index] = true;
        parts.Count++;
        _pendingEvents++;
        if (feed.Tail is { } tail && tail.Record == recordNumber)
        {
            tail.LastOffset = offset;
            tail.LastIndex = index;
        }
        else
        {
            feed.Tail = new PendingPart(recordNumber, offset, index);
            feed.Parts.Enqueue(feed.Tail);
            parts.Partitions.Add(partition);
        }
        feed.Buffered = new PartitionPosition(offset + 1, recordNumber, index);
        if (parts.Count == recordEvents) ApplyWhole(recordNumber);
        if (_pendingEvents > _pendingEventsMax)
        {
            var oldest = _incomplete.MinBy(r => r.Key);
            throw new InvalidOperationException($"{_topic}: {_pendingEvents} events of {_incomplete.Count} journal records wait for the rest of their records " +
                $"(the oldest, record {oldest.Key}, has {oldest.Value.Count} of its {oldest.Value.Events.Length}), more than Ledger:Statements:PendingEventsMax " +
                $"({_pendingEventsMax}). {RaiseTheLimit}");
        }
    }

    private const string RaiseTheLimit = "The replica stops here (not ready) rather than hold more in memory: raise the limit (an event held takes about " +
        "200 bytes, up to 700 with a long description; docs/kafka.md, \"Deploying statements replicas\") and restart it; it resumes from the events it had not applied.";

    /// <summary>
    /// Applies whole records, starting with <paramref name="recordNumber"/>: each one once it is the oldest waiting in every
    /// partition it has events in; applying one may make the next one of those partitions applicable.
    /// </summary>
    private void ApplyWhole(long recordNumber)
    {
        _work.Push(recordNumber);
        while (_work.TryPop(out long record))
        {
            if (!_incomplete.TryGetValue(record, out var parts) || parts.Count != parts.Events.Length) continue;
            bool first = true;
            foreach (int p in parts.Partitions) first &= _partitions[p].Parts.Peek().Record == record;
            if (!first) continue; // an older record waits in one of its partitions: this one follows it
            _writer.AddRecord(parts.Events, record);
            _incomplete.Remove(record);
            _pendingEvents -= parts.Events.Length;
            _applied += parts.Events.Length;
            foreach (int p in parts.Partitions)
            {
                var feed = _partitions[p];
                var part = feed.Parts.Dequeue();
                if (ReferenceEquals(feed.Tail, part)) feed.Tail = null;
                feed.AppliedRecord = record;
                // Never past an event not yet applied: up to the next waiting record's first event, else past all read here.
                var position = new PartitionPosition(part.LastOffset + 1, record, part.LastIndex);
                if (feed.Parts.TryPeek(out var next))
                {
                    _writer.Advance(p, position with { NextOffset = next.FirstOffset });
                    _work.Push(next.Record);
                }
                else
                {
                    _writer.Advance(p, position with { NextOffset = feed.LastOffset + 1 });
                }
            }
        }
    }

    /// <summary>Gives a partition's buffered record to the writer, ending at <paramref name="lastOffset"/> (default: the last consumed).</summary>
    private void FlushGroup(int partition, PartitionFeed feed, bool quiet, long lastOffset = -1)
    {
        if (feed.Count == 0) return;
        if (lastOffset < 0) lastOffset = feed.LastOffset;
        bool continues = feed.PartialRecord == feed.GroupRecord;
        _writer.AddFromPartition(feed.Group.AsSpan(0, feed.Count), feed.GroupRecord, partition, lastOffset, feed.Buffered.Index, continues);
        _applied += feed.Count;
        // Flushed because the partition went quiet: the record's other events may still come (the publisher was mid-record).
        feed.PartialRecord = quiet ? feed.GroupRecord : -1;
        feed.Count = 0;
    }

    private void Commit()
    {
        if (!_writer.Commit()) return;
        _committed(_store.Watermark);
    }

    /// <summary>
    /// Assigns every partition of the topic at the read store's positions (no group join: a replica reads them all, keeps
    /// its position in its own store, and a restart after a kill must not wait out the dead member's session), then
    /// reads each one's end offset: what the replica must hold before it is ready.
    /// </summary>
    private void AssignEveryPartition()
    {
        var ends = new Dictionary<int, long>();
        double metadataSeconds;
        using (var admin = new DependentAdminClientBuilder(_consumer.Handle).Build())
        {
            for (bool told = false; ; told = true)
            {
                var topic = admin.GetMetadata(_topic, EndQueryTimeout).Topics.SingleOrDefault(t => t.Topic == _topic);
                if (topic is { Error.IsError: false, Partitions.Count: > 0 })
                {
                    metadataSeconds = System.Diagnostics.Stopwatch.GetElapsedTime(_started).TotalSeconds;
                    // One ListOffsets request for every partition's end (a consumer's per-partition query took ~0.5 s each here).
                    var latest = admin.ListOffsetsAsync(topic.Partitions.Select(p => new TopicPartitionOffsetSpec
                        {
                            TopicPartition = new TopicPartition(_topic, p.PartitionId), OffsetSpec = OffsetSpec.Latest(),
                        }), new ListOffsetsOptions { RequestTimeout = EndQueryTimeout }).GetAwaiter().GetResult();
                    var earliest = admin.ListOffsetsAsync(topic.Partitions.Select(p => new TopicPartitionOffsetSpec
                        {
                            TopicPartition = new TopicPartition(_topic, p.PartitionId), OffsetSpec = OffsetSpec.Earliest(),
                        }), new ListOffsetsOptions { RequestTimeout = EndQueryTimeout }).GetAwaiter().GetResult();
                    foreach (var info in latest.ResultInfos) ends[info.TopicPartitionOffsetError.Partition.Value] = info.TopicPartitionOffsetError.Offset.Value;
                    foreach (var info in earliest.ResultInfos)
                    {
                        int p = info.TopicPartitionOffsetError.Partition.Value;
                        long next = _positions.TryGetValue(p, out var held) ? held.NextOffset : 0;
                        long first = info.TopicPartitionOffsetError.Offset.Value;
                        if (first > next)
                        {
                            throw new InvalidOperationException($"{_topic} partition {p} begins at offset {first}, but this replica needs it from offset {next}: " +
                                $"the {first - next} events before were deleted (retention or compaction). {KeepEverything}");
                        }
                        if (ends.TryGetValue(p, out long end) && next > end)
                        {
                            throw new InvalidOperationException($"{_topic} partition {p} ends at offset {end}, but this replica holds it up to offset {next}: " +
                                "the topic is not the one this read store was fed from (recreated?). Start the replica on an empty data directory.");
                        }
                    }
                    // A fresh partition from offset 0, not 'beginning': with auto.offset.reset=error a topic that lost its start is refused.
                    _consumer.Assign(topic.Partitions.Select(p => new TopicPartitionOffset(_topic, p.PartitionId,
                        new Offset(_positions.TryGetValue(p.PartitionId, out var at) ? at.NextOffset : 0))));
                    break;
                }
                // Not ready until the topic exists (the ledger process creates it when it first publishes, or the operator does).
                if (!told && _logger.IsEnabled(LogLevel.Warning))
                    _logger.LogWarning("Statements feed: topic {Topic} is not there yet ({Reason}); waiting for it.", _topic, topic?.Error.Reason ?? "no metadata");
                _stop.Token.WaitHandle.WaitOne(TimeSpan.FromSeconds(1));
                _stop.Token.ThrowIfCancellationRequested();
            }
        }
        _ends = ends;
        if (_logger.IsEnabled(LogLevel.Information))
            _logger.LogInformation("Statements feed: {Partitions} partitions of {Topic} assigned {Seconds:F3} s after the feed was created (metadata at {Metadata:F3} s); ready once the read store holds up to their end offsets at start ({Ends}).",
                ends.Count, _topic, System.Diagnostics.Stopwatch.GetElapsedTime(_started).TotalSeconds, metadataSeconds, string.Join(", ", ends.OrderBy(e => e.Key).Select(e => $"{e.Key}:{e.Value}")));
    }

    private void Refresh(bool force)
    {
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        if (!force && System.Diagnostics.Stopwatch.GetElapsedTime(_progressAt, now) < TimeSpan.FromMilliseconds(100)) return;
        _progressAt = now;
        var held = _store.PartitionOffsets();
        var partitions = new List<PartitionProgress>();
        long behind = 0;
        long pending = _pendingEvents;
        int incomplete = _incomplete.Count;
        double secondsBehind = 0;
        bool caughtUp = _ends is not null;
        foreach (var tp in _consumer.Assignment)
        {
            int p = tp.Partition.Value;
            long next = held.TryGetValue(p, out var position) ? position.NextOffset : 0;
            long high = _consumer.GetWatermarkOffsets(tp).High.Value;
            long startEnd = _ends is not null && _ends.TryGetValue(p, out long e) ? e : 0;
            if (high < startEnd) high = startEnd; // no fetch answered yet: the end read at start
            long lag = Math.Max(0, high - next);
            behind += lag;
            if (next < startEnd && !OnlyWaiting(p, next, startEnd)) caughtUp = false;
            if (lag > 0)
            {
                // Age of what was applied last on a partition with more to read (since start when nothing was): the
                // data served is at least that old.
                double age = _partitions.TryGetValue(p, out var feed) && feed.LastTimestamp != default
                    ? (DateTime.UtcNow - feed.LastTimestamp).TotalSeconds
                    : System.Diagnostics.Stopwatch.GetElapsedTime(_started).TotalSeconds;
                secondsBehind = Math.Max(secondsBehind, Math.Max(0, age));
            }
            partitions.Add(new PartitionProgress(p, next, high, startEnd));
        }
        partitions.Sort((a, b) => a.Partition.CompareTo(b.Partition));
        var watermark = _store.Watermark;
        _progress = new FeedProgress(_ends is not null, caughtUp || _caughtUp.Task.IsCompleted, watermark.RecordNumber, watermark.LastSequence,
            behind, secondsBehind, _applied, _dropped, pending, incomplete, partitions);
        if (caughtUp && _caughtUp.TrySetResult() && _logger.IsEnabled(LogLevel.Information))
            _logger.LogInformation("Statements feed caught up {Seconds:F3} s after it was created: {Applied} events fed ({Dropped} duplicates dropped), read store at journal record {Record}, partitions {Positions}.",
                System.Diagnostics.Stopwatch.GetElapsedTime(_started).TotalSeconds, _applied, _dropped, watermark.RecordNumber, string.Join(", ", partitions.Select(x => $"{x.Partition}:{x.NextOffset}/{x.EndOffset}")));
    }

    /// <summary>
    /// Partition <paramref name="partition"/> was read up to <paramref name="end"/> and what the store does not hold of it
    /// (from <paramref name="held"/>) all waits for the rest of its records, which the publisher has not published yet (it
    /// stopped mid-record): nothing more of it can be applied now, so it does not keep the replica from being ready.
    /// </summary>
    private bool OnlyWaiting(int partition, long held, long end) =>
        _partitions.TryGetValue(partition, out var feed) && feed.LastOffset + 1 >= end && feed.Parts.TryPeek(out var head) && held >= head.FirstOffset;

    private static string Describe(Dictionary<int, PartitionPosition> positions) =>
        string.Join(", ", positions.OrderBy(p => p.Key).Select(p => $"partition {p.Key} at offset {p.Value.NextOffset} (record {p.Value.Record})"));

    /// <summary>One partition's state on the feed's thread.</summary>
    private sealed class PartitionFeed(PartitionPosition applied)
    {
        /// <summary>The last event taken (applied, or buffered in <see cref="Group"/>): anything at or below it is a duplicate.</summary>
        public PartitionPosition Buffered = applied;
        /// <summary>The open group: a record's events read so far, in <c>Group[..Count]</c> (slots are reused, the array only grows).</summary>
        public LedgerEvent[] Group = new LedgerEvent[64];
        public int Count;
        public long GroupRecord = -1;
        public long PartialRecord = -1;
        /// <summary>Parts of records with recordEvents read here and not applied yet, oldest first; <see cref="Tail"/> is the newest.</summary>
        public readonly Queue<PendingPart> Parts = new();
        public PendingPart? Tail;
        /// <summary>The last record with recordEvents applied with events of this partition (this run).</summary>
        public long AppliedRecord = -1;
        public long LastOffset = applied.NextOffset - 1;
        public DateTime LastTimestamp;

        /// <summary>The slot after the open group, for the next event to be decoded into.</summary>
        public ref LedgerEvent NextSlot()
        {
            if (Count == Group.Length) Array.Resize(ref Group, Group.Length * 2);
            return ref Group[Count];
        }
    }

    /// <summary>A record's events read so far (by index), and the partitions they came from.</summary>
    private sealed class RecordParts(int events)
    {
        public readonly LedgerEvent[] Events = new LedgerEvent[events];
        public readonly bool[] Held = new bool[events];
        public readonly List<int> Partitions = new(1);
        public int Count;
    }

    /// <summary>A record's consecutive events in one partition, waiting: from <see cref="FirstOffset"/> to <see cref="LastOffset"/>.</summary>
    private sealed class PendingPart(long record, long firstOffset, int firstIndex)
    {
        public readonly long Record = record;
        public readonly long FirstOffset = firstOffset;
        public long LastOffset = firstOffset;
        public int LastIndex = firstIndex;
    }

    public void Dispose()
    {
        _caughtUp.TrySetCanceled();
        _stop.Cancel();
        if (_thread.IsAlive) _thread.Join(TimeSpan.FromSeconds(10));
        _consumer.Close();
        _consumer.Dispose();
        _writer.Dispose();
        _stop.Dispose();
    }
}

/// <summary>How far a statements replica's feed is: what /health/ready and /metrics show.</summary>
/// <param name="Assigned">Partitions were assigned and their end offsets read.</param>
/// <param name="CaughtUp">The read store held every partition up to its end offset at start (stays true afterwards).</param>
/// <param name="RecordsBehind">Messages published and not yet held, over all partitions.</param>
/// <param name="SecondsBehind">0 when nothing is behind; else the age of the last message applied on a partition that is behind.</param>
/// <param name="PendingEvents">Events read and held in memory until the rest of their record comes.</param>
/// <param name="IncompleteRecords">Records those events belong to.</param>
internal sealed record FeedProgress(bool Assigned, bool CaughtUp, long Record, long LastSequence, long RecordsBehind, double SecondsBehind,
    long EventsApplied, long DuplicatesDropped, long PendingEvents, int IncompleteRecords, IReadOnlyList<PartitionProgress> Partitions)
{
    public static readonly FeedProgress Starting = new(false, false, 0, 0, 0, 0, 0, 0, 0, 0, []);
}

/// <summary>One partition: the next offset the read store holds, the partition's end as last seen, and its end at start.</summary>
internal readonly record struct PartitionProgress(int Partition, long NextOffset, long EndOffset, long EndAtStart);
