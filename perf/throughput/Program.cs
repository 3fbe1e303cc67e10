using System.Diagnostics;
using System.Globalization;
using Ledger.Engine;
using Ledger.Engine.Commands;
using Ledger.Engine.Hosting;
using Ledger.Engine.Ring;
using Ledger.Perf;

// Throughput harness: producer tasks push pre-built commands through the whole EngineHost pipeline
// (ring -> engine thread -> journal thread with NoJournal -> publish thread -> completion) and it prints entries/s.
// BenchmarkDotNet is awkward for a multi-threaded pipeline, so this is a plain timed run with a warm-up round.
// Usage: dotnet run -c Release --project perf/throughput -- [--commands 4000000] [--batch 1] [--producers 2]
//        [--accounts 1000000] [--wait blocking|yielding|busyspin] [--ring 8192] [--window N] [--warmup N]
//        dotnet run -c Release --project perf/throughput -- memory    (what memory costs here; MemoryProbe.cs)

if (args is ["memory"]) return Ledger.Throughput.MemoryProbe.Run();

var options = ThroughputOptions.Parse(args);
if (options is null) return 2;

Console.WriteLine($"// building: {options.Accounts:N0} accounts, {options.TotalEntries:N0} entries to pre-build " +
    $"(wait {options.WaitName}, {options.Producers} producers, batch {options.Batch}, ring {options.RingSize}, " +
    $"window {options.Window} per producer, warm-up {options.WarmupCommands:N0} commands)");
var engine = PerfWorkload.NewEngine(options.Accounts, checked((int)options.TotalEntries + 1024));
var warmup = BuildRequests(options, options.WarmupCommands, seedBase: 100);
var measured = BuildRequests(options, options.Commands, seedBase: 200);
// Each producer's commands, built once and reused across both rounds (a gateway's pool outlives requests).
var pools = new LedgerCommand[options.Producers][];
for (int p = 0; p < pools.Length; p++) pools[p] = PerfWorkload.CommandPool(options.Window, options.Batch);

using var host = new EngineHost(engine, new NoJournal(), [], new EngineHostSettings
{
    RingSize = options.RingSize,
    WaitStrategy = options.WaitStrategy,
    TickInterval = TimeSpan.Zero, // no ticks: every command in the ring is one of ours
});
host.Start();

Run(host, options, warmup, pools); // JIT to tier 1, first touches of the host's threads and pools
GC.Collect();
GC.WaitForPendingFinalizers();

long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
int[] collectionsBefore = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
var clock = Stopwatch.StartNew();
long failures = Run(host, options, measured, pools);
clock.Stop();
long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
int[] collections = [GC.CollectionCount(0) - collectionsBefore[0], GC.CollectionCount(1) - collectionsBefore[1], GC.CollectionCount(2) - collectionsBefore[2]];

host.Stop();
long expectedSequence = options.TotalEntries;
if (failures != 0 || engine.LastSequence != expectedSequence)
{
    Console.Error.WriteLine($"WRONG ANSWERS: {failures} commands not Ok; engine sequence {engine.LastSequence}, expected {expectedSequence}.");
    return 1;
}

long entries = (long)options.Commands * options.Batch;
double seconds = clock.Elapsed.TotalSeconds;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"throughput wait={options.WaitName} producers={options.Producers} batch={options.Batch} commands={options.Commands} " +
    $"entries={entries} elapsed_ms={clock.Elapsed.TotalMilliseconds:F0} entries_per_s={entries / seconds:F0} " +
    $"commands_per_s={options.Commands / seconds:F0} alloc_bytes_per_entry={(double)allocated / entries:F2} " +
    $"gc0={collections[0]} gc1={collections[1]} gc2={collections[2]} loadavg=\"{LoadAverage()}\""));
return 0;

// Each producer gets its own requests (ids unique across producers and rounds).
static EntryRequest[][] BuildRequests(ThroughputOptions o, int commands, int seedBase)
{
    var perProducer = new EntryRequest[o.Producers][];
    for (int p = 0; p < o.Producers; p++)
    {
        int share = commands / o.Producers + (p < commands % o.Producers ? 1 : 0);
        perProducer[p] = o.Batch == 1
            ? PerfWorkload.SingleEntries(share, o.Accounts, hotShare: 0, seed: seedBase + p)
            : PerfWorkload.Batches(share, o.Batch, o.Accounts, seed: seedBase + p);
    }
    return perProducer;
}

static long Run(EngineHost host, ThroughputOptions o, EntryRequest[][] requests, LedgerCommand[][] pools)
{
    var producers = new Task<long>[requests.Length];
    for (int p = 0; p < requests.Length; p++)
    {
        var mine = requests[p];
        var pool = pools[p];
        producers[p] = Task.Run(() => Produce(host, mine, o.Batch, pool));
    }
    Task.WaitAll(producers);
    long failures = 0;
    foreach (var producer in producers) failures += producer.Result;
    return failures;
}

// A producer keeps up to `window` commands in flight, like a gateway with many concurrent requests: it reuses a
// command once its previous use is acknowledged (they complete in order), checking that answer first.
static async Task<long> Produce(EngineHost host, EntryRequest[] requests, int batch, LedgerCommand[] pool)
{
    int window = pool.Length;
    var pending = new ValueTask[window];
    int commands = requests.Length / batch;
    long failures = 0;
    for (int i = 0; i < commands; i++)
    {
        int slot = i % window;
        var command = pool[slot];
        if (i >= window)
        {
            await pending[slot].ConfigureAwait(false);
            if (command.Result.Code != ResultCode.Ok) failures++;
        }
        command.Reset(); // also re-arms its completion (it may come from the previous round)
        command.SetPost(batch);
        requests.AsSpan(i * batch, batch).CopyTo(command.Entries);
        command.TimestampTicks = PerfWorkload.T0;
#pragma warning disable CA2012 // each stored ValueTask is awaited exactly once, before its command is reused
        pending[slot] = host.SubmitAsync(command);
#pragma warning restore CA2012
    }
    for (int i = Math.Max(0, commands - window); i < commands; i++)
    {
        int slot = i % window;
        await pending[slot].ConfigureAwait(false);
        if (pool[slot].Result.Code != ResultCode.Ok) failures++;
    }
    return failures;
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a";

/// <summary>Command-line options of the harness, checked up front with a sentence per mistake.</summary>
internal sealed record ThroughputOptions
{
    public int Commands { get; init; } = 4_000_000;
    public int Batch { get; init; } = 1;
    public int Producers { get; init; } = 2;
    public int Accounts { get; init; } = 1_000_000;
    public string WaitName { get; init; } = "blocking";
    public int RingSize { get; init; } = 8_192;
    public int Window { get; init; }
    public int WarmupCommands { get; init; }

    public long TotalEntries => (long)(Commands + WarmupCommands) * Batch;

    public Func<IWaitStrategy> WaitStrategy => WaitName switch
    {
        "busyspin" => () => new BusySpinWaitStrategy(),
        "yielding" => () => new YieldingWaitStrategy(),
        _ => () => new BlockingWaitStrategy(),
    };

    public static ThroughputOptions? Parse(string[] args)
    {
        var o = new ThroughputOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (i + 1 >= args.Length) return Fail($"{name} needs a value.");
            string value = args[++i];
            if (name == "--wait")
            {
                if (value is not ("blocking" or "yielding" or "busyspin")) return Fail("--wait is blocking, yielding or busyspin.");
                o = o with { WaitName = value };
                continue;
            }
            if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n <= 0)
            {
                return Fail($"{name} needs a positive whole number, not '{value}'.");
            }
            ThroughputOptions? next = name switch
            {
                "--commands" => o with { Commands = n },
                "--batch" => o with { Batch = n },
                "--producers" => o with { Producers = n },
                "--accounts" => o with { Accounts = n },
                "--ring" => o with { RingSize = n },
                "--window" => o with { Window = n },
                "--warmup" => o with { WarmupCommands = n },
                _ => null,
            };
            if (next is null) return Fail($"Unknown option {name}.");
            o = next;
        }
        if (o.Batch > Limits.EntriesPerBatchMax) return Fail($"--batch is at most {Limits.EntriesPerBatchMax}.");
        if ((o.RingSize & (o.RingSize - 1)) != 0) return Fail("--ring must be a power of two.");
        if (o.Window == 0) o = o with { Window = Math.Max(1, o.RingSize / o.Producers) };
        if (o.WarmupCommands == 0) o = o with { WarmupCommands = Math.Max(o.Producers * o.Window, o.Commands / 10) };
        if (o.TotalEntries + 1024 > int.MaxValue) return Fail("--commands x --batch is too large for one engine (2^31 entries).");
        return o;
    }

    private static ThroughputOptions? Fail(string message)
    {
        Console.Error.WriteLine(message);
        Console.Error.WriteLine("Usage: [--commands N] [--batch N] [--producers N] [--accounts N] [--wait blocking|yielding|busyspin] [--ring N] [--window N] [--warmup N]");
        return null;
    }
}
