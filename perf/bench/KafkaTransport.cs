using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Confluent.Kafka;

namespace Ledger.Bench;

/// <summary>
/// ledger-bench over Kafka (<c>--kafka host:port</c>): the load goes to the ledger's commands topic as
/// <c>ledger.commands.v1.LedgerCommand</c> POST_BATCH records (gateway/Kafka/Schemas/ledger-command.avsc, Avro
/// single-object encoding, key <c>branch/account</c>) and its answers are read from the results topic
/// (<c>ledger.results.v1.LedgerResult</c>: the command's <c>commandId</c> and the <c>status</c> REST would have answered).
/// A send completes when its result is read, with that status; 0 when the producer could not deliver it or no result came
/// within the timeout (the outcome is unknown: the runner sends it again after the run and idempotency answers).
/// Every send gets its own commandId (<c>{run}-k{n}</c>), so a replay or a re-send never meets an earlier answer.
/// The results consumer is assigned every partition at its end before the first send (no group to join).
/// Usage: <c>using var kafka = new KafkaTransport(options, bodies); int status = await kafka.SendAsync(p);</c>
/// </summary>
public sealed class KafkaTransport : IDisposable
{
    private const int SingleObjectHeaderLength = 10;
    private readonly BenchOptions _options;
    private readonly Bodies _bodies;
    private readonly byte[] _header;
    private readonly byte[] _commandIdPrefix;
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly IConsumer<byte[], byte[]> _consumer;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<int>> _waiting = new();
    private readonly byte[]?[] _keys;
    private readonly Thread _reader;
    private readonly CancellationTokenSource _stop = new();
    private long _sends;
    private long _foreignResults;

    public KafkaTransport(BenchOptions options, Bodies bodies)
    {
        _options = options;
        _bodies = bodies;
        _header = SingleObjectHeader(Path.Combine(AppContext.BaseDirectory, "Schemas", "ledger-command.avsc"));
        _commandIdPrefix = Encoding.ASCII.GetBytes(bodies.Run + "-k");
        _keys = new byte[]?[Math.Min(options.Accounts, 1_000_000)];
        string servers = options.KafkaBootstrapServers ?? throw new ArgumentException("no --kafka bootstrap servers", nameof(options));
        _producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
        {
            BootstrapServers = servers, ClientId = "ledger-bench", LingerMs = 1, Acks = Acks.All, QueueBufferingMaxMessages = 1_000_000,
            MessageTimeoutMs = (int)(options.TimeoutSeconds * 1000),
        }).Build();
        _consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = servers, ClientId = "ledger-bench", GroupId = "ledger-bench-" + bodies.Run, EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Latest, FetchWaitMaxMs = 10, EnablePartitionEof = false,
        }).Build();
        AssignAtEnd(servers, options.KafkaResultsTopic);
        _reader = new Thread(ReadResults) { Name = "ledger-bench-results", IsBackground = true };
        _reader.Start();
    }

    /// <summary>Results read that were not this run's (another run's, or a send already timed out).</summary>
    public long ForeignResults => Interlocked.Read(ref _foreignResults);

    /// <summary>The header of a single-object encoded record of the schema in <paramref name="schemaFile"/>: C3 01, its CRC-64-AVRO fingerprint.</summary>
    public static byte[] SingleObjectHeader(string schemaFile)
    {
        var schema = Avro.Schema.Parse(File.ReadAllText(schemaFile));
        var header = new byte[SingleObjectHeaderLength];
        header[0] = 0xC3;
        header[1] = 0x01;
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(2), Avro.SchemaNormalization.ParsingFingerprint64(schema));
        return header;
    }

    private void AssignAtEnd(string servers, string topic)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = servers }).Build();
        var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(20));
        var partitions = metadata.Topics.SingleOrDefault(t => t.Topic == topic)?.Partitions;
        if (partitions is null || partitions.Count == 0) throw new BenchSetupException($"Kafka at {servers} has no topic {topic}.");
        var at = new List<TopicPartitionOffset>();
        foreach (var p in partitions)
        {
            var tp = new TopicPartition(topic, p.PartitionId);
            var marks = _consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(20));
            at.Add(new TopicPartitionOffset(tp, marks.High));
        }
        _consumer.Assign(at);
    }

    /// <summary>Sends <paramref name="p"/> as a command; the result's status, or 0 when its outcome is unknown.</summary>
    public async Task<int> SendAsync(PlannedRequest p)
    {
        long n = Interlocked.Increment(ref _sends);
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[n] = done;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(256 + p.Entries * 128);
        try
        {
            int length = WriteCommand(p, n, buffer);
            var message = new Message<byte[], byte[]> { Key = KeyOf(p.Account), Value = buffer.AsSpan(0, length).ToArray() };
            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    _producer.Produce(_options.KafkaCommandsTopic, message, report =>
                    {
                        if (report.Error.IsError && _waiting.TryRemove(n, out var failed)) failed.TrySetResult(0);
                    });
                    break;
                }
                catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull && attempt < 1_000)
                {
                    await Task.Delay(1);
                }
            }
        }
        catch (KafkaException)
        {
            _waiting.TryRemove(n, out _);
            return 0;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        try
        {
            return await done.Task.WaitAsync(TimeSpan.FromSeconds(_options.TimeoutSeconds));
        }
        catch (TimeoutException)
        {
            _waiting.TryRemove(n, out _);
            return 0;
        }
    }

    private byte[] KeyOf(int account)
    {
        if (account >= _keys.Length) return Encoding.ASCII.GetBytes($"{_options.Branch}/{_bodies.AccountNumber(account)}");
        return _keys[account] ??= Encoding.ASCII.GetBytes($"{_options.Branch}/{_bodies.AccountNumber(account)}");
    }

    /// <summary>The command as Avro (field order of ledger-command.avsc), after the single-object header.</summary>
    private int WriteCommand(in PlannedRequest p, long send, Span<byte> buffer)
    {
        var w = new AvroWriter(buffer);
        w.Raw(_header);
        // commandId
        Span<byte> digits = stackalloc byte[20];
        var d = new Utf8Writer(digits);
        d.Number(send);
        w.Long(_commandIdPrefix.Length + d.Length);
        w.Raw(_commandIdPrefix);
        w.Raw(digits[..d.Length]);
        w.Int(0); // kind POST_BATCH
        w.Int(1); w.Int(_options.Branch);
        w.Int(1); w.Long(_bodies.AccountNumber(p.Account));
        // entries
        w.Long(p.Entries);
        switch (p.Kind)
        {
            case OpKind.Deposit:
            case OpKind.Debit:
            case OpKind.Hold:
                int code = p.Kind == OpKind.Deposit ? 100 : 998;
                long amount = p.Kind switch { OpKind.Deposit => Bodies.DepositMinor, OpKind.Debit => Bodies.DebitMinor, _ => Bodies.HoldMinor };
                for (int i = 0; i < p.Entries; i++) WriteEntry(ref w, p.Kind == OpKind.Hold ? EntryKindBlocking : EntryKindLedger, p.Seq, i, code, amount, null);
                break;
            case OpKind.Release:
                WriteEntry(ref w, EntryKindUnblocking, p.Seq, 0, null, null, (p.RefSeq, p.RefIndex));
                break;
            case OpKind.Reversal:
                WriteEntry(ref w, EntryKindReversal, p.Seq, 0, null, null, (p.RefSeq, p.RefIndex));
                break;
            default:
                throw new InvalidOperationException($"{p.Kind} is not sent over Kafka by ledger-bench.");
        }
        if (p.Entries > 0) w.Long(0); // end of the entries array
        w.Int(0); // correlationId: null
        w.Int(0); // bundleId: null
        w.Long(0); // legs: empty
        w.Int(0); // currency: null
        w.Int(0); // overdraftLimit: null
        return w.Length;
    }

    private const int EntryKindLedger = 0, EntryKindBlocking = 1, EntryKindUnblocking = 2, EntryKindReversal = 3;

    private void WriteEntry(ref AvroWriter w, int entryKind, long seq, int index, int? code, long? amount, (long Seq, short Index)? reference)
    {
        w.Int(entryKind);
        WriteCorrelationId(ref w, seq, index);
        if (code is { } c) { w.Int(1); w.Int(c); } else w.Int(0);
        if (amount is { } a) { w.Int(1); w.Long(a); w.Int(1); w.Long(3); w.Raw("USD"u8); }
        else { w.Int(0); w.Int(0); }
        w.Int(0); // description
        bool reverses = entryKind == EntryKindReversal;
        if (reverses && reference is { } r1) { w.Int(1); WriteCorrelationId(ref w, r1.Seq, r1.Index); } else w.Int(0);
        if (!reverses && reference is { } r2) { w.Int(1); WriteCorrelationId(ref w, r2.Seq, r2.Index); } else w.Int(0);
        w.Int(0); // removes
        w.Int(0); // expiresAt
    }

    private void WriteCorrelationId(ref AvroWriter w, long seq, int index)
    {
        Span<byte> id = stackalloc byte[128];
        var u = new Utf8Writer(id);
        u.Ascii(_bodies.Run);
        u.Ascii("-");
        u.Fixed(seq, 10);
        u.Ascii("-");
        u.Fixed(index, 3);
        w.Long(u.Length);
        w.Raw(id[..u.Length]);
    }

    private void ReadResults()
    {
        while (!_stop.IsCancellationRequested)
        {
            ConsumeResult<byte[], byte[]>? message;
            try
            {
                message = _consumer.Consume(TimeSpan.FromMilliseconds(100));
            }
            catch (ConsumeException)
            {
                continue;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            if (message?.Message?.Value is not { } value) continue;
            if (TryReadResult(value, _commandIdPrefix, out long send, out int status) && _waiting.TryRemove(send, out var done)) done.TrySetResult(status);
            else Interlocked.Increment(ref _foreignResults);
        }
    }

    /// <summary>
    /// Reads a LedgerResult's first two fields: the commandId (this run's <paramref name="prefix"/> and a send number)
    /// and the status. False for another run's result or one that does not decode.
    /// </summary>
    public static bool TryReadResult(ReadOnlySpan<byte> value, ReadOnlySpan<byte> prefix, out long send, out int status)
    {
        send = 0;
        status = 0;
        int at = value.Length > 0 && value[0] == 0xC3 ? SingleObjectHeaderLength : value.Length > 0 && value[0] == 0 ? 5 : -1;
        if (at < 0 || at > value.Length) return false;
        var r = new AvroReader(value[at..]);
        if (!r.TryLong(out long length) || length < 0 || length > r.Remaining) return false;
        var id = r.Take((int)length);
        if (!r.TryLong(out long s)) return false;
        status = (int)s;
        if (!id.StartsWith(prefix)) return false;
        var digits = id[prefix.Length..];
        if (digits.Length is 0 or > 18) return false;
        foreach (byte b in digits)
        {
            if (b is < (byte)'0' or > (byte)'9') return false;
            send = send * 10 + (b - '0');
        }
        return true;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _reader.Join(TimeSpan.FromSeconds(5));
        _producer.Flush(TimeSpan.FromSeconds(5));
        _producer.Dispose();
        _consumer.Close();
        _consumer.Dispose();
        _stop.Dispose();
    }

    /// <summary>Avro binary: zig-zag varints, raw bytes.</summary>
    private ref struct AvroWriter(Span<byte> buffer)
    {
        private readonly Span<byte> _buffer = buffer;

        public int Length { get; private set; }

        public void Int(int value) => Long(value);

        public void Long(long value)
        {
            ulong n = (ulong)((value << 1) ^ (value >> 63));
            while (n >= 0x80)
            {
                _buffer[Length++] = (byte)(n | 0x80);
                n >>= 7;
            }
            _buffer[Length++] = (byte)n;
        }

        public void Raw(scoped ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(_buffer[Length..]);
            Length += bytes.Length;
        }
    }

    private ref struct AvroReader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _at;

        public int Remaining => _data.Length - _at;

        public bool TryLong(out long value)
        {
            ulong n = 0;
            int shift = 0;
            value = 0;
            while (_at < _data.Length && shift < 64)
            {
                byte b = _data[_at++];
                n |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    value = (long)(n >> 1) ^ -(long)(n & 1);
                    return true;
                }
                shift += 7;
            }
            return false;
        }

        public ReadOnlySpan<byte> Take(int length)
        {
            var span = _data.Slice(_at, length);
            _at += length;
            return span;
        }
    }
}
