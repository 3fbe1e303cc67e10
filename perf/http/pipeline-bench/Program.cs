// The gateway's hot path without HTTP, to tell its layers apart:
//   readstore          ReadStoreWriter.Add of 1 000 000 entry events (records of 100, a commit per 256 records) on one thread (µs/entry, disk bytes/entry)
//   path [batch]       one thread: parse the JSON body into a command, engine.Apply, read store, write the 201 JSON
//   pipeline [batch] [Blocking|Yielding|BusySpin]   8 producers through LedgerRuntime (ring, engine, journal, publish stage with the read store) on a scratch data directory
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
using Ledger.Engine.Catalog;
using Ledger.ReadSide;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

string mode = args.Length > 0 ? args[0] : "path";
int batch = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 100;
var usd = CurrencyCode.Parse("USD");
const int accounts = 1_000;

switch (mode)
{
    case "readstore": ReadStoreOnly(); break;
    case "path": SingleThreadPath(); break;
    case "pipeline": await Pipeline(); break;
    default: Console.WriteLine("modes: readstore | path [batch] | pipeline [batch]"); break;
}

string Scratch() => Path.Combine(Path.GetTempPath(), "ledger-pipeline-bench-" + Guid.NewGuid().ToString("N"));

void ReadStoreOnly()
{
    const int n = 1_000_000;
    var ids = new string[n];
    for (int i = 0; i < n; i++) ids[i] = "w1700000000-1-" + i;
    string dir = Scratch();
    using (var store = ReadStore.Open(dir, new ReadStoreSettings { IdKeys = false }) /* the ledger's: no correlation-id keys */)
    using (var writer = store.Writer())
    {
        var opened = new LedgerEvent[accounts];
        for (int a = 0; a < accounts; a++) opened[a] = new LedgerEvent { Kind = LedgerEventKind.AccountOpened, Account = new AccountKey(1, a + 1), Currency = usd };
        writer.Add(opened, 1, 1);
        var record = new LedgerEvent[100];
        var sw = Stopwatch.StartNew();
        for (int r = 0; r < n / 100; r++)
        {
            for (int k = 0; k < 100; k++)
            {
                int i = r * 100 + k;
                record[k] = new LedgerEvent
                {
                    Kind = LedgerEventKind.EntryApplied, Sequence = i + 1, TimestampTicks = i, Account = new AccountKey(1, 1 + r % accounts), Currency = usd,
                    EntryKind = EntryKind.Ledger, Status = EntryStatus.Posted, EntryType = 100, AmountMinor = 1, CorrelationId = ids[i], BalancesAfter = new Balances(i, 0),
                };
            }
            writer.Add(record, r + 2, r + 2);
            if (writer.Pending == 256) writer.Commit();
        }
        writer.Commit();
        double us = sw.Elapsed.TotalMilliseconds * 1000 / n;
        store.Checkpoint();
        Console.WriteLine($"readstore: {us:F3} us/entry ({n / sw.Elapsed.TotalSeconds:F0} entries/s), {store.Stats.SizeBytes / (double)n:F0} disk bytes/entry after a flush");
    }
    ReadStore.Delete(dir);
}

void SingleThreadPath()
{
    var catalog = HistoryCatalogFile.Load(HistoryCatalogFile.DefaultPath);
    var engine = new LedgerEngine(catalog, new EngineSettings { EntryCacheEntries = 4 << 20, AccountCapacity = 4_096 });
    string dir = Scratch();
    using var store = ReadStore.Open(dir, new ReadStoreSettings { IdKeys = false }) /* the ledger's: no correlation-id keys */;
    using var writer = store.Writer();
    long record = 0;
    Open(c => { engine.Apply(c); writer.Add(c.EventSpan, ++record, record); });
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
        if (BatchJsonReader.Read(body, new AccountKey(1, 1 + n % accounts), command) is { } problem) throw new InvalidOperationException(problem.Value.Detail);
        long t1 = Stopwatch.GetTimestamp();
        command.TimestampTicks = DateTime.UtcNow.Ticks;
        engine.Apply(command);
        if (!command.Result.IsOk) throw new InvalidOperationException(command.Result.Code.ToString());
        long t2 = Stopwatch.GetTimestamp();
        writer.Add(command.EventSpan, ++record, record);
        if (writer.Pending == 256) writer.Commit();
        long t3 = Stopwatch.GetTimestamp();
        output.ResetWrittenCount();
        BatchCreatedResult.Write(output, command, catalog);
        long t4 = Stopwatch.GetTimestamp();
        parse += t1 - t0; apply += t2 - t1; read += t3 - t2; write += t4 - t3;
        entries += batch;
    }
    double Us(long ticks) => ticks * 1e6 / Stopwatch.Frequency / entries;
    Console.WriteLine($"path (one thread, batch {batch}): {entries / sw.Elapsed.TotalSeconds:F0} entries/s; per entry: parse {Us(parse):F2} us, " +
                      $"engine {Us(apply):F2} us, read store {Us(read):F2} us, 201 JSON {Us(write):F2} us (the rest: building the test body)");
    writer.Commit();
    ReadStore.Delete(dir);
}

async Task Pipeline()
{
    string wait = args.Length > 2 ? args[2] : "Blocking";
    string dir = Scratch();
    var runtime = new LedgerRuntime(Options.Create(new LedgerOptions { WaitStrategy = wait, DataDir = dir }), NullLogger<LedgerRuntime>.Instance,
        HistoryCatalogFile.Load(HistoryCatalogFile.DefaultPath));
    runtime.Start();
    var open = new LedgerCommand();
    Open(c => { open = c; });
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
            if (BatchJsonReader.Read(body, new AccountKey(1, 1 + n % accounts), command) is { } problem) throw new InvalidOperationException(problem.Value.Detail);
            if (!runtime.Host!.TrySubmit(command, out var done)) throw new InvalidOperationException("ring full");
            await done;
            if (!command.Result.IsOk) throw new InvalidOperationException(command.Result.Code.ToString());
            output.ResetWrittenCount();
            BatchCreatedResult.Write(output, command, runtime.Catalog);
            runtime.Pool.Return(command);
            Interlocked.Add(ref entries, batch);
        }
    })).ToArray();
    await Task.WhenAll(workers);
    Console.WriteLine($"pipeline (8 producers, batch {batch}, {wait}): {entries / sw.Elapsed.TotalSeconds:F0} entries/s through ring, engine, journal, entry store, read store, 201 JSON");
    runtime.Stop();
    Directory.Delete(dir, recursive: true);
}

void Open(Action<LedgerCommand> apply)
{
    var open = new LedgerCommand { TimestampTicks = DateTime.UtcNow.Ticks };
    open.SetOpenAccounts(accounts);
    for (int i = 0; i < accounts; i++) open.Openings[i] = new AccountOpening { Account = new AccountKey(1, i + 1), Currency = usd };
    apply(open);
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
