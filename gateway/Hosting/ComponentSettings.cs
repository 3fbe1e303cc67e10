using Ledger.Engine;
using Ledger.Engine.Hosting;
using Ledger.Engine.Ring;
using Ledger.Journal.Entries;
using Ledger.ReadSide;

namespace Ledger.Gateway.Hosting;

/// <summary>
/// The one mapping from configuration (<see cref="LedgerOptions"/>) to each component's settings: the engine, the
/// pipeline host, the entry store, the read store. Lower layers never name a configuration key; this does, once.
/// The values were judged at start-up (<see cref="ConfigurationCheck"/>): a name that does not parse here is a bug.
/// </summary>
internal static class ComponentSettings
{
    /// <summary>
    /// Each component's settings as it defaults them: the defaults of <see cref="LedgerOptions"/> are read from these, so
    /// a knob has one default, in the component that uses it (a test maps the default configuration back onto them).
    /// </summary>
    internal static class Defaults
    {
        public static readonly EngineSettings Engine = new();
        public static readonly EngineHostSettings Host = new();
        public static readonly EntryStoreSettings EntryStore = new();
        public static readonly ReadStoreSettings ReadStore = new();
    }

    public static EngineSettings Engine(LedgerOptions options) => new()
    {
        AccountCapacity = options.Memory.AccountCapacity,
        EntryCacheEntries = options.Memory.EntryCacheEntries,
        OpenHoldsMax = options.Memory.OpenHoldsMax,
        HugePages = options.Memory.HugePages,
    };

    public static EngineHostSettings Host(LedgerOptions options) => new()
    {
        RingSize = options.RingSize,
        WaitStrategy = WaitStrategyOf(options.WaitStrategy) ?? throw Unchecked("WaitStrategy"),
        Layout = LayoutOf(options.PipelineLayout) ?? throw Unchecked("PipelineLayout"),
        InFlightEntriesMax = options.Memory.InFlightEntriesMax,
    };

    public static EntryStoreSettings EntryStore(LedgerOptions options) => new()
    {
        BlockCacheBytes = options.Memory.StoreBlockCacheBytes,
        WriteBufferBytes = options.Memory.StoreWriteBufferBytes,
        WriteBuffers = options.Memory.StoreWriteBuffers,
        KeyFilterBytes = options.Memory.KeyFilterBytes,
        HugePages = options.Memory.HugePages,
        Compaction = options.Storage.CompactionStyle ?? throw Unchecked("Storage:Compaction"),
        CompactionTrigger = options.Storage.CompactionTrigger,
        InsertHints = options.Storage.InsertHints,
        CheckpointEvery = CheckpointEvery(options),
    };

    /// <summary>The ledger's own read store: no write-ahead log (the journal is its log), no id keys (the entry store beside it answers by correlation id).</summary>
    public static ReadStoreSettings ReadStore(LedgerOptions options) => new()
    {
        IdKeys = false,
        BlockCacheBytes = options.Memory.ReadBlockCacheBytes,
        WriteBufferBytes = options.Memory.ReadWriteBufferBytes,
        WriteBuffers = options.Memory.StoreWriteBuffers,
        Compaction = options.Storage.CompactionStyle ?? throw Unchecked("Storage:Compaction"),
        CompactionTrigger = options.Storage.CompactionTrigger,
        InsertHints = options.Storage.InsertHints,
    };

    /// <summary>
    /// A statements replica's read store: its rows and partition positions go to RocksDB's write-ahead log with every
    /// write (its only other copy is Kafka), and it keeps its own id keys (no entry store beside it).
    /// </summary>
    public static ReadStoreSettings ReplicaReadStore(LedgerOptions options) => ReadStore(options) with { WriteAheadLog = true, IdKeys = true };

    public static TimeSpan CheckpointEvery(LedgerOptions options) => TimeSpan.FromSeconds(options.Checkpoint.EverySeconds);

    private static InvariantViolationException Unchecked(string key) =>
        new($"Invariant: Ledger:{key} reached the components unchecked (ConfigurationCheck runs at start-up).");

    /// <summary>The wait strategy a name stands for, or null when it names none.</summary>
    public static Func<IWaitStrategy>? WaitStrategyOf(string name) => name.ToUpperInvariant() switch
    {
        "BLOCKING" => static () => new BlockingWaitStrategy(),
        "BLOCKINGYIELD" => static () => new BlockingWaitStrategy(yieldTries: 100),
        "YIELDING" => static () => new YieldingWaitStrategy(),
        "BUSYSPIN" => static () => new BusySpinWaitStrategy(),
        _ => null,
    };

    /// <summary>The pipeline layout a name stands for, or null when it names none.</summary>
    public static PipelineLayout? LayoutOf(string name) => name.ToUpperInvariant() switch
    {
        "SHARED" => PipelineLayout.Shared,
        "SEPARATE" => PipelineLayout.Separate,
        "COMPACT" => PipelineLayout.Compact,
        _ => null,
    };
}
