using BenchmarkDotNet.Attributes;
using Ledger.Engine;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.State;
using Ledger.Journal.Entries;
using Ledger.Perf;
using Ledger.ReadSide;

namespace Ledger.Benchmarks;

/// <summary>
/// Lookups in the two RocksDB stores, filled once per process (<see cref="StoreFixture"/>: <see cref="StoreFixture.Entries"/>
/// entries over <see cref="StoreFixture.Accounts"/> accounts, in a temporary directory deleted at exit) with default settings:
/// <list type="bullet">
/// <item>The entry store's lookup of an entry by (account, correlationId) as the pipeline does it before the engine
/// (<see cref="StorePrefetcher"/>: key filter, then a batched MultiGet), for a one-entry command whose id is in the
/// store (<see cref="PrefetchHit"/>, a replay of an old entry) and one whose id is not (<see cref="PrefetchMiss"/>, a
/// new entry: the key filter answers without RocksDB), and the tools' point read (<see cref="EntryStore.TryGet"/>,
/// <see cref="TryGetHit"/>).</item>
/// <item>The read store's balance read (<see cref="ReadStore.TryGetAccount"/>: the account row, then its newest balance
/// row; what <c>GET …/balances</c> serves), <see cref="ReadStoreBalance"/>.</item>
/// </list>
/// Each invocation looks up <see cref="LookupsPerInvoke"/> different keys (ids spread over the whole store, so reads do
/// not sit in one block) and reports time per lookup. Every lookup checks its answer (found or not, the right
/// account), so a fast wrong answer fails.
/// </summary>
[MemoryDiagnoser]
public class StoreLookupBenchmarks
{
    public const int LookupsPerInvoke = 1_000;

    private StoreFixture _fixture = null!;
    private LedgerCommand _command = null!;
    private StorePrefetcher _prefetcher = null!;
    private string[] _hits = [];
    private string[] _misses = [];
    private AccountKey[] _hitAccounts = [];
    private byte[][] _hitKeys = [];

    [GlobalSetup]
    public void Setup()
    {
        _fixture = StoreFixture.Shared.Value;
        if (PerfWorkload.Catalog().HasFees) throw new InvalidOperationException("The fixture's catalog has a fee: PrefetchMiss would not be the no-fee case.");
        _prefetcher = _fixture.Store.Prefetcher();
        _command = new LedgerCommand();
        var random = new Random(5);
        _hits = new string[LookupsPerInvoke];
        _hitAccounts = new AccountKey[LookupsPerInvoke];
        _hitKeys = new byte[LookupsPerInvoke][];
        _misses = new string[LookupsPerInvoke];
        for (int i = 0; i < LookupsPerInvoke; i++)
        {
            int entry = random.Next(StoreFixture.Entries);
            _hits[i] = StoreFixture.Id(entry);
            _hitAccounts[i] = StoreFixture.AccountOf(entry);
            var key = new byte[EntryKeys.LengthMax];
            _hitKeys[i] = key[..EntryKeys.Normalize(_hits[i], key)];
            _misses[i] = StoreFixture.Id(StoreFixture.Entries + i);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _prefetcher.Dispose();

    [Benchmark(OperationsPerInvoke = LookupsPerInvoke)]
    public int PrefetchHit()
    {
        int found = 0;
        for (int i = 0; i < LookupsPerInvoke; i++) found += Prefetch(_hitAccounts[i], _hits[i]);
        if (found != LookupsPerInvoke) throw new InvalidOperationException($"{LookupsPerInvoke - found} stored entries were not found.");
        return found;
    }

    [Benchmark(OperationsPerInvoke = LookupsPerInvoke)]
    public int PrefetchMiss()
    {
        int found = 0;
        for (int i = 0; i < LookupsPerInvoke; i++) found += Prefetch(_hitAccounts[i], _misses[i]);
        if (found != 0) throw new InvalidOperationException($"{found} ids that were never stored were found.");
        return found;
    }

    /// <summary><see cref="PrefetchMiss"/> with a fee in force (a catalog with a <c>fee</c> rule): the entry's fee id is looked up too.</summary>
    [Benchmark(OperationsPerInvoke = LookupsPerInvoke)]
    public int PrefetchMissFeeInForce()
    {
        int found = 0;
        for (int i = 0; i < LookupsPerInvoke; i++) found += Prefetch(_hitAccounts[i], _misses[i], feesInForce: true);
        if (found != 0) throw new InvalidOperationException($"{found} ids that were never stored were found.");
        return found;
    }

    [Benchmark(OperationsPerInvoke = LookupsPerInvoke)]
    public int TryGetHit()
    {
        int found = 0;
        for (int i = 0; i < LookupsPerInvoke; i++)
        {
            if (_fixture.Store.TryGet(_hitAccounts[i].Packed, _hitKeys[i], out var image) && image.AccountPacked == _hitAccounts[i].Packed) found++;
        }
        if (found != LookupsPerInvoke) throw new InvalidOperationException($"{LookupsPerInvoke - found} stored entries were not found.");
        return found;
    }

    [Benchmark(OperationsPerInvoke = LookupsPerInvoke)]
    public long ReadStoreBalance()
    {
        long sum = 0;
        for (int i = 0; i < LookupsPerInvoke; i++)
        {
            var account = _hitAccounts[i];
            if (!_fixture.Read.TryGetAccount(account, out var read) || read.Key != account) throw new InvalidOperationException($"{account} is not in the read store.");
            sum += read.Balances.AvailableMinor;
        }
        return sum;
    }

    /// <summary>
    /// One single-entry post through the prefetcher, as the pipeline's prefetch stage runs it (under the fixture's
    /// catalog, which has no fee, unless <paramref name="feesInForce"/>); 1 when the store had the id.
    /// </summary>
    private int Prefetch(AccountKey account, string id, bool feesInForce = false)
    {
        _command.Reset();
        _command.SetPost(1);
        _command.FeesInForce = feesInForce;
        _command.Entries[0] = new EntryRequest
        {
            Account = account, Kind = EntryKind.Ledger, CorrelationId = id, EntryType = PerfWorkload.CreditCode, HasAmount = true, AmountMinor = 1, Currency = PerfWorkload.Usd,
        };
        _prefetcher.Add(_command);
        _prefetcher.EndOfBatch();
        return _command.Lookups[0].Found ? 1 : 0;
    }
}

/// <summary>
/// An entry store and a read store holding the same <see cref="Entries"/> entries, built once per process: the engine
/// decides 100-entry posts over <see cref="Accounts"/> accounts (every entry stays in its cache, so no prefetch is needed
/// while filling), and every decided command goes to the entry store's writer (as if journaled) and its events to the
/// read store's writer, committed every 100 commands. About 10-30 s on this box; the directory is deleted at exit.
/// </summary>
public sealed class StoreFixture : IDisposable
{
    public const int Entries = 1_000_000;
    public const int Accounts = 10_000;
    private const int Batch = 100;

    public static readonly Lazy<StoreFixture> Shared = new(() => new StoreFixture());

    public EntryStore Store { get; }
    public ReadStore Read { get; }
    public string Directory { get; }

    public static string Id(int entry) => PerfWorkload.CorrelationId(9, entry);

    /// <summary>Entry i is in post i / 100, on account (i / 100) mod <see cref="Accounts"/>.</summary>
    public static AccountKey AccountOf(int entry) => PerfWorkload.Account(entry / Batch % Accounts);

    private StoreFixture()
    {
        Directory = Path.Combine(Path.GetTempPath(), "ledger-bench-stores-" + Environment.ProcessId);
        if (System.IO.Directory.Exists(Directory)) System.IO.Directory.Delete(Directory, recursive: true);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Store = EntryStore.Open(Path.Combine(Directory, EntryStore.DirectoryName));
        Read = ReadStore.Open(Path.Combine(Directory, ReadStore.DirectoryName), new ReadStoreSettings { IdKeys = false }); // the ledger's: the entry store answers by id
        Read.LookUpIdsIn(Store);
        var engine = new LedgerEngine(PerfWorkload.Catalog(), new EngineSettings { AccountCapacity = Accounts, EntryCacheEntries = Entries + 1024 });
        using var writer = Store.Writer();
        using var readWriter = Read.Writer();
        writer.WriteInitialCatalog(engine.Catalog);
        long address = 64, record = 0;
        var command = new LedgerCommand();

        void Decided()
        {
            if (!command.Result.IsOk) throw new InvalidOperationException($"Filling the stores: record {command.RecordNumber} was {command.Result.Code}.");
            command.JournalAddress = address;
            command.JournalNextAddress = address += 1024;
            writer.Add(command);
            readWriter.Add(command.EventSpan, ++record, command.JournalNextAddress);
        }
        void Flush()
        {
            writer.EndOfBatch();
            readWriter.Commit();
        }

        for (int first = 0; first < Accounts; first += 1_000)
        {
            command.Reset();
            command.TimestampTicks = PerfWorkload.T0;
            command.SetOpenAccounts(1_000);
            for (int j = 0; j < 1_000; j++)
                command.Openings[j] = new AccountOpening { Account = PerfWorkload.Account(first + j), Currency = PerfWorkload.Usd, OverdraftLimitMinor = PerfWorkload.OverdraftMinor };
            engine.Apply(command);
            Decided();
        }
        Flush();
        for (int post = 0; post < Entries / Batch; post++)
        {
            command.Reset();
            command.TimestampTicks = PerfWorkload.T0;
            command.SetPost(Batch);
            for (int j = 0; j < Batch; j++)
            {
                int entry = post * Batch + j;
                command.Entries[j] = new EntryRequest
                {
                    Account = AccountOf(entry), Kind = EntryKind.Ledger, CorrelationId = Id(entry), Description = PerfWorkload.Description,
                    EntryType = (j & 1) == 0 ? PerfWorkload.CreditCode : PerfWorkload.DebitCode, HasAmount = true, AmountMinor = 1 + j, Currency = PerfWorkload.Usd,
                };
            }
            engine.Apply(command);
            Decided();
            if (post % 100 == 99) Flush();
        }
        Flush();
        Store.Checkpoint();
        Read.Checkpoint();
        Console.WriteLine($"// [stores] {Entries:N0} entries over {Accounts:N0} accounts in the entry and read stores in {clock.Elapsed.TotalSeconds:0.0} s ({Directory})");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Dispose();
    }

    public void Dispose()
    {
        Store.Dispose();
        Read.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // left behind in /tmp
        }
    }
}
