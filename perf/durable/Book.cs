using Ledger.Engine;
using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Hosting;
using Ledger.Journal;

namespace Ledger.Perf.Durable;

/// <summary>Shared set-up: a fresh data directory, a store, accounts, and single-entry deposit commands.</summary>
internal static class Book
{
    public static readonly CurrencyCode Usd = CurrencyCode.Parse("USD");

    public static LedgerStoreSettings Options(string dir, long entries, int accounts) => new()
    {
        DataDir = dir,
        Catalog = HistoryCatalogFile.Load(HistoryCatalogFile.DefaultPath),
        // Presized like a production config would be, so table growth does not pause the engine thread mid-run.
        // The service's defaults (gateway Ledger:Memory), with the account table presized.
        Engine = new EngineSettings { AccountCapacity = accounts + 16, EntryCacheEntries = 1 << 20, OpenHoldsMax = 500_000 },
    };

    public static void Fresh(string dir)
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
    }

    public static AccountKey Account(int i) => new(1 + i % 100, 100_000 + i);

    /// <summary>Opens <paramref name="count"/> accounts through the host (journal and entry store), 10 000 per command.</summary>
    public static void OpenAccounts(EngineHost host, int count)
    {
        const int chunk = 10_000;
        for (int first = 0; first < count; first += chunk)
        {
            int n = Math.Min(chunk, count - first);
            var open = new LedgerCommand();
            open.SetOpenAccounts(n);
            for (int i = 0; i < n; i++) open.Openings[i] = new AccountOpening { Account = Account(first + i), Currency = Usd };
            host.SubmitAsync(open).AsTask().GetAwaiter().GetResult();
            if (open.Result.Code != ResultCode.Ok) throw new InvalidOperationException($"Opening accounts failed: {open.Result.Code}");
        }
    }

    /// <summary>A batch of <paramref name="count"/> deposits on one account, ids <paramref name="prefix"/>0.. .</summary>
    public static void Deposits(LedgerCommand c, AccountKey account, string prefix, int count, long amount)
    {
        c.SetPost(count);
        for (int i = 0; i < count; i++)
        {
            c.Entries[i] = new EntryRequest
            {
                Account = account, Kind = EntryKind.Ledger, CorrelationId = prefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                EntryType = 100, HasAmount = true, AmountMinor = amount, Currency = Usd, Description = "salary",
            };
        }
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
