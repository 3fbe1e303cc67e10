using System.Runtime.CompilerServices;
using Ledger.Engine;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.State;
using Ledger.Journal.Entries;

namespace Ledger.Testing;

/// <summary>How the engines of a test keep entries.</summary>
public enum CacheMode
{
    /// <summary>No entry store: every entry stays in the engine's cache (what benchmarks of the engine alone run).</summary>
    Roomy,
    /// <summary>
    /// A real entry store (RocksDB in a temporary directory) behind a cache trimmed after every command: nearly every
    /// lookup of an existing entry goes through prefetch to the store, as for old entries in a long-running ledger.
    /// </summary>
    Tiny,
}

/// <summary>
/// An engine with what the host would put around it: the prefetch before each command, the store write after it (as
/// if journaled), and in <see cref="CacheMode.Tiny"/> a cache trimmed to its open holds after each command.
/// </summary>
public sealed class EngineRig : IDisposable
{
    private static readonly EntryStoreSettings SmallStore = new() { BlockCacheBytes = 8L << 20, WriteBufferBytes = 4L << 20, KeyFilterBytes = 1L << 20, WriteBuffers = 2, BackgroundJobs = 1 };
    private long _address = 64;

    internal EngineRig(LedgerEngine engine, string directory)
    {
        Engine = engine;
        Directory = directory;
        Store = EntryStore.Open(directory, SmallStore);
        Prefetcher = Store.Prefetcher();
        Writer = Store.Writer();
        Writer.WriteInitialCatalog(engine.Catalog);
    }

    public LedgerEngine Engine { get; private set; }
    public string Directory { get; }
    public EntryStore Store { get; }
    public StorePrefetcher Prefetcher { get; }
    public StoreWriter Writer { get; }

    public void Apply(LedgerCommand command)
    {
        command.DeriveLedgerFeeIds(Engine.Catalog); // as the pipeline's prefetch stage does
        Prefetcher.Add(command);
        Prefetcher.EndOfBatch();
        command.DeriveReversalFeeIds(Commands.FeesSeen(Engine));
        Engine.Apply(command);
        if (command.ChangedState)
        {
            command.JournalAddress = _address;
            command.JournalNextAddress = ++_address;
            Writer.Add(command);
            Writer.EndOfBatch();
        }
        Engine.TrimCache(Store.Watermark);
    }

    /// <summary>A restart: a new engine from the live state at the store's checkpoint (the old one is dropped).</summary>
    public LedgerEngine Restart(EngineSettings? settings = null)
    {
        var state = Store.LoadState();
        EngineRigs.Forget(Engine);
        // No checkpoint yet (nothing journaled): a restart is a new ledger with the catalog it was created with.
        settings ??= Commands.SmallEngine;
        Engine = state is null ? new LedgerEngine(Store.Catalog!, settings) : LedgerEngine.Restore(state, settings);
        EngineRigs.Remember(Engine, this);
        return Engine;
    }

    /// <summary>The entry as the ledger knows it: the cache first, then the store.</summary>
    public bool TryFind(AccountKey account, string correlationId, out EntryImage image)
    {
        Span<byte> key = stackalloc byte[EntryKeys.LengthMax];
        int length = EntryKeys.Normalize(correlationId, key);
        if (length <= 0)
        {
            image = default;
            return false;
        }
        var k = key[..length];
        int slot = Engine.Cache.Find(account.Packed, k, EntryKeys.Hash(account.Packed, k));
        if (slot >= 0)
        {
            image = Engine.Cache[slot];
            return true;
        }
        return Store.TryGet(account.Packed, k, out image);
    }

    public void Dispose()
    {
        Prefetcher.Dispose();
        Writer.Dispose();
        Store.Dispose();
        EntryStore.Delete(Directory);
    }
}

/// <summary>The engines tests build, by mode; a test fixture picks the mode and disposes what its test built.</summary>
public static class EngineRigs
{
    private static readonly ConditionalWeakTable<LedgerEngine, EngineRig> Rigs = new();
    // Per thread: NUnit runs a test's SetUp, body and TearDown on one thread (these tests are not parallel within a fixture).
    [ThreadStatic] private static CacheMode _mode;
    [ThreadStatic] private static List<EngineRig>? _built;

    /// <summary>The mode <see cref="Commands.NewEngine"/> builds engines in (per test: set it in a SetUp).</summary>
    public static CacheMode Mode
    {
        get => _mode;
        set => _mode = value;
    }

    public static LedgerEngine Create(EngineSettings? settings)
    {
        var engine = new LedgerEngine(Commands.DefaultCatalog, settings);
        if (Mode == CacheMode.Roomy) return engine;
        string directory = Path.Combine(Path.GetTempPath(), "ledger-tests", $"rig-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var rig = new EngineRig(engine, directory);
        Remember(engine, rig);
        (_built ??= []).Add(rig);
        return engine;
    }

    /// <summary>The rig around an engine, or null for a plain one.</summary>
    public static EngineRig? For(LedgerEngine engine) => Rigs.TryGetValue(engine, out var rig) ? rig : null;

    internal static void Remember(LedgerEngine engine, EngineRig rig) => Rigs.AddOrUpdate(engine, rig);

    internal static void Forget(LedgerEngine engine) => Rigs.Remove(engine);

    /// <summary>Disposes every rig built on this thread so far (call it in a TearDown).</summary>
    public static void DisposeBuilt()
    {
        if (_built is null) return;
        foreach (var rig in _built) rig.Dispose();
        _built.Clear();
    }
}
