using Ledger.Engine;
using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;

namespace Ledger.Perf;

/// <summary>
/// The workload the benchmarks and the throughput harness share: the repo's catalog (built in code, so the
/// perf projects reference the engine only), a book of presized accounts, and requests built up front so no
/// measured loop formats a string or allocates a request.
/// Usage: <c>var engine = PerfWorkload.NewEngine(1_000_000, entryCapacity); var requests = PerfWorkload.SingleEntries(n, 1_000_000, 0, seed: 1);</c>
/// </summary>
internal static class PerfWorkload
{
    /// <summary>Card refund: credit, allowed kinds ledger, one rule (maxAmount 1 000 000) evaluated per entry.</summary>
    public const int CreditCode = 999;
    /// <summary>Fee: debit that may overdraw (within the account's overdraft), so debits never decline.</summary>
    public const int DebitCode = 700;
    /// <summary>Keeps every debit of a run inside the overdraft: amounts are at most <see cref="AmountMaxMinor"/>.</summary>
    public const long OverdraftMinor = 1_000_000_000_000;
    public const long AmountMaxMinor = 100_000;
    /// <summary>Hot-account traffic: this share of entries goes to <see cref="HotAccounts"/> accounts.</summary>
    public const double HotShare = 0.9;
    public const int HotAccounts = 10;

    public static readonly CurrencyCode Usd = CurrencyCode.Parse("USD");

    /// <summary>2026-06-21T00:00:00Z: every command carries it, so the clock never moves and no hold expires.</summary>
    public static readonly long T0 = new DateTime(2026, 6, 21, 0, 0, 0, DateTimeKind.Utc).Ticks;

    /// <summary>A realistic card-terminal description: hashed per entry by the engine (idempotency compares it).</summary>
    public const string Description = "POS 4711 ACME STORE BERLIN";

    /// <summary>The codes of engine/Catalog/history-codes.json.</summary>
    /// <summary>The catalog shipped in the repo (engine/Catalog/history-codes.json, copied beside every binary that uses the engine).</summary>
    public static HistoryCatalog Catalog() => HistoryCatalogFile.Load(HistoryCatalogFile.DefaultPath);

    public static AccountKey Account(int index) => new(1, 10_000_000 + index);

    /// <summary>
    /// An engine presized for <paramref name="entryCapacity"/> entries, with accounts 0..n-1 open (USD, overdraft);
    /// with <paramref name="prefault"/>, its tables are resident before the first entry (EngineSettings.PrefaultTables).
    /// </summary>
    public static LedgerEngine NewEngine(int accounts, int entryCapacity, bool prefault = true)
    {
        var engine = new LedgerEngine(Catalog(), new EngineSettings { AccountCapacity = accounts, EntryCacheEntries = entryCapacity, PrefaultTables = prefault });
        const int chunk = 10_000;
        var open = new LedgerCommand();
        for (int first = 0; first < accounts; first += chunk)
        {
            int n = Math.Min(chunk, accounts - first);
            open.Reset();
            open.TimestampTicks = T0;
            open.SetOpenAccounts(n);
            for (int j = 0; j < n; j++)
            {
                open.Openings[j] = new AccountOpening { Account = Account(first + j), Currency = Usd, OverdraftLimitMinor = OverdraftMinor };
            }
            engine.Apply(open);
            if (!open.Result.IsOk) throw new InvalidOperationException($"Opening accounts {first}..{first + n - 1} failed: {open.Result.Code}.");
        }
        return engine;
    }

    /// <summary>
    /// Single-entry requests, each with a fresh correlation id (36-char UUID form), alternating card refunds
    /// (credit) and fees (debit) with random amounts. <paramref name="hotShare"/> of them go to the first
    /// <see cref="HotAccounts"/> accounts, the rest uniformly over all <paramref name="accounts"/>.
    /// </summary>
    public static EntryRequest[] SingleEntries(int count, int accounts, double hotShare, int seed)
    {
        var random = new Random(seed);
        var requests = new EntryRequest[count];
        for (int i = 0; i < count; i++)
        {
            int account = random.NextDouble() < hotShare ? random.Next(HotAccounts) : random.Next(accounts);
            requests[i] = Entry(Account(account), i, seed, random);
        }
        return requests;
    }

    /// <summary>Batches of <paramref name="batchSize"/> entries on one (random) account each, laid out back to back.</summary>
    public static EntryRequest[] Batches(int batches, int batchSize, int accounts, int seed)
    {
        var random = new Random(seed);
        var requests = new EntryRequest[batches * batchSize];
        for (int b = 0; b < batches; b++)
        {
            var account = Account(random.Next(accounts));
            for (int j = 0; j < batchSize; j++)
            {
                int i = b * batchSize + j;
                requests[i] = Entry(account, i, seed, random);
            }
        }
        return requests;
    }

    private static EntryRequest Entry(AccountKey account, int i, int seed, Random random) => new()
    {
        Account = account,
        Kind = EntryKind.Ledger,
        CorrelationId = CorrelationId(seed, i),
        Description = Description,
        EntryType = (i & 1) == 0 ? CreditCode : DebitCode,
        HasAmount = true,
        AmountMinor = 1 + random.NextInt64(AmountMaxMinor),
        Currency = Usd,
    };

    /// <summary>A unique, deterministic id shaped like the UUIDs partners send (36 chars).</summary>
    public static string CorrelationId(int seed, int i) =>
        new Guid(i, (short)seed, 0x4000, 0x80, 0, 0, 0, 0, 0, 0, 0).ToString("D");

    /// <summary>Commands to reuse, each prepared for a post of <paramref name="entries"/> entries (what a gateway's pool holds).</summary>
    public static LedgerCommand[] CommandPool(int size, int entries)
    {
        var pool = new LedgerCommand[size];
        for (int i = 0; i < size; i++)
        {
            pool[i] = new LedgerCommand();
            pool[i].SetPost(entries); // sizes events, changes and lookups for that many entries too
        }
        return pool;
    }
}
