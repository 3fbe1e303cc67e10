using Ledger.Engine;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using static Ledger.Testing.Commands;

namespace Ledger.Testing;

/// <summary>
/// A seeded stream of realistic commands over a small book: account openings, deposits, purchases (some declined for
/// funds or rules, which the ledger remembers), holds with and without expiry, partial and full unblocks, reversals,
/// removals and DELETEs, bundles across accounts, clock ticks, and retries of earlier commands (same payload, and
/// conflicting payload). The same seed always gives the same commands, so two engines fed from two instances agree.
/// Usage: <c>var w = new RandomWorkload(seed: 7); foreach (var c in w.Take(1_000)) engine.Apply(c);</c>
/// </summary>
public sealed class RandomWorkload
{
    private readonly Random _random;
    private readonly int _accounts;
    private readonly List<(AccountKey Account, string Id)> _postings = [];
    private readonly List<(AccountKey Account, string Id)> _holds = [];
    private readonly List<Func<LedgerCommand>> _sent = [];
    private long _clock = T0;
    private int _next;
    private bool _opened;

    public RandomWorkload(int seed, int accounts = 16)
    {
        _random = new Random(seed);
        _accounts = accounts;
    }

    /// <summary>The workload's clock (UTC ticks) after the last command it made.</summary>
    public long ClockTicks => _clock;

    public IEnumerable<LedgerCommand> Take(int count)
    {
        for (int i = 0; i < count; i++) yield return Next();
    }

    public AccountKey AccountAt(int i) => Account(1000 + i, branch: 1 + i % 3);

    public LedgerCommand Next()
    {
        _clock += TimeSpan.TicksPerMillisecond * _random.Next(1, 2_000);
        if (!_opened)
        {
            _opened = true;
            var open = new LedgerCommand { TimestampTicks = _clock };
            open.SetOpenAccounts(_accounts);
            for (int i = 0; i < _accounts; i++)
            {
                open.Openings[i] = new AccountOpening { Account = AccountAt(i), Currency = Usd, OverdraftLimitMinor = i % 4 == 0 ? 5_000 : 0 };
            }
            return open;
        }
        int roll = _random.Next(100);
        Func<LedgerCommand> make;
        if (roll < 5 && _sent.Count > 0)
        {
            make = _sent[_random.Next(_sent.Count)]; // a retry: the same request again
        }
        else if (roll < 7 && _postings.Count > 0)
        {
            var (a, id) = _postings[_random.Next(_postings.Count)];
            long at = _clock;
            make = () => PostAt(at, Posting(a, id, 100, 1)); // reuses an id with another payload: 409, not journaled
        }
        else
        {
            make = Fresh(roll);
            _sent.Add(make);
        }
        var command = make();
        if (command.Kind != CommandKind.Tick) command.TimestampTicks = _clock;
        return command;
    }

    private string NewId(string prefix) => $"{prefix}-{_next++}";

    private AccountKey AnyAccount() => AccountAt(_random.Next(_accounts));

    private Func<LedgerCommand> Fresh(int roll)
    {
        long at = _clock;
        var a = AnyAccount();
        switch (roll)
        {
            case < 30:
            {
                var id = NewId("dep");
                _postings.Add((a, id));
                long amount = _random.Next(1, 50_000);
                string? description = _random.Next(4) == 0 ? $"salary {id}" : null;
                return () => PostAt(at, Posting(a, id, 100, amount, description: description));
            }
            case < 50:
            {
                var id = NewId("buy");
                _postings.Add((a, id));
                long amount = _random.Next(1, 30_000) * (_random.Next(20) == 0 ? 100 : 1); // sometimes above the 998 rule's max
                return () => PostAt(at, Posting(a, id, 998, amount));
            }
            case < 62:
            {
                var id = NewId("hold");
                _holds.Add((a, id));
                long expires = _random.Next(3) == 0 ? at + TimeSpan.TicksPerSecond * _random.Next(1, 30) : 0;
                long amount = _random.Next(1, 10_000);
                return () => PostAt(at, Hold(a, id, 998, amount, expires));
            }
            case < 70 when _holds.Count > 0:
            {
                var (h, hold) = _holds[_random.Next(_holds.Count)];
                var id = NewId("unb");
                long? amount = _random.Next(2) == 0 ? null : _random.Next(1, 5_000);
                return () => PostAt(at, Unblock(h, id, hold, amount));
            }
            case < 76 when _postings.Count > 0:
            {
                var (p, original) = _postings[_random.Next(_postings.Count)];
                var id = NewId("rev");
                return () => PostAt(at, Reverse(p, id, original));
            }
            case < 80 when _holds.Count > 0:
            {
                var (h, hold) = _holds[_random.Next(_holds.Count)];
                if (_random.Next(2) == 0) return () => Delete(h, hold, at);
                var id = NewId("rem");
                return () => PostAt(at, Remove(h, id, hold));
            }
            case < 88:
            {
                // a batch on one account: all or nothing
                int n = _random.Next(2, 5);
                var entries = new EntryRequest[n];
                for (int i = 0; i < n; i++)
                {
                    var id = NewId("bat");
                    _postings.Add((a, id));
                    entries[i] = i % 2 == 0 ? Posting(a, id, 100, _random.Next(1, 20_000)) : Posting(a, id, 700, _random.Next(1, 20_000));
                }
                return () => PostAt(at, entries);
            }
            case < 94:
            {
                var b = AnyAccount();
                if (b == a) b = AccountAt((_accounts + Array.IndexOf(Accounts(), a) + 1) % _accounts);
                string bundle = NewId("bun");
                var outId = NewId("out");
                var inId = NewId("in");
                _postings.Add((a, outId));
                _postings.Add((b, inId));
                long amount = _random.Next(1, 40_000);
                return () =>
                {
                    var c = PostAt(at, Posting(a, outId, 200, amount), Posting(b, inId, 201, amount));
                    c.BundleId = bundle;
                    return c;
                };
            }
            default:
                return () => Tick(at);
        }
    }

    private AccountKey[] Accounts()
    {
        var all = new AccountKey[_accounts];
        for (int i = 0; i < _accounts; i++) all[i] = AccountAt(i);
        return all;
    }

    /// <summary>A fresh engine fed the same commands a second instance of this seed gives (the reference state).</summary>
    public static LedgerEngine Reference(int seed, int count, int accounts = 16)
    {
        var engine = NewEngine();
        // As a journal begins: its catalog is record 1 (the record numbers are part of the state).
        var load = new LedgerCommand { TimestampTicks = 0 };
        load.SetLoadCatalog(DefaultCatalog);
        load.ApplyTo(engine);
        foreach (var c in new RandomWorkload(seed, accounts).Take(count)) c.ApplyTo(engine);
        return engine;
    }
}
