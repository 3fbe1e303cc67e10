using System.Diagnostics;
using System.Security.Claims;
using Avro;
using Avro.Generic;
using Confluent.Kafka;
using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Hosting;
using Ledger.Gateway.Api;
using Ledger.Gateway.Hosting;
using Ledger.Gateway.Problems;
using Ledger.Gateway.Security;

namespace Ledger.Gateway.Kafka;

/// <summary>
/// Kafka ingress: a consumer in group <see cref="KafkaOptions.ConsumerGroup"/> on <see cref="KafkaOptions.CommandsTopic"/>
/// turns each Avro command (ledger-command.avsc) into the same ledger command REST builds, with the same edge checks
/// (<see cref="EntryMapper"/>, <see cref="BundlesApi.Prepare"/>, <see cref="AccountsApi.CheckOpening"/>), publishes it on
/// the same ring, and answers on <see cref="KafkaOptions.ResultsTopic"/> (ledger-result.avsc, the command's key and
/// headers). Up to <see cref="KafkaOptions.IngressInFlightMax"/> commands are in flight, answered in order; a full ring
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
    private readonly Schema _resultSchema = AvroFraming.Load("ledger-result.avsc");
    private readonly byte[] _commandHeader;
    private readonly byte[] _resultHeader;
    private readonly RecordSchema _entryResultSchema;
    private readonly EnumSchema _entryStatusSchema;
    private readonly RecordSchema _problemSchema;
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
        public CommandKind Kind;
        public BundlesApi.BundlePlan Bundle;
        public ProblemResponse? Refusal;
    }

    public CommandConsumer(KafkaOptions options, LedgerRuntime runtime, AuthOptions auth, ILogger logger)
    {
        _options = options;
        _runtime = runtime;
        _logger = logger;
        _partner = PartnerOf(options.CommandsPartner!, auth, runtime.Catalog);
        _commandHeader = AvroFraming.Header(_commandSchema, options, options.CommandsTopic);
        _resultHeader = AvroFraming.Header(_resultSchema, options, options.ResultsTopic);
        var entries = (ArraySchema)((RecordSchema)_resultSchema).Fields.Single(f => f.Name == "entries").Schema;
        _entryResultSchema = (RecordSchema)entries.ItemSchema;
        _entryStatusSchema = (EnumSchema)_entryResultSchema["status"].Schema;
        _problemSchema = (RecordSchema)((UnionSchema)((RecordSchema)_resultSchema).Fields.Single(f => f.Name == "problem").Schema).Schemas[1];
        _consumer = new ConsumerBuilder<byte[], byte[]>(KafkaClients.Consumer(options, options.ConsumerGroup)).Build();
        _results = new ProducerBuilder<byte[], byte[]>(KafkaClients.Producer(options, lingerMs: 2)).Build();
        _thread = new Thread(Run) { Name = "ledger-kafka-ingress", IsBackground = true };
    }

    public void Start() => _thread.Start();

    private static PartnerIdentity PartnerOf(string clientId, AuthOptions auth, HistoryCatalog catalog)
    {
        var client = TokenServer.Clients(auth).FirstOrDefault(c => c.ClientId == clientId)
            ?? throw new InvalidOperationException($"Ledger:Kafka:CommandsPartner is '{clientId}', which is not a client in Ledger:Auth:Clients: name the partner whose scopes the commands topic carries.");
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
        GenericRecord result;
        try
        {
            if (p.Command is not null) p.Done.AsTask().GetAwaiter().GetResult();
            result = p.Command is null ? Refused(p.CommandId, p.Refusal!) : Decided(p);
        }
        finally
        {
            if (p.Command is not null) _runtime.Pool.Return(p.Command);
        }
        var message = new Message<byte[], byte[]> { Key = p.Message.Message.Key, Value = AvroFraming.Write(_resultSchema, _resultHeader, result), Headers = p.Message.Message.Headers };
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
        var record = AvroFraming.TryRead(_commandSchema, _commandHeader, message.Message.Value, out string? undecodable);
        if (record is null)
        {
            pending.Refusal = Problem.Of(ProblemTypes.MalformedJson, $"Undecodable command at {message.TopicPartitionOffset}: {undecodable}.").Value;
            return pending;
        }
        pending.CommandId = record["commandId"] as string ?? "";
        pending.Kind = Enum.Parse<CommandKind>(((GenericEnum)record["kind"]).Value.Replace("_", "", StringComparison.Ordinal), ignoreCase: true);
        if (pending.CommandId.Length is 0 or > 128 || pending.CommandId.Any(c => c is < '!' or > '~'))
        {
            pending.Refusal = Problem.Validation("commandId must be 1..128 visible ASCII characters.").Value;
            return pending;
        }
        var command = _runtime.Pool.Rent();
        var problem = Fill(record, pending, command);
        if (problem is not null)
        {
            _runtime.Pool.Return(command);
            pending.Refusal = problem.Value;
            return pending;
        }
        command.PermittedDomains = _partner.DomainMask;
        pending.Command = command;
        return pending;
    }

    private ProblemResult? Fill(GenericRecord record, Pending pending, LedgerCommand command)
    {
        bool admin = (_partner.Scopes & LedgerScopes.Admin) != 0, write = (_partner.Scopes & LedgerScopes.Write) != 0;
        switch (pending.Kind)
        {
            case CommandKind.PostBatch:
            {
                if (!write) return Forbidden("ledger:write");
                if (!Account(record, out var key, out var accountProblem)) return accountProblem;
                var entries = (object[])record["entries"];
                if (entries.Length is 0 or > Engine.Limits.EntriesPerBatchMax) return Problem.Validation($"entries is required: 1 to {Engine.Limits.EntriesPerBatchMax} entries.");
                command.EnsureEntryCapacity(entries.Length);
                for (int i = 0; i < entries.Length; i++)
                {
                    var fields = FieldsOf((GenericRecord)entries[i]);
                    if (EntryMapper.TryMap(in fields, key, -1, i, ref command.Entries[i]) is { } error) return Problem.Validation(error, i);
                }
                command.SetPost(entries.Length);
                return null;
            }
            case CommandKind.RemoveEntry:
            {
                if (!write) return Forbidden("ledger:write");
                if (!Account(record, out var key, out var accountProblem)) return accountProblem;
                if (record["correlationId"] is not string id || !Engine.LedgerEngine.IsValidKey(id))
                {
                    return Problem.Validation($"correlationId must be 1..{Engine.Limits.CorrelationIdLengthMax} characters of [A-Za-z0-9._:-]: the hold to remove.");
                }
                command.SetRemove(key, id);
                return null;
            }
            case CommandKind.PostBundle:
            {
                if (!write) return Forbidden("ledger:write");
                var body = new BundleBody { BundleId = record["bundleId"] as string, Legs = [] };
                foreach (GenericRecord leg in (object[])record["legs"])
                {
                    body.Legs.Add(new BundleLegBody
                    {
                        Branch = (int)leg["branch"], Account = (long)leg["account"],
                        Entries = [.. ((object[])leg["entries"]).Select(e => FieldsOf((GenericRecord)e))],
                    });
                }
                var problem = BundlesApi.Prepare(body, command, out pending.Bundle);
                return problem;
            }
            default:
            {
                if (!admin) return Forbidden("ledger:admin");
                var request = new OpenAccountRequest
                {
                    Branch = record["branch"] as int?, Account = record["account"] as long?, Currency = record["currency"] as string,
                    OverdraftLimit = record["overdraftLimit"] as long?,
                };
                if (AccountsApi.CheckOpening(request, out var opening) is { } error) return Problem.Validation(error);
                command.SetOpenAccounts(1);
                command.Openings[0] = opening;
                return null;
            }
        }
    }

    private static ProblemResult Forbidden(string scope) =>
        Problem.Of(ProblemTypes.InsufficientScope, $"The commands topic's partner lacks {scope} (Ledger:Auth:Clients).");

    private static bool Account(GenericRecord record, out AccountKey key, out ProblemResult? problem)
    {
        int? branch = record["branch"] as int?;
        long? account = record["account"] as long?;
        key = default;
        problem = null;
        if (!Edge.IsValidAccount(branch, account))
        {
            problem = Problem.Validation(Edge.AccountProblemText(branch, account));
            return false;
        }
        key = new AccountKey(branch!.Value, account!.Value);
        return true;
    }

    private static EntryFields FieldsOf(GenericRecord e)
    {
        string kind = ((GenericEnum)e["entryKind"]).Value;
        var fields = new EntryFields
        {
            KindText = kind,
            CorrelationId = e["correlationId"] as string,
            EntryType = e["entryType"] as int?,
            Description = e["description"] as string,
            Reverses = e["reverses"] as string,
            Unblocks = e["unblocks"] as string,
            Removes = e["removes"] as string,
            ExpiresAt = e["expiresAt"] as string,
        };
        fields.Kind = Ledger.ReadSide.WireNames.TryParseKind(kind, out var parsed) ? parsed : 0;
        if (e["amount"] is long amount || e["currency"] is string)
        {
            fields.HasAmount = true;
            fields.Value = e["amount"] as long?;
            fields.CurrencyText = e["currency"] as string;
            fields.Currency = fields.CurrencyText is not null && CurrencyCode.TryParse(fields.CurrencyText, out var currency) ? currency : CurrencyCode.None;
        }
        return fields;
    }

    private GenericRecord Decided(Pending p)
    {
        var command = p.Command!;
        var result = command.Result;
        if (p.Kind == CommandKind.PostBatch || p.Kind == CommandKind.PostBundle)
        {
            if (!result.IsOk) return Refused(p.CommandId, Answers.Decline(command, _runtime.Catalog, p.Kind == CommandKind.PostBundle ? p.Bundle.LegStarts : null).Value);
            var entries = new object[command.EntryCount];
            for (int i = 0; i < entries.Length; i++)
            {
                ref var r = ref command.EntryResults[i];
                var entry = new GenericRecord(_entryResultSchema);
                entry.Add("branch", command.Entries[i].Account.Branch);
                entry.Add("account", command.Entries[i].Account.Number);
                entry.Add("correlationId", command.Entries[i].CorrelationId);
                entry.Add("entryType", r.EntryType);
                entry.Add("status", new GenericEnum(_entryStatusSchema, Ledger.ReadSide.WireNames.Status(r.Status)));
                entry.Add("sequence", r.Sequence);
                entry.Add("timestamp", new DateTime(r.TimestampTicks, DateTimeKind.Utc)); // timestamp-micros: Avro converts
                entry.Add("amount", r.AmountMinor);
                entry.Add("available", r.BalancesAfter.AvailableMinor);
                entry.Add("held", r.BalancesAfter.HeldMinor);
                entries[i] = entry;
            }
            return Result(p.CommandId, 201, entries, null);
        }
        if (p.Kind == CommandKind.RemoveEntry) return result.IsOk ? Result(p.CommandId, 204, [], null) : Refused(p.CommandId, Answers.RemoveDecline(command).Value);
        if (result.IsOk) return Result(p.CommandId, 201, [], null);
        var kind = result.Code == ResultCode.AccountExists ? ProblemTypes.AccountExists : ProblemTypes.Of(result.Code);
        return Refused(p.CommandId, Problem.Of(kind, $"The account cannot be opened: {kind.Title}.").Value);
    }

    private GenericRecord Refused(string commandId, ProblemResponse problem)
    {
        var record = new GenericRecord(_problemSchema);
        record.Add("type", problem.Type);
        record.Add("title", problem.Title);
        record.Add("detail", problem.Detail);
        record.Add("entryIndex", problem.EntryIndex);
        record.Add("legIndex", problem.LegIndex);
        record.Add("rule", problem.Rule);
        return Result(commandId, problem.Status, [], record);
    }

    private GenericRecord Result(string commandId, int status, object[] entries, GenericRecord? problem)
    {
        var record = new GenericRecord((RecordSchema)_resultSchema);
        record.Add("commandId", commandId);
        record.Add("status", status);
        record.Add("entries", entries);
        record.Add("problem", problem);
        return record;
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

    private enum CommandKind
    {
        PostBatch, RemoveEntry, PostBundle, OpenAccount,
    }
}
