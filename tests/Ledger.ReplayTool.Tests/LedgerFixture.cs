using Ledger.Engine.Commands;
using Ledger.Engine.Hosting;
using Ledger.Journal;
using Ledger.Journal.Entries;
using Ledger.Testing;
using NUnit.Framework;

namespace Ledger.ReplayTool.Tests;

/// <summary>
/// A data directory with a journal built by the real store and host from a seeded workload, and what the live engine
/// ended with. With <paramref name="checkpointAfter"/>, its entry store is the one that stood after that many commands (as
/// after a crash between checkpoints): the tools then start from that checkpoint and replay the rest of the journal.
/// </summary>
internal sealed class LedgerFixture : IDisposable
{
    public LedgerFixture(int seed, int commands, int checkpointAfter = 0, int segmentSizeBits = 20)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "ledger-replay-tests", Guid.NewGuid().ToString("N"));
        Seed = seed;
        SegmentSizeBits = segmentSizeBits;
        var workload = new RandomWorkload(seed);
        var all = new List<LedgerCommand>();
        string olderStore = System.IO.Path.Combine(Path, "store-at-checkpoint");
        if (checkpointAfter > 0)
        {
            using (var first = LedgerStore.Open(Options(Path, segmentSizeBits))) all.AddRange(Run(first, workload.Take(checkpointAfter)));
            DataDirs.CopyDirectory(Store, olderStore);
        }
        using var store = LedgerStore.Open(Options(Path, segmentSizeBits));
        all.AddRange(Run(store, workload.Take(commands - checkpointAfter)));
        Commands = all;
        StateHash = store.Engine.ComputeStateHash();
        LastSequence = store.Engine.LastSequence;
        LastRecord = store.Journal.CommittedRecordNumber;
        Balances = [];
        foreach (ref readonly var a in store.Engine.Accounts.All) Balances[a.Key] = a.Balances;
        store.Dispose();
        if (checkpointAfter > 0)
        {
            Directory.Delete(Store, recursive: true);
            Directory.Move(olderStore, Store);
            CheckpointRecord = checkpointAfter > 0 ? RecordAfter(checkpointAfter) : 0;
        }
    }

    /// <summary>The journal record the entry store's checkpoint is at (0: the store covers the whole journal).</summary>
    public long CheckpointRecord { get; }

    public int SegmentSizeBits { get; }

    private long RecordAfter(int commands) => Commands.Take(commands).Count(c => c.ChangedState) + 1; // + the catalog, record 1

    public string Path { get; }
    public int Seed { get; }
    public IReadOnlyList<LedgerCommand> Commands { get; }
    public ulong StateHash { get; }
    public long LastSequence { get; }
    public long LastRecord { get; }
    public Dictionary<Engine.Domain.AccountKey, Engine.Domain.Balances> Balances { get; }

    public string Journal => System.IO.Path.Combine(Path, LedgerStore.JournalDirectoryName);
    public string Store => System.IO.Path.Combine(Path, Ledger.Journal.Entries.EntryStore.DirectoryName);

    public static LedgerStoreSettings Options(string path, int segmentSizeBits = 20) => new()
    {
        DataDir = path,
        Catalog = Testing.Commands.DefaultCatalog,
        Journal = new JournalSettings { PageSizeBits = 16, MemorySizeBits = 20, SegmentSizeBits = segmentSizeBits },
        Engine = new Engine.EngineSettings { AccountCapacity = 1_024, EntryCacheEntries = 16 },
        EntryStore = new Ledger.Journal.Entries.EntryStoreSettings { BlockCacheBytes = 8L << 20, WriteBufferBytes = 4L << 20, KeyFilterBytes = 1L << 20, BackgroundJobs = 1 },
    };

    private static List<LedgerCommand> Run(LedgerStore store, IEnumerable<LedgerCommand> commands)
    {
        var list = commands.ToList();
        using var host = new EngineHost(store.Engine, store.Journal, [], new EngineHostSettings { TickInterval = TimeSpan.Zero }, store.Prefetcher, store.StoreWriter);
        host.Start();
        Task.WhenAll(list.Select(c => host.SubmitAsync(c).AsTask())).GetAwaiter().GetResult();
        host.Stop();
        return list;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }
}
