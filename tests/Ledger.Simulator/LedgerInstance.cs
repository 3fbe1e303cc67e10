using Ledger.Engine.Catalog;
using Ledger.Engine.Hosting;
using Ledger.Gateway.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Ledger.Simulator;

/// <summary>
/// The ledger role in process, composed exactly as the service composes it (<see cref="LedgerRuntime"/>: recovery, the
/// read store's catch-up or rebuild, the pipeline), on the simulator's clock, with no tick timer and no background
/// checkpoints (the simulator checkpoints as a step, so a seed replays the same), small memory (a cache of 4 096
/// entries: old entries come from the store) and the journal behind <see cref="FaultJournal"/>.
/// </summary>
internal sealed class LedgerInstance : IDisposable
{
    private FaultJournal? _journal;
    private FaultStoreWriter? _storeWriter;
    private FaultReadSink? _readSink;
    private FaultPrefetcher? _prefetcher;

    private LedgerInstance(string dataDir, LedgerRuntime runtime)
    {
        DataDir = dataDir;
        Runtime = runtime;
    }

    public string DataDir { get; }
    public LedgerRuntime Runtime { get; }
    /// <summary>The seams of the running role (new ones after the runtime restarts it in process).</summary>
    public FaultJournal Journal => Volatile.Read(ref _journal)!;
    public FaultStoreWriter StoreWriter => Volatile.Read(ref _storeWriter)!;
    public FaultReadSink ReadSink => Volatile.Read(ref _readSink)!;
    public FaultPrefetcher Prefetcher => Volatile.Read(ref _prefetcher)!;
    public EngineHost Host => Runtime.Host!;

    /// <param name="onReadCatchUp">Called with each record the read store's catch-up at start feeds after recovery (a crash there; the part fed beside recovery's replay does not call it: the hook copies the data directory, which needs the entry store quiet).</param>
    public static LedgerInstance Start(string dataDir, HistoryCatalog catalog, Func<long> clock, Action<long>? onReadCatchUp = null)
    {
        var options = new LedgerOptions
        {
            DataDir = dataDir,
            RingSize = 256,
            ReadYourWritesWaitMax = TimeSpan.FromMinutes(2),
            Checkpoint = new CheckpointOptions { EverySeconds = 1_000_000 },
            Storage = new StorageOptions { ProbeEverySeconds = 0.05 },
            Memory = new MemoryOptions
            {
                AccountCapacity = 64, OpenHoldsMax = 1_000, InFlightEntriesMax = 1_000, EntryCacheEntries = 4_096,
                StoreBlockCacheBytes = 8L << 20, StoreWriteBufferBytes = 4L << 20, StoreWriteBuffers = 2,
                ReadBlockCacheBytes = 1L << 20, ReadWriteBufferBytes = 1L << 20, KeyFilterBytes = 64L << 10,
            },
        };
        var runtime = new LedgerRuntime(Options.Create(options), NullLogger<LedgerRuntime>.Instance, catalog);
        var instance = new LedgerInstance(dataDir, runtime);
        runtime.WrapJournal = inner => instance._journal = new FaultJournal(inner);
        runtime.WrapStoreWriter = inner => instance._storeWriter = new FaultStoreWriter(inner);
        runtime.WrapReadSink = inner => instance._readSink = new FaultReadSink(inner);
        runtime.WrapPrefetcher = inner => instance._prefetcher = new FaultPrefetcher(inner);
        runtime.OnReadCatchUp = onReadCatchUp;
        runtime.AdjustHost = settings => settings with { TickInterval = TimeSpan.Zero, UtcNowTicks = clock };
        runtime.Start();
        return instance;
    }

    /// <summary>Waits until every command published has passed every stage (stores written, read store fed).</summary>
    public async Task IdleAsync()
    {
        for (int i = 0; Host.EntriesInFlight != 0; i++)
        {
            if (Host.Fault is { } fault) throw new SimulationFailedException($"the pipeline failed: {fault}");
            if (i > 120_000) throw new SimulationFailedException("the pipeline did not go idle within two minutes");
            await Task.Delay(1);
        }
        if (!await Runtime.WaitForReadsAsync(CancellationToken.None)) throw new SimulationFailedException("the read store did not reach the last acknowledged record");
    }

    /// <summary>Waits until every command published has left the pipeline (released by its last stage), failed or not.</summary>
    public async Task DrainedAsync(EngineHost host)
    {
        for (int i = 0; host.EntriesInFlight != 0; i++)
        {
            if (i > 120_000) throw new SimulationFailedException("the pipeline did not drain within two minutes");
            await Task.Delay(1);
        }
    }

    /// <summary>Waits until the runtime has restarted the ledger role by itself after a write failure (a new host, ready).</summary>
    public async Task RestartedAsync(EngineHost failed)
    {
        for (int i = 0; !(Runtime.IsReady && Runtime.Host is { } host && host != failed); i++)
        {
            if (i > 120_000) throw new SimulationFailedException($"the ledger did not take writes again by itself within two minutes after {Runtime.WriteFault}");
            await Task.Delay(1);
        }
    }

    public void Dispose() => Runtime.Stop();
}

/// <summary>The auditor found the ledger disagreeing with the model, or the ledger failed: the message names seed and step.</summary>
public sealed class SimulationFailedException(string message) : Exception(message);
