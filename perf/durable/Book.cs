using Ledger.Engine;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Journal;
using Ledger.Journal.Catalog;

namespace Ledger.Perf.Durable;

/// <summary>Shared set-up: a fresh data directory, a store, accounts, and single-entry deposit commands.</summary>
internal static class Book
{
    public static readonly CurrencyCode Usd = CurrencyCode.Parse("USD");

    public static LedgerStoreOptions Options(string dir, long entries, int accounts) => new()
    {
        DataDir = dir,
        Catalog = HistoryCatalogFile.Load(HistoryCatalogFile.DefaultPath),
        // Presized like a production config would be, so table growth does not pause the engine thread mid-run.
        Engine = new EngineSettings { AccountCapacity = accounts + 16, EntryCapacity = (int)Math.Min(int.MaxValue / 4, entries + 1024) },
        SnapshotEveryEntries = long.MaxValue / 2,
        SnapshotEvery = TimeSpan.FromDays(1),
    };

    public static void Fresh(string dir)
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
    }

    public static AccountKey Account(int i) => new(1 + i % 100, 100_000 + i);

    /// <summary>Opens <paramref name="count"/> accounts through the journal, before any host runs.</summary>
    public static void OpenAccounts(LedgerStore store, int count)
    {
        const int chunk = 100_000;
        for (int first = 0; first < count; first += chunk)
        {
            int n = Math.Min(chunk, count - first);
            var open = new LedgerCommand { TimestampTicks = DateTime.UtcNow.Ticks };
            open.SetOpenAccounts(n);
            for (int i = 0; i < n; i++) open.Openings[i] = new AccountOpening { Account = Account(first + i), Currency = Usd };
            store.Engine.Apply(open);
            if (open.Result.Code != ResultCode.Ok) throw new InvalidOperationException($"Opening accounts failed: {open.Result.Code}");
            store.Journal.Append(open);
        }
        store.Journal.Commit();
    }

    /// <summary>A one-entry deposit (history code 100) with a fresh correlation id.</summary>
    public static void Deposit(LedgerCommand c, AccountKey account, string correlationId, long amount)
    {
        c.SetPost(1);
        c.Entries[0] = new EntryRequest
        {
            Account = account, Kind = EntryKind.Ledger, CorrelationId = correlationId, EntryType = 100,
            HasAmount = true, AmountMinor = amount, Currency = Usd,
        };
    }

    public static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.00} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
        _ => $"{bytes / 1024.0:0.0} KiB",
    };

    public static long DirectorySize(string dir) => new DirectoryInfo(dir).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
}
