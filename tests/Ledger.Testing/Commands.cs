using Ledger.Engine;
using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;

namespace Ledger.Testing;

/// <summary>Builders for commands and engines, shared by every test project.</summary>
public static class Commands
{
    public static readonly CurrencyCode Usd = CurrencyCode.Parse("USD");
    public static readonly CurrencyCode Eur = CurrencyCode.Parse("EUR");
    public static readonly CurrencyCode Jpy = CurrencyCode.Parse("JPY");
    public static readonly CurrencyCode Bhd = CurrencyCode.Parse("BHD");

    /// <summary>2026-06-21T00:00:00Z, the default clock of tests.</summary>
    public static readonly long T0 = new DateTime(2026, 6, 21, 0, 0, 0, DateTimeKind.Utc).Ticks;

    /// <summary>T0 plus a number of seconds: command timestamps and hold expiries of tests.</summary>
    public static long At(double seconds) => T0 + (long)(seconds * TimeSpan.TicksPerSecond);

    private static readonly Lazy<HistoryCatalog> DefaultCatalogLazy = new(() => HistoryCatalogFile.Load(HistoryCatalogFile.DefaultPath));

    /// <summary>The catalog shipped in the repo.</summary>
    public static HistoryCatalog DefaultCatalog => DefaultCatalogLazy.Value;

    /// <summary>An engine with the default catalog, in the current <see cref="EngineRigs.Mode"/>.</summary>
    public static LedgerEngine NewEngine(EngineSettings? settings = null) => EngineRigs.Create(settings ?? SmallEngine);

    /// <summary>
    /// The sizes tests build engines with unless they say otherwise (the engine's own defaults are the service's, 1 M
    /// accounts and entries: too much for the hundreds of engines a test run builds).
    /// </summary>
    public static readonly EngineSettings SmallEngine = new() { AccountCapacity = 1_024, EntryCacheEntries = 65_536 };

    public static AccountKey Account(long number, int branch = 1) => new(branch, number);

    public static LedgerCommand Open(AccountKey account, CurrencyCode? currency = null, long overdraft = 0, long at = 0)
    {
        var c = new LedgerCommand { TimestampTicks = at == 0 ? T0 : at };
        c.SetOpenAccounts(1);
        c.Openings[0] = new AccountOpening { Account = account, Currency = currency ?? Usd, OverdraftLimitMinor = overdraft };
        return c;
    }

    public static EntryRequest Posting(AccountKey account, string correlationId, int entryType, long amount, CurrencyCode? currency = null, string? description = null) => new()
    {
        Account = account, Kind = EntryKind.Ledger, CorrelationId = correlationId, EntryType = entryType,
        HasAmount = true, AmountMinor = amount, Currency = currency ?? Usd, Description = description,
    };

    public static EntryRequest Hold(AccountKey account, string correlationId, int entryType, long amount, long expiresAt = 0, CurrencyCode? currency = null) => new()
    {
        Account = account, Kind = EntryKind.Blocking, CorrelationId = correlationId, EntryType = entryType,
        HasAmount = true, AmountMinor = amount, Currency = currency ?? Usd, ExpiresAtTicks = expiresAt,
    };

    public static EntryRequest Unblock(AccountKey account, string correlationId, string hold, long? amount = null) => new()
    {
        Account = account, Kind = EntryKind.Unblocking, CorrelationId = correlationId, EntryType = -1,
        Reference = hold, HasAmount = amount.HasValue, AmountMinor = amount ?? 0,
    };

    public static EntryRequest Reverse(AccountKey account, string correlationId, string original) => new()
    {
        Account = account, Kind = EntryKind.Reversal, CorrelationId = correlationId, EntryType = -1, Reference = original,
    };

    public static EntryRequest Remove(AccountKey account, string correlationId, string pending) => new()
    {
        Account = account, Kind = EntryKind.Removal, CorrelationId = correlationId, EntryType = -1, Reference = pending,
    };

    public static LedgerCommand Post(params EntryRequest[] entries) => PostAt(T0, entries);

    public static LedgerCommand PostAt(long at, params EntryRequest[] entries)
    {
        var c = new LedgerCommand { TimestampTicks = at };
        c.SetPost(entries.Length);
        entries.CopyTo(c.Entries, 0);
        return c;
    }

    public static LedgerCommand Bundle(string bundleId, params EntryRequest[] entries)
    {
        var c = Post(entries);
        c.BundleId = bundleId;
        return c;
    }

    public static LedgerCommand Delete(AccountKey account, string correlationId, long at = 0)
    {
        var c = new LedgerCommand { TimestampTicks = at == 0 ? T0 : at };
        c.SetRemove(account, correlationId);
        return c;
    }

    public static LedgerCommand Tick(long at)
    {
        var c = new LedgerCommand { TimestampTicks = at };
        c.SetTick();
        return c;
    }

    /// <summary>Restricts the command to the named domains of the default catalog (a partner's <c>domain:NAME</c> scopes).</summary>
    public static LedgerCommand Permitting(this LedgerCommand command, params string[] domains)
    {
        ulong mask = 0;
        foreach (var domain in domains)
        {
            int bit = DefaultCatalog.DomainBit(domain);
            if (bit < 0) throw new ArgumentException($"The default catalog has no domain '{domain}'.", nameof(domains));
            mask |= 1UL << bit;
        }
        command.PermittedDomains = mask;
        return command;
    }

    /// <summary>Applies and returns the command, for fluent tests (through the engine's rig when it has one: prefetch, apply, store).</summary>
    public static LedgerCommand ApplyTo(this LedgerCommand command, LedgerEngine engine)
    {
        if (EngineRigs.For(engine) is { } rig) rig.Apply(command);
        else
        {
            command.DeriveLedgerFeeIds(engine.Catalog); // the fee ids, as the pipeline's prefetch stage derives them
            command.DeriveReversalFeeIds(FeesSeen(engine));
            engine.Apply(command);
        }
        return command;
    }

    /// <summary>What the prefetch stage knows of an engine it feeds command by command: an entry it holds may carry a fee.</summary>
    public static bool FeesSeen(LedgerEngine engine) => engine.Catalog.HasFees || engine.FeesPosted > 0;

    public static Balances BalancesOf(this LedgerEngine engine, AccountKey account) =>
        engine.TryGetAccount(account, out var state) ? state.Balances : throw new InvalidOperationException($"No account {account}.");
}
