using BenchmarkDotNet.Attributes;
using Ledger.Engine;
using Ledger.Engine.Commands;
using Ledger.Perf;

namespace Ledger.Benchmarks;

/// <summary>
/// <see cref="LedgerEngine.Apply"/> on one thread over a book of 1 000 000 accounts, every entry with a fresh
/// correlation id (so the idempotency index is probed and grows on every entry).
/// One invocation applies <see cref="EntriesPerInvoke"/> entries and reports time per entry (OperationsPerInvoke).
/// Applied entries accumulate in the engine, so each iteration gets a fresh, presized engine in
/// [IterationSetup] (outside the measured region) and runs exactly one invocation. Its tables are prefaulted
/// (EngineSettings.PrefaultTables), as a production engine should be; <see cref="SingleEntryFirstTouch"/> shows
/// what the first touch of untouched table memory adds on this machine.
/// Requests (ids, descriptions) are built once in [GlobalSetup]; the measured loop copies each request into a
/// pooled command, as a gateway fills a command it rented, and applies it.
/// Every invocation checks its own answers: each command must be Ok and the sequence must advance by
/// exactly the number of entries, or the benchmark throws (a fast wrong answer fails).
/// <see cref="SingleEntryPrefetchedEvicting"/> runs the engine as the pipeline with an entry store does (prefetched
/// lookups, a bounded cache that evicts); the other cases keep every entry in the cache (no store).
/// </summary>
[MemoryDiagnoser]
[InvocationCount(1, 1)]
public class EngineApplyBenchmarks
{
    public const int EntriesPerInvoke = 1_000_000;
    public const int Accounts = 1_000_000;
    public const int BatchSize = 100;
    private const int PoolSize = 1024; // a power of two: the loop picks commands with a mask

    private EntryRequest[] _requests = [];
    private LedgerCommand[] _pool = [];
    private LedgerEngine _engine = null!;
    private long _allocatedBytes;
    private long _appliedEntries;
    private string _workload = "";
    private ulong[] _hashes = [];

    [GlobalSetup(Targets = [nameof(SingleEntry), nameof(SingleEntryFirstTouch)])]
    public void SetupSingle() => Setup("single entries", PerfWorkload.SingleEntries(EntriesPerInvoke, Accounts, hotShare: 0, seed: 1), 1);

    [GlobalSetup(Target = nameof(HotAccounts))]
    public void SetupHot() => Setup("hot accounts", PerfWorkload.SingleEntries(EntriesPerInvoke, Accounts, PerfWorkload.HotShare, seed: 2), 1);

    [GlobalSetup(Target = nameof(SingleEntryPrefetchedEvicting))]
    public void SetupPrefetched()
    {
        Setup("single entries, prefetched misses, evicting", PerfWorkload.SingleEntries(EntriesPerInvoke, Accounts, hotShare: 0, seed: 1), 1);
        _hashes = new ulong[_requests.Length];
        Span<byte> key = stackalloc byte[Engine.State.EntryKeys.LengthMax];
        for (int i = 0; i < _requests.Length; i++)
        {
            ref readonly var e = ref _requests[i];
            int length = Engine.State.EntryKeys.Normalize(e.CorrelationId, key);
            _hashes[i] = Engine.State.EntryKeys.Hash(e.Account.Packed, key[..length]);
        }
    }

    [GlobalSetup(Target = nameof(Batch100))]
    public void SetupBatch() => Setup("100-entry batches", PerfWorkload.Batches(EntriesPerInvoke / BatchSize, BatchSize, Accounts, seed: 3), BatchSize);

    private void Setup(string workload, EntryRequest[] requests, int entriesPerCommand)
    {
        _workload = workload;
        _requests = requests;
        _pool = PerfWorkload.CommandPool(PoolSize, entriesPerCommand);
    }

    /// <summary>A fresh engine per iteration: the requests' ids are new to it, and its tables never grow while measured.</summary>
    [IterationSetup(Targets = [nameof(SingleEntry), nameof(HotAccounts), nameof(Batch100)])]
    public void NewEngine() => NewEngine(prefault: true);

    /// <summary>An engine whose cache holds 65 536 entries: past them each new entry evicts one (the store holds it).</summary>
    [IterationSetup(Target = nameof(SingleEntryPrefetchedEvicting))]
    public void NewSmallCacheEngine()
    {
        _engine = null!;
        _engine = PerfWorkload.NewEngine(Accounts, 65_536, prefault: true);
    }

    [IterationSetup(Target = nameof(SingleEntryFirstTouch))]
    public void NewEngineNotPrefaulted()
    {
        _workload = "single entries, tables not prefaulted";
        NewEngine(prefault: false);
    }

    private void NewEngine(bool prefault)
    {
        _engine = null!; // let the previous engine go before the next one is built
        _engine = PerfWorkload.NewEngine(Accounts, EntriesPerInvoke + 1024, prefault);
    }

    /// <summary>1 000 000 single-entry commands, accounts uniform over the whole book.</summary>
    [Benchmark(OperationsPerInvoke = EntriesPerInvoke)]
    public long SingleEntry() => ApplySingles();

    /// <summary>As <see cref="SingleEntry"/>, on an engine whose tables were not prefaulted: each new entry writes untouched pages.</summary>
    [Benchmark(OperationsPerInvoke = EntriesPerInvoke)]
    public long SingleEntryFirstTouch() => ApplySingles();

    /// <summary>
    /// As <see cref="SingleEntry"/>, as the pipeline with an entry store runs it: each command carries its prefetched
    /// lookups (the id is not in the store) and the store's watermark (everything before it is stored), so the 65 536-entry
    /// cache evicts an entry for each new one.
    /// </summary>
    [Benchmark(OperationsPerInvoke = EntriesPerInvoke)]
    public long SingleEntryPrefetchedEvicting()
    {
        var engine = _engine;
        var requests = _requests;
        var pool = _pool;
        long sequenceBefore = engine.LastSequence;
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        int declined = 0;
        for (int i = 0; i < requests.Length; i++)
        {
            var command = pool[i & (PoolSize - 1)];
            command.Entries[0] = requests[i];
            command.TimestampTicks = PerfWorkload.T0;
            command.PrepareLookups();
            command.Lookups[0].KeyHash = _hashes[i];
            command.Lookups[0].Found = false;
            command.StoreWatermark = engine.RecordNumber; // the store holds every earlier command
            command.Prefetched = true;
            engine.Apply(command);
            if (command.Result.Code != ResultCode.Ok) declined++;
        }
        if (engine.Cache.Evictions < requests.Length / 2) throw new InvalidOperationException($"Only {engine.Cache.Evictions} evictions: the benchmark did not exercise the bounded cache.");
        return Check(engine, sequenceBefore, allocatedBefore, declined, pool);
    }

    /// <summary>1 000 000 single-entry commands, 90% of them on 10 accounts.</summary>
    [Benchmark(OperationsPerInvoke = EntriesPerInvoke)]
    public long HotAccounts() => ApplySingles();

    /// <summary>10 000 commands of 100 entries each (one account per batch); time is per entry.</summary>
    [Benchmark(OperationsPerInvoke = EntriesPerInvoke)]
    public long Batch100()
    {
        var engine = _engine;
        var requests = _requests;
        var pool = _pool;
        long sequenceBefore = engine.LastSequence;
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        int declined = 0;
        for (int b = 0, first = 0; first < requests.Length; b++, first += BatchSize)
        {
            var command = pool[b & (PoolSize - 1)];
            requests.AsSpan(first, BatchSize).CopyTo(command.Entries);
            command.TimestampTicks = PerfWorkload.T0;
            engine.Apply(command);
            if (command.Result.Code != ResultCode.Ok) declined++;
        }
        return Check(engine, sequenceBefore, allocatedBefore, declined, pool);
    }

    private long ApplySingles()
    {
        var engine = _engine;
        var requests = _requests;
        var pool = _pool;
        long sequenceBefore = engine.LastSequence;
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        int declined = 0;
        for (int i = 0; i < requests.Length; i++)
        {
            var command = pool[i & (PoolSize - 1)];
            command.Entries[0] = requests[i];
            command.TimestampTicks = PerfWorkload.T0;
            engine.Apply(command);
            if (command.Result.Code != ResultCode.Ok) declined++;
        }
        return Check(engine, sequenceBefore, allocatedBefore, declined, pool);
    }

    private long Check(LedgerEngine engine, long sequenceBefore, long allocatedBefore, int declined, LedgerCommand[] pool)
    {
        _allocatedBytes += GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        long applied = engine.LastSequence - sequenceBefore;
        _appliedEntries += applied;
        if (declined != 0 || applied != _requests.Length)
        {
            throw new InvalidOperationException(
                $"Wrong answers: {declined} commands not Ok (last: {pool[0].Result.Code}), {applied} of {_requests.Length} entries applied.");
        }
        return engine.LastSequence;
    }

    /// <summary>The exact bytes the measured loops allocated (MemoryDiagnoser rounds per entry), printed into the log.</summary>
    [GlobalCleanup]
    public void ReportAllocations()
    {
        Console.WriteLine($"// [alloc-check] {_workload}: {_allocatedBytes} bytes allocated on the benchmark thread over {_appliedEntries} applied entries");
        _allocatedBytes = 0;
        _appliedEntries = 0;
    }
}
