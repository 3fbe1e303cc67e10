using Ledger.Engine;
using Ledger.Engine.Hosting;
using Ledger.Engine.Ring;
using Ledger.Journal.EntryStore;
using Ledger.ReadSide;

namespace Ledger.Gateway.Hosting;

/// <summary>
/// The one mapping from configuration (<see cref="LedgerOptions"/>) to each component's settings: the engine, the
/// pipeline host, the entry store, the read store. Lower layers never name a configuration key; this does, once.
/// </summary>
internal static class ComponentSettings
{
    public static EngineSettings Engine(LedgerOptions options) => new()
    {
        AccountCapacity = options.Memory.AccountCapacity,
        EntryCacheEntries = options.Memory.EntryCacheEntries,
        OpenHoldsMax = options.Memory.OpenHoldsMax,
    };

    public static EngineHostSettings Host(LedgerOptions options) => new()
    {
        RingSize = options.RingSize,
        WaitStrategy = WaitStrategyOf(options.WaitStrategy),
        Layout = LayoutOf(options.PipelineLayout),
        InFlightEntriesMax = options.Memory.InFlightEntriesMax,
    };

    public static EntryStoreSettings EntryStore(LedgerOptions options) => new()
    {
        BlockCacheBytes = options.Memory.StoreBlockCacheBytes,
        WriteBufferBytes = options.Memory.StoreWriteBufferBytes,
        WriteBuffersMax = options.Memory.StoreWriteBuffers,
        KeyFilterBytes = options.Memory.KeyFilterBytes,
        Compaction = options.Storage.CompactionStyle,
        CheckpointEvery = CheckpointEvery(options),
    };

    public static ReadStoreSettings ReadStore(LedgerOptions options) => new()
    {
        BlockCacheBytes = options.Memory.ReadBlockCacheBytes,
        WriteBufferBytes = options.Memory.ReadWriteBufferBytes,
        WriteBuffersMax = options.Memory.StoreWriteBuffers,
        Compaction = options.Storage.CompactionStyle,
    };

    public static TimeSpan CheckpointEvery(LedgerOptions options) => TimeSpan.FromSeconds(options.Checkpoint.EverySeconds);

    private static Func<IWaitStrategy> WaitStrategyOf(string name) => name.ToUpperInvariant() switch
    {
        "BLOCKING" => static () => new BlockingWaitStrategy(),
        "BLOCKINGYIELD" => static () => new BlockingWaitStrategy(yieldTries: 100),
        "YIELDING" => static () => new YieldingWaitStrategy(),
        "BUSYSPIN" => static () => new BusySpinWaitStrategy(),
        _ => throw new InvalidOperationException($"Ledger:WaitStrategy is '{name}': use Blocking, BlockingYield, Yielding or BusySpin."),
    };

    private static PipelineLayout LayoutOf(string name) => name.ToUpperInvariant() switch
    {
        "SHARED" => PipelineLayout.Shared,
        "SEPARATE" => PipelineLayout.Separate,
        _ => throw new InvalidOperationException($"Ledger:PipelineLayout is '{name}': use Shared (three threads) or Separate (one per stage)."),
    };
}
