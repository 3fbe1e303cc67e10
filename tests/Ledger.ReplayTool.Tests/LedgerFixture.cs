using NUnit.Framework;
using Ledger.Engine.Commands;
using Ledger.Engine.Hosting;
using Ledger.Journal;
using Ledger.Testing;

namespace Ledger.ReplayTool.Tests;

/// <summary>A data directory with a journal built by the real store and host from a seeded workload, and what the live engine ended with.</summary>
internal sealed class LedgerFixture : IDisposable
{
    public LedgerFixture(int seed, int commands, int snapshotAfter = 0)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "ledger-replay-tests", Guid.NewGuid().ToString("N"));
        Seed = seed;
        using var store = LedgerStore.Open(Options(Path));
        var workload = new RandomWorkload(seed);
        var all = new List<LedgerCommand>();
        if (snapshotAfter > 0)
        {
            all.AddRange(Run(store, workload.Take(snapshotAfter)));
            Snapshot(store);
        }
        all.AddRange(Run(store, workload.Take(commands - snapshotAfter)));
        Commands = all;
        StateHash = store.Engine.ComputeStateHash();
        LastSequence = store.Engine.LastSequence;
        LastRecord = store.Journal.CommittedRecordNumber;
        Balances = [];
        foreach (ref readonly var a in store.Engine.Accounts.All) Balances[a.Key] = a.Balances;
    }

    public string Path { get; }
    public int Seed { get; }
    public IReadOnlyList<LedgerCommand> Commands { get; }
    public ulong StateHash { get; }
    public long LastSequence { get; }
    public long LastRecord { get; }
    public Dictionary<Engine.Domain.AccountKey, Engine.Domain.Balances> Balances { get; }

    public string Journal => System.IO.Path.Combine(Path, LedgerStore.JournalDirectoryName);
    public string Snapshots => System.IO.Path.Combine(Path, LedgerStore.SnapshotDirectoryName);

    public static LedgerStoreOptions Options(string path) => new()
    {
        DataDir = path,
        Catalog = Testing.Commands.DefaultCatalog,
        Journal = new JournalSettings { PageSizeBits = 16, MemorySizeBits = 20, SegmentSizeBits = 20 },
    };

    private static List<LedgerCommand> Run(LedgerStore store, IEnumerable<LedgerCommand> commands)
    {
        var list = commands.ToList();
        using var host = new EngineHost(store.Engine, store.Journal, [], new EngineHostSettings { TickInterval = TimeSpan.Zero });
        host.Start();
        Task.WhenAll(list.Select(c => host.SubmitAsync(c).AsTask())).GetAwaiter().GetResult();
        host.Stop();
        return list;
    }

    private static void Snapshot(LedgerStore store)
    {
        using var done = new ManualResetEventSlim();
        store.Snapshots.SnapshotWritten += _ => done.Set();
        store.Snapshots.Start();
        store.Snapshots.RequestSnapshot();
        Assert.That(done.Wait(TimeSpan.FromSeconds(60)), Is.True, "no snapshot was written within 60 s");
        store.Snapshots.Stop();
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
