using System.Diagnostics;
using System.Security.Claims;
using Avro;
using Confluent.Kafka;
using Ledger.Engine;
using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Engine.Hosting;
using Ledger.Gateway.Edge;
using Ledger.Gateway.Hosting;
using Ledger.Gateway.Problems;
using Ledger.Gateway.Security;

namespace Ledger.Gateway.Kafka.Ingress;

/// <summary>
/// Kafka ingress: a consumer in group <see cref="KafkaOptions.ConsumerGroup"/> on <see cref="KafkaOptions.CommandsTopic"/>
/// turns each Avro command (ledger-command.avsc) into the same ledger command REST builds, with the same edge checks
/// (<see cref="EntryMapper"/>, <see cref="BundleCheck"/>, <see cref="AccountChecks"/>), publishes it on the same ring,
/// and answers on <see cref="KafkaOptions.ResultsTopic"/> (ledger-result.avsc, the command's key and headers; a refusal
/// or decline as the record's problem, through <see cref="CommandResultWriter"/>). Up to <see cref="KafkaOptions.IngressInFlightMax"/> commands are in flight, answered in order; a full ring
/// or window makes it wait for the oldest instead of buffering more (back-pressure). Offsets are committed only after
/// the results of everything before them were acknowledged by Kafka, and results are produced only once a command is
/// durable, so a redelivered command is answered again from idempotency: the same result, nothing applied twice. A
/// message that does not decode or is invalid gets a result with its Problem and is never retried.
/// The partner is the one the deployment names (<see cref="KafkaOptions.CommandsPartner"/>): Kafka's ACLs decide who may
/// write the topic, so no header is trusted to name a partner (docs/kafka.md).
/// </summary>
internal sealed class CommandConsumer : IDisposable
{
    private readonly KafkaOptions _options;
    private readonly LedgerRuntime _runtime;
    private readonly ILogger _logger;
    private readonly PartnerIdentity _partner;
    private readonly Schema _commandSchema = AvroFraming.Load("ledger-command.avsc");
    /// <summary>The results' schema this build writes: version 2 adds an entry's <c>feeOf</c> (issue 16); <c>ledger-result.avsc</c> stays as released.</summary>
    public const string ResultSchemaFile = "ledger-result.v2.avsc";
    private readonly Schema _resultSchema = AvroFraming.Load(ResultSchemaFile);
    private readonly byte[] _commandHeader;
    private readonly byte[] _resultHeader;
    private readonly CommandAvro _decoded = new(); // this thread's: refilled per message
    private readonly CommandResultWriter _writer = new(); // this thread's: one result at a time
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly IConsumer<byte[], byte[]> _consumer;
    private readonly IProducer<byte[], byte[]> _results;
    private readonly Queue<Pending> _window = new();
    private readonly Dictionary<TopicPartition, TopicPartitionOffset> _toCommit = [];
    private volatile string? _resultError;

    private sealed class Pending
    {
        public required ConsumeResult<byte[], byte[]> Message;
        public string CommandId = "";
        public LedgerCommand? Command;
        public ValueTask Done;
        public CommandAvro.Symbol Kind;
        public BundlePlan Bundle;
        public Refusal? Refusal;
    }

    public CommandConsumer(KafkaOptions options, LedgerRuntime runtime, AuthOptions auth, ILogger logger)
    {
        _options = options;
        _runtime = runtime;
        _logger = logger;
        _partner = PartnerOf(options.CommandsPartner!, auth, runtime.Catalog);
        _commandHeader = AvroFraming.Header(_commandSchema, options, options.CommandsTopic);
        _resultHeader = AvroFraming.Header(_resultSchema, options, options.ResultsTopic);
        _consumer = new ConsumerBuilder<byte[], byte[]>(KafkaClients.Consumer(options, options.ConsumerGroup)).LogTo(logger).Build();
        _results = new ProducerBuilder<byte[], byte[]>(KafkaClients.Producer(options, linger: TimeSpan.FromMilliseconds(2))).LogTo(logger).Build();
        _thread = new Thread(Run) { Name = "ledger-kafka-ingress", IsBackground = true };
    }

    public void Start() => _thread.Start();

    private static PartnerIdentity PartnerOf(string clientId, AuthOptions auth, HistoryCatalog catalog)
    {
        var client = TokenServer.Clients(auth).FirstOrDefault(c => c.ClientId == clientId)
            ?? throw new InvariantViolationException($"Invariant: Ledger:Kafka:CommandsPartner '{clientId}' is not a client (ConfigurationCheck runs at start-up).");
        var identity = new ClaimsIdentity([new Claim("client_id", clientId), new Claim("scope", string.Join(' ', client.Scopes))], "kafka");
        return new PartnerIdentity(identity, catalog);
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031:Do not catch general exception types",
        Justification = "The ingress thread must not take the process down: it stops, says why, and what it did not commit is redelivered after a restart.")]
    private void Run()
    {
        try
        {
            _consumer.Subscribe(_options.CommandsTopic);
            var sinceCommit = Stopwatch.StartNew();
            while (!_stop.IsCancellationRequested)
            {
                bool full = _window.Count >= Math.Max(1, _options.IngressInFlightMax);
                var message = full ? null : _consumer.Consume(_window.Count == 0 ? TimeSpan.FromMilliseconds(100) : TimeSpan.Zero);
                if (message is not null && !message.IsPartitionEOF)
                {
                    var pending = Prepare(message);
                    while (pending.Command is not null && !Submit(pending))
                    {
                        if (_window.Count == 0) _stop.Token.WaitHandle.WaitOne(5); // the ring is full with REST's commands
                        else Answer(_window.Dequeue());
                    }
                    _window.Enqueue(pending);
                    continue;
                }
                while (_window.Count > 0 && (full || message is null)) Answer(_window.Dequeue());
                if (sinceCommit.ElapsedMilliseconds >= 100 && _toCommit.Count > 0)
                {
                    Commit();
                    sinceCommit.Restart();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (JournalFailedException ex)
        {
            // Fail-stop: what was not answered is redelivered after the restart; nothing more is committed.
            if (_logger.IsEnabled(LogLevel.Error)) _logger.LogError(ex, "Kafka ingress stopped: the journal failed.");
        }
        catch (Exception ex)
        {
            Fault = ex;
            if (_logger.IsEnabled(LogLevel.Error)) _logger.LogError(ex, "Kafka ingress stopped: {Reason}. Uncommitted commands are redelivered after a restart.", ex.Message);
        }
    }

    /// <summary>Why the ingress stopped, or null while it runs.</summary>
    public Exception? Fault { get; private set; }

    private bool Submit(Pending pending)
    {
        var host = _runtime.Host;
        if (host is null || !_runtime.IsReady) throw new OperationCanceledException("the ledger is stopping");
        if (!host.TrySubmit(pending.Command!, out var done)) return false;
        pending.Done = done;
        return true;
    }

    /// <summary>Waits for the oldest command, produces its result, and marks its offset for the next commit.</summary>
    private void Answer(Pending p)
    {
        byte[] value;
        try
        {
            if (p.Command is not null) p.Done.AsTask().GetAwaiter().GetResult();
            _writer.Begin(_resultHeader);
            if (p.Command is null) _writer.Refused(p.CommandId, p.Refusal!.Value);
            else Decided(p);
            value = _writer.ToArray();
        }
        finally
        {
            if (p.Command is not null) _runtime.Pool.Return(p.Command);
        }
        var message = new Message<byte[], byte[]> { Key = p.Message.Message.Key, Value = value, Headers = p.Message.Message.Headers };
        _results.Produce(_options.ResultsTopic, message, report =>
        {
            if (report.Error.IsError) _resultError = report.Error.Reason;
        });
        _toCommit[p.Message.TopicPartition] = new TopicPartitionOffset(p.Message.TopicPartition, p.Message.Offset + 1);
    }

    private void Commit()
    {
        while (_results.Flush(TimeSpan.FromMilliseconds(500)) > 0) _stop.Token.ThrowIfCancellationRequested();
        if (_resultError is { } error) throw new KafkaException(new Error(ErrorCode.Local_Fatal, $"a result was not delivered ({error})"));
        _consumer.Commit(_toCommit.Values);
        _toCommit.Clear();
    }

    private Pending Prepare(ConsumeResult<byte[], byte[]> message)
    {
        var pending = new Pending { Message = message };
        byte[]? value = message.Message.Value;
        if (!AvroFraming.HasHeader(_commandSchema, _commandHeader, value, out string? undecodable) ||
            !_decoded.TryRead(value.AsSpan(_commandHeader.Length), out undecodable))
        {
            pending.Refusal = new Refusal(ProblemTypes.MalformedJson, $"Undecodable command at {message.TopicPartitionOffset}: {undecodable}.");
            return pending;
        }
        pending.CommandId = _decoded.CommandId;
        pending.Kind = _decoded.Kind;
        if (pending.CommandId.Length is 0 or > 128 || pending.CommandId.Any(c => c is < '!' or > '~'))
        {
            pending.Refusal = Refusal.Invalid("commandId must be 1..128 visible ASCII characters.");
            return pending;
        }
        var command = _runtime.Pool.Rent();
        if (Fill(_decoded, pending, command) is { } refusal)
        {
            _runtime.Pool.Return(command);
            pending.Refusal = refusal;
            return pending;
        }
        command.PermittedDomains = _partner.DomainMaskIn(_runtime.Catalog); // the catalog in force: a promotion may add domains
        pending.Command = command;
        return pending;
    }

    private Refusal? Fill(CommandAvro d, Pending pending, LedgerCommand command)
    {
        bool admin = (_partner.Scopes & LedgerScopes.Admin) != 0, write = (_partner.Scopes & LedgerScopes.Write) != 0;
        switch (pending.Kind)
        {
            case CommandAvro.Symbol.PostBatch:
            {
                if (!write) return Forbidden("ledger:write");
                if (AccountChecks.Account(d.Branch, d.Account, out var key) is { } accountError) return Refusal.Invalid(accountError);
                if (d.EntryCount is 0 or > Limits.EntriesPerBatchMax) return Refusal.Invalid($"entries is required: 1 to {Limits.EntriesPerBatchMax} entries.");
                command.EnsureEntryCapacity(d.EntryCount);
                for (int i = 0; i < d.EntryCount; i++)
                {
                    if (EntryMapper.TryMap(in d.Entries[i], key, -1, i, ref command.Entries[i]) is { } error) return Refusal.Invalid(error, i);
                }
                command.SetPost(d.EntryCount);
                return null;
            }
            case CommandAvro.Symbol.RemoveEntry:
            {
                if (!write) return Forbidden("ledger:write");
                if (AccountChecks.Account(d.Branch, d.Account, out var key) is { } accountError) return Refusal.Invalid(accountError);
                if (d.CorrelationId is not { } id || !LedgerEngine.IsValidKey(id))
                {
                    return Refusal.Invalid($"correlationId must be 1..{Limits.CorrelationIdLengthMax} characters of [A-Za-z0-9._:-]: the hold to remove.");
                }
                command.SetRemove(key, id);
                return null;
            }
            case CommandAvro.Symbol.PostBundle:
            {
                if (!write) return Forbidden("ledger:write");
                if (d.LegCount > Limits.LegsPerBundleMax) return BundleCheck.TooManyLegs(d.LegCount); // the decoder kept only the first legs
                if (d.LegEntryCount > Limits.EntriesPerBundleMax) return BundleCheck.TooManyEntries(d.LegEntryCount); // and the first entries
                var body = new BundleBody { BundleId = d.BundleId, Legs = [.. d.Legs] };
                return BundleCheck.Prepare(body, command, out pending.Bundle);
            }
            default:
            {
                if (!admin) return Forbidden("ledger:admin");
                if (AccountChecks.Opening(d.Branch, d.Account, d.Currency, d.OverdraftLimit, out var opening) is { } error) return Refusal.Invalid(error);
                command.SetOpenAccounts(1);
                command.Openings[0] = opening;
                return null;
            }
        }
    }

    private static Refusal Forbidden(string scope) =>
        new(ProblemTypes.InsufficientScope, $"The commands topic's partner lacks {scope} (Ledger:Auth:Clients).");

    /// <summary>The result of a command the ledger decided: its entries, or its decline.</summary>
    private void Decided(Pending p)
    {
        var command = p.Command!;
        bool ok = command.Result.IsOk;
        switch (p.Kind)
        {
            case CommandAvro.Symbol.PostBatch or CommandAvro.Symbol.PostBundle:
                if (ok) _writer.Entries(p.CommandId, command);
                else _writer.Refused(p.CommandId, Declines.Of(command, _runtime.Catalog, p.Kind == CommandAvro.Symbol.PostBundle ? p.Bundle.LegStarts : null));
                break;
            case CommandAvro.Symbol.RemoveEntry:
                if (ok) _writer.Empty(p.CommandId, 204);
                else _writer.Refused(p.CommandId, Declines.Removal(command));
                break;
            default:
                if (ok) _writer.Empty(p.CommandId, 201);
                else _writer.Refused(p.CommandId, Declines.Opening(command));
                break;
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        if (_thread.IsAlive) _thread.Join(TimeSpan.FromSeconds(10));
        // What was answered but not committed is redelivered and answered again from idempotency.
        _results.Flush(TimeSpan.FromSeconds(2));
        _consumer.Close();
        _consumer.Dispose();
        _results.Dispose();
        _stop.Dispose();
    }
}
