using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using static Ledger.Testing.Commands;

namespace Ledger.Simulator;

/// <summary>One command the workload made: a factory (each call builds a fresh command with the same fields and time) and its text.</summary>
internal sealed record SimCommand(string Text, Func<LedgerCommand> Make);

/// <summary>
/// The simulator's seeded workload over a small book: hot and cold accounts in USD and JPY (two opened late), every entry
/// kind (postings of credit and debit codes, holds with and without expiry, partial and full unblocks, reversals — some
/// naming a foreign currency —, removals), batches of up to three entries, bundles across accounts, DELETEs, ticks that
/// expire holds, openings (and re-openings: 409), and retries of earlier commands with the same payload (the first
/// answer) and with a changed description (409 naming it). References pick ids of any age, so old entries come from the
/// entry store, not the engine's cache. Pure: the same seed gives the same commands.
/// </summary>
internal sealed class SimWorkload
{
    public const int Slots = 10;
    private const int OpenedAtStart = 8;
    private readonly Random _random;
    private readonly List<string>[] _postings = new List<string>[Slots];
    private readonly List<string>[] _holds = new List<string>[Slots];
    private readonly List<(EntryRequest[] Entries, string? BundleId)> _posts = [];
    private readonly List<SimCommand> _sent = [];
    private int _next;

    public SimWorkload(int seed)
    {
        _random = new Random(seed);
        for (int i = 0; i < Slots; i++)
        {
            _postings[i] = [];
            _holds[i] = [];
        }
    }

    /// <summary>The workload's clock: UTC ticks, moving forward by the step (and now and then a little backwards: the engine raises it).</summary>
    public long ClockTicks { get; private set; } = T0;

    public static AccountKey AccountOf(int slot) => Account(5_000 + slot, branch: 1 + slot % 2);

    public static CurrencyCode CurrencyOf(int slot) => slot % 4 == 2 ? Jpy : Usd;

    /// <summary>The commands that open the accounts present from the start (one command).</summary>
    public SimCommand Opening()
    {
        long at = ClockTicks;
        return new SimCommand($"open slots 0..{OpenedAtStart - 1}", () =>
        {
            var c = new LedgerCommand { TimestampTicks = at };
            c.SetOpenAccounts(OpenedAtStart);
            for (int i = 0; i < OpenedAtStart; i++)
                c.Openings[i] = new AccountOpening { Account = AccountOf(i), Currency = CurrencyOf(i), OverdraftLimitMinor = i % 3 == 1 ? 5_000 : 0 };
            return c;
        });
    }

    /// <summary>A slot to act on: two hot accounts take half the traffic.</summary>
    public int PickSlot() => _random.Next(2) == 0 ? _random.Next(2) : _random.Next(Slots);

    public int Next(int max) => _random.Next(max);

    public SimCommand Next()
    {
        int advanceMs = _random.Next(20) switch { 0 => _random.Next(10_000, 60_000), 1 => -_random.Next(1, 3_000), _ => _random.Next(0, 2_000) };
        ClockTicks += advanceMs * TimeSpan.TicksPerMillisecond;
        int roll = _random.Next(100);
        if (roll < 6 && _sent.Count > 0) return Retry(_sent[_random.Next(_sent.Count)]);
        if (roll < 9 && _posts.Count > 0) return Changed(_posts[_random.Next(_posts.Count)]);
        var fresh = Fresh(roll);
        _sent.Add(fresh);
        return fresh;
    }

    private SimCommand Retry(SimCommand earlier)
    {
        long at = ClockTicks;
        return new SimCommand("retry " + earlier.Text, () =>
        {
            var c = earlier.Make();
            c.TimestampTicks = at;
            return c;
        });
    }

    private SimCommand Changed((EntryRequest[] Entries, string? BundleId) post)
    {
        var entries = (EntryRequest[])post.Entries.Clone();
        entries[0].Description = "changed on retry";
        return Post(entries, post.BundleId, "changed retry: ");
    }

    private string NewId(string prefix) => $"{prefix}{_next++}";

    private SimCommand Fresh(int roll)
    {
        long at = ClockTicks;
        int slot = PickSlot();
        var account = AccountOf(slot);
        switch (roll)
        {
            case < 60:
            {
                int n = _random.Next(6) switch { 0 => 2, 1 => 3, _ => 1 };
                var entries = new EntryRequest[n];
                for (int i = 0; i < n; i++) entries[i] = Entry(slot, account);
                return Post(entries, null, "");
            }
            case < 70:
            {
                int legs = _random.Next(2, 4);
                var entries = new EntryRequest[legs];
                long amount = Amount();
                for (int i = 0; i < legs; i++)
                {
                    int s = i == 0 ? slot : _random.Next(Slots);
                    var id = NewId("bl");
                    _postings[s].Add(id);
                    entries[i] = Posting(AccountOf(s), id, i == 0 ? 200 : 201, i == 0 ? amount : amount / (legs - 1), CurrencyOf(s));
                }
                string bundle = _random.Next(8) == 0 && _next > 10 ? $"bu{_random.Next(_next)}" : NewId("bu"); // now and then a bundle id again
                return Post(entries, bundle, "");
            }
            case < 78:
            {
                string target = PickOrUnknown(_holds[slot]);
                return new SimCommand($"DELETE {account} {target}", () => Delete(account, target, at));
            }
            case < 90:
            {
                ClockTicks += _random.Next(1, 40) * TimeSpan.TicksPerSecond;
                long tick = ClockTicks;
                return new SimCommand("tick", () => Tick(tick));
            }
            default:
            {
                int s = _random.Next(3) == 0 ? _random.Next(OpenedAtStart) : OpenedAtStart + _random.Next(Slots - OpenedAtStart);
                var key = AccountOf(s);
                var currency = CurrencyOf(s);
                return new SimCommand($"open {key}", () => Open(key, currency, 0, at));
            }
        }
    }

    private SimCommand Post(EntryRequest[] entries, string? bundleId, string prefix)
    {
        long at = ClockTicks;
        _posts.Add((entries, bundleId));
        string text = prefix + (bundleId is null ? "" : $"bundle {bundleId}: ") + string.Join("; ", entries.Select(Describe));
        return new SimCommand(text, () =>
        {
            var c = PostAt(at, entries);
            c.BundleId = bundleId;
            return c;
        });
    }

    private static string Describe(EntryRequest e) =>
        $"{e.Kind} {e.Account} {e.CorrelationId}{(e.Reference is null ? $" {e.EntryType} {e.AmountMinor} {e.Currency}" : $" -> {e.Reference}{(e.HasAmount ? $" {e.AmountMinor}" : "")}{(e.Currency.IsNone ? "" : $" {e.Currency}")}")}{(e.ExpiresAtTicks == 0 ? "" : " exp")}";

    private long Amount() => _random.Next(30) switch
    {
        0 => 1_000_001, // above 998's maxAmount
        1 => _random.Next(50_000, 500_000),
        _ => _random.Next(1, 20_000),
    };

    private string PickOrUnknown(List<string> ids) =>
        ids.Count == 0 || _random.Next(15) == 0 ? "nope" + _random.Next(3) : ids[_random.Next(2) == 0 ? ids.Count - 1 - _random.Next(Math.Min(ids.Count, 3)) : _random.Next(ids.Count)];

    private EntryRequest Entry(int slot, AccountKey account)
    {
        var currency = _random.Next(25) == 0 ? (CurrencyOf(slot) == Usd ? Jpy : Usd) : CurrencyOf(slot);
        switch (_random.Next(20))
        {
            case < 5:
            {
                var id = NewId("dp");
                _postings[slot].Add(id);
                return Posting(account, id, 100, Amount(), currency, _random.Next(4) == 0 ? "salary" : null);
            }
            case < 9:
            {
                var id = NewId("py");
                _postings[slot].Add(id);
                int code = _random.Next(4) switch { 0 => 200, 1 => 700, _ => 998 };
                return Posting(account, id, code, Amount(), currency);
            }
            case < 13:
            {
                var id = NewId("ho");
                _holds[slot].Add(id);
                long expires = _random.Next(3) == 0 ? ClockTicks + _random.Next(1, 60) * TimeSpan.TicksPerSecond : 0;
                return Hold(account, id, 998, Amount(), expires, currency);
            }
            case < 16:
            {
                long? part = _random.Next(2) == 0 ? null : _random.Next(1, 6_000);
                var unblock = Unblock(account, NewId("ub"), PickOrUnknown(_holds[slot]), part);
                if (_random.Next(10) == 0) unblock.Currency = currency;
                return unblock;
            }
            case < 18:
            {
                var reversal = Reverse(account, NewId("rv"), PickOrUnknown(_postings[slot]));
                if (_random.Next(5) == 0) reversal.Currency = currency; // its own currency, or now and then a foreign one
                return reversal;
            }
            default:
                return Remove(account, NewId("rm"), PickOrUnknown(_holds[slot]));
        }
    }
}
