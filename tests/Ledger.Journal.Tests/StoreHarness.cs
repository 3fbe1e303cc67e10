using Ledger.Engine.Commands;
using Ledger.Engine.Hosting;
using Ledger.Journal.Entries;
using Ledger.Testing;

namespace Ledger.Journal.Tests;

/// <summary>Opens stores on a directory and drives them with a real <see cref="EngineHost"/>.</summary>
internal static class StoreHarness
{
    public static LedgerStoreSettings Options(string dir) => new()
    {
        DataDir = dir,
        Catalog = Commands.DefaultCatalog,
        Journal = new JournalSettings { PageSizeBits = 16, MemorySizeBits = 20, SegmentSizeBits = 20 }, // small pages and segments: page and file boundaries get crossed
        Engine = new Engine.EngineSettings { AccountCapacity = 1_024, EntryCacheEntries = 16 }, // a small cache: old entries come from the store
        EntryStore = new Ledger.Journal.Entries.EntryStoreSettings { BlockCacheBytes = 8L << 20, WriteBufferBytes = 4L << 20, KeyFilterBytes = 1L << 20, BackgroundJobs = 1 },
    };

    public static EngineHostSettings HostSettings => new() { TickInterval = TimeSpan.Zero, RingSize = 1024 };

    /// <summary>Submits the commands in order (many in flight, so batches group-commit) and waits for all.</summary>
    public static async Task RunAsync(LedgerStore store, IEnumerable<LedgerCommand> commands)
    {
        using var host = new EngineHost(store.Engine, store.Journal, [], HostSettings, store.Prefetcher, store.StoreWriter);
        host.Start();
        var pending = new List<Task>();
        foreach (var c in commands) pending.Add(host.SubmitAsync(c).AsTask());
        await Task.WhenAll(pending);
        host.Stop();
    }

    public static void Run(LedgerStore store, IEnumerable<LedgerCommand> commands) => RunAsync(store, commands).GetAwaiter().GetResult();
}
