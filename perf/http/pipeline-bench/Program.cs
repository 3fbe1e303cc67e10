// The gateway's hot path without HTTP, to tell its layers apart:
//   readmodel          LedgerReadModel.Apply of 1 000 000 entry events on one thread (µs/entry, bytes/entry)
//   path [batch]       one thread: parse the JSON body into a command, engine.Apply, read model, write the 201 JSON
//   pipeline [batch] [Blocking|Yielding|BusySpin]   8 producers through LedgerRuntime (ring, engine, journal stage, publish stage with the read model)
// Usage: dotnet run -c Release --project perf/http/pipeline-bench -- path 100
using System.Buffers;
using System.Diagnostics;
using System.Text;
using Ledger.Engine;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using Ledger.Gateway.Api;
using Ledger.Gateway.Hosting;
using Ledger.Gateway.ReadModel;
using Ledger.Engine.Catalog;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

string mode = args.Length > 0 ? args[0] : "path";
int batch = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 100;
var usd = CurrencyCode.Parse("USD");
const int Accounts = 1_000;

switch (mode)
{
    case "readmodel": ReadModelOnly(); break;
    case "path": SingleThreadPath(); break;
    case "pipeline": await Pipeline(); break;
    default: Console.WriteLine("modes: readmodel | path [batch] | pipeline [batch]"); break;
}

void ReadModelOnly()
{
    const int n = 1_000_000;
    var ids = new string[n];
    for (int i = 0; i < n; i++) ids[i] = "w1700000000-1-" + i;
    GC.Collect();
    long before = GC.GetTotalMemory(true);
    var model = new LedgerReadModel();
    for (int a = 1; a <= Accounts; a++) model.Apply(new LedgerEvent { Kind = LedgerEventKind.AccountOpened, Account = new AccountKey(1, a), Currency = usd });
    var sw = Stopwatch.StartNew();
    for (int i = 0; i < n; i++)
    {
        var e = new LedgerEvent
        {
            Kind = LedgerEventKind.EntryApplied, Sequence = i + 1, TimestampTicks = i, Account = new AccountKey(1, 1 + (i / 100) % Accounts), Currency = usd,
            EntryKind = EntryKind.Ledger, Status = EntryStatus.Posted, EntryType = 100, AmountMinor = 1, CorrelationId = ids[i], BalancesAfter = new Balances(i, 0),
        };
        model.Apply(in e);
    }
    double us = sw.Elapsed.TotalMilliseconds * 1000 / n;
    long after = GC.GetTotalMemory(true);
    Console.WriteLine($"readmodel: {us:F3} us/entry, {(after - before) / (double)n:F0} bytes/entry held (ids excluded: {model.FootprintBytes() / (double)n:F0} in arrays)");
    GC.KeepAlive(model);
}

void SingleThreadPath()
{
    var engine = new LedgerEngine(HistoryCatalogFile.Load(HistoryCatalogFile.DefaultPath), new EngineSettings { EntryCacheCapacity = 4 << 20, AccountCapacity = 4_096 });
    var model = new LedgerReadModel();
    Open(engine.Apply, model);
    var output = new ArrayBufferWriter<byte>(1 << 20);
    var command = new LedgerCommand();
    long entries = 0;
    long parse = 0, apply = 0, read = 0, write = 0;
    var sw = Stopwatch.StartNew();
    for (long n = 1; sw.Elapsed < TimeSpan.FromSeconds(5); n++)
    {
        var body = new ReadOnlySequence<byte>(Body(n, batch));
        command.Reset();
        long t0 = Stopwatch.GetTimestamp();
        if (BatchJsonReader.Read(body, new AccountKey(1, 1 + n % Accounts), command) is { } problem) throw new InvalidOperationException(problem.Value.Detail);
        long t1 = Stopwatch.GetTimestamp();
        command.TimestampTicks = DateTime.UtcNow.Ticks;
        engine.Apply(command);
        if (!command.Result.IsOk) throw new InvalidOperationException(command.Result.Code.ToString());
        long t2 = Stopwatch.GetTimestamp();
        model.OnCommitted(command);
        long t3 = Stopwatch.GetTimestamp();
        output.ResetWrittenCount();
        BatchCreatedResult.Write(output, command);
        long t4 = Stopwatch.GetTimestamp();
        parse += t1 - t0; apply += t2 - t1; read += t3 - t2; write += t4 - t3;
        entries += batch;
    }
    double Us(long ticks) => ticks * 1e6 / Stopwatch.Frequency / entries;
    Console.WriteLine($"path (one thread, batch {batch}): {entries / sw.Elapsed.TotalSeconds:F0} entries/s; per entry: parse {Us(parse):F2} us, " +
                      $"engine {Us(apply):F2} us, read model {Us(read):F2} us, 201 JSON {Us(write):F2} us (the rest: building the test body)");
}

async Task Pipeline()
{
    string wait = args.Length > 2 ? args[2] : "Blocking";
    var runtime = new LedgerRuntime(Options.Create(new LedgerOptions { WaitStrategy = wait }), NullLogger<LedgerRuntime>.Instance);
    runtime.Start();
    var open = new LedgerCommand();
    Open(c => { open = c; }, null);
    await runtime.Host!.SubmitAsync(open);
    long entries = 0;
    var sw = Stopwatch.StartNew();
    var workers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
    {
        var output = new ArrayBufferWriter<byte>(1 << 20);
        for (long n = w + 1; sw.Elapsed < TimeSpan.FromSeconds(5); n += 8)
        {
            var body = new ReadOnlySequence<byte>(Body(n, batch));
            var command = runtime.Pool.Rent();
            if (BatchJsonReader.Read(body, new AccountKey(1, 1 + n % Accounts), command) is { } problem) throw new InvalidOperationException(problem.Value.Detail);
            if (!runtime.Host!.TrySubmit(command, out var done)) throw new InvalidOperationException("ring full");
            await done;
            if (!command.Result.IsOk) throw new InvalidOperationException(command.Result.Code.ToString());
            output.ResetWrittenCount();
            BatchCreatedResult.Write(output, command);
            runtime.Pool.Return(command);
            Interlocked.Add(ref entries, batch);
        }
    })).ToArray();
    await Task.WhenAll(workers);
    Console.WriteLine($"pipeline (8 producers, batch {batch}, {wait}): {entries / sw.Elapsed.TotalSeconds:F0} entries/s through ring, engine, journal stage (NoJournal), read model, 201 JSON");
    runtime.Stop();
}

void Open(Action<LedgerCommand> apply, LedgerReadModel? model)
{
    var open = new LedgerCommand { TimestampTicks = DateTime.UtcNow.Ticks };
    open.SetOpenAccounts(Accounts);
    for (int i = 0; i < Accounts; i++) open.Openings[i] = new AccountOpening { Account = new AccountKey(1, i + 1), Currency = usd };
    apply(open);
    model?.OnCommitted(open);
}

static byte[] Body(long n, int batch)
{
    var sb = new StringBuilder("{\"entries\":[");
    for (int i = 0; i < batch; i++)
    {
        if (i > 0) sb.Append(',');
        sb.Append("{\"entryKind\":\"ledger\",\"correlationId\":\"b-").Append(n).Append('-').Append(i)
          .Append("\",\"entryType\":100,\"amount\":{\"value\":1,\"currency\":\"USD\"}}");
    }
    return Encoding.UTF8.GetBytes(sb.Append("]}").ToString());
}
