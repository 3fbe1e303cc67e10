using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using static Ledger.Testing.Commands;

namespace Ledger.Engine.Tests.Model;

/// <summary>One generated step; <see cref="Scenario.Build"/> turns steps into engine commands.</summary>
public abstract record Step(int AdvanceSeconds);

/// <summary>A batch (or, with a bundle id, a bundle) of entries.</summary>
public sealed record PostStep(int AdvanceSeconds, ulong Domains, string? BundleId, EntrySpec[] Entries) : Step(AdvanceSeconds)
{
    public override string ToString() =>
        $"Post(+{AdvanceSeconds}s{(BundleId is null ? "" : $", bundle {BundleId}")}{(Domains == ulong.MaxValue ? "" : $", domains {Domains:x}")}: {string.Join("; ", Entries.Select(e => e.ToString()))})";
}

/// <summary>An exact resend of an earlier post (picked modulo the posts so far): the idempotent replay path.</summary>
public sealed record ResendStep(int AdvanceSeconds, int Pick) : Step(AdvanceSeconds);

/// <summary>DELETE of an entry of the slot, picked like an entry's reference.</summary>
public sealed record DeleteStep(int AdvanceSeconds, int Slot, Target Target, int Back, ulong Domains) : Step(AdvanceSeconds);

public sealed record TickStep(int AdvanceSeconds) : Step(AdvanceSeconds);

public sealed record OpenStep(int AdvanceSeconds, int Slot, long Overdraft) : Step(AdvanceSeconds);

/// <summary>Which earlier correlation id of the account a reference (or a DELETE) names.</summary>
public enum Target : byte
{
    /// <summary>Any id used on the account.</summary>
    Any,
    /// <summary>An id a hold was asked under.</summary>
    Hold,
    /// <summary>An id a ledger entry was asked under.</summary>
    Ledger,
    /// <summary>An id never used (reference-not-found, entry-not-found).</summary>
    Unknown,
}

/// <summary>
/// An entry on an account slot. <see cref="IdBack"/> -1 asks for a fresh correlation id, n ≥ 0 reuses the (n+1)-th most
/// recent id of the account (a replay or a conflict); <see cref="Target"/>/<see cref="RefBack"/> pick the referenced id the
/// same way among the account's holds, ledger entries or all. Currency choice 0 = the account's own; ExpiresIn 0 = none.
/// </summary>
public sealed record EntrySpec(int Slot, EntryKind Kind, int IdBack, int EntryType, bool HasAmount, long Amount, int CurrencyChoice,
    Target Target, int RefBack, int ExpiresIn, string? Description)
{
    public override string ToString() => Kind switch
    {
        EntryKind.Ledger or EntryKind.Blocking =>
            $"{Kind} id{IdBack}@{Slot} {EntryType} {Amount}{(CurrencyChoice == 0 ? "" : $" cur{CurrencyChoice}")}{(ExpiresIn == 0 ? "" : $" exp{ExpiresIn:+#;-#}")}{(Description is null ? "" : " " + Description)}",
        EntryKind.Reversal => $"{Kind} id{IdBack}@{Slot} -> {Target}{RefBack}{(CurrencyChoice == 0 ? "" : $" cur{CurrencyChoice}")}",
        _ => $"{Kind} id{IdBack}@{Slot} -> {Target}{RefBack}{(HasAmount ? $" {Amount}" : "")}{(CurrencyChoice == 3 ? " EUR" : "")}",
    };
}

/// <summary>
/// A generated command sequence over a small world: slots 0-2 are opened and funded at the start (USD, USD with overdraft 5000, JPY),
/// slot 3 (BHD) and slot 4 only if a step opens them. Ids and references resolve against what earlier steps asked, so
/// replays, conflicts, unblocks, reversals and removals of real entries happen often. <see cref="RestartAt"/> is where
/// the restart property restarts the engine from the entry store's checkpoint.
/// </summary>
public sealed record Scenario(Step[] Steps, int RestartAt)
{
    public const int Length = 50;
    /// <summary>Commands before the generated ones: the model's catalog, then an opening and a deposit per initial slot.</summary>
    public const int SetUpCommands = 7;

    /// <summary>
    /// The generated steps start this long before a business day ends (UTC midnight, by the ledger's clock), so the daily
    /// rules see a day change in most scenarios (50 steps advance about four minutes).
    /// </summary>
    public static readonly long StepsStart = T0 + TimeSpan.TicksPerDay - 150 * TimeSpan.TicksPerSecond;

    /// <summary>
    /// The catalog the scenarios run under: the shipped codes plus one of every rule a bank tunes, at levels the generated
    /// amounts reach (998: dailyLimit 6 000 and dailyCount 5; the cards domain: dailyLimit 8 000; the transfers domain:
    /// dailyCount 4; 200: minBalanceAfter 500; 700: minBalanceAfter -2 000, which does not judge the fees of code 700 that
    /// 998 (250 bps, min 3, max 40) and 201 (fixed 7) post).
    /// </summary>
    public static readonly Ledger.Engine.Catalog.HistoryCatalog ModelCatalog = BuildModelCatalog();

    private static Ledger.Engine.Catalog.HistoryCatalog BuildModelCatalog()
    {
        static Ledger.Engine.Catalog.RuleDefinition R(string name, string value) => new(name, value);
        var codes = DefaultCatalog.Definitions.Select(d => d.Code switch
        {
            998 => d with { Rules = [.. d.Rules, R("dailyLimit", "6000"), R("dailyCount", "5"), R("fee", "code=700 bps=250 min=3 max=40")] },
            201 => d with { Rules = [.. d.Rules, R("fee", "code=700 fixed=7")] },
            200 => d with { Rules = [.. d.Rules, R("minBalanceAfter", "500")] },
            700 => d with { Rules = [.. d.Rules, R("minBalanceAfter", "-2000")] },
            _ => d,
        }).ToArray();
        return Ledger.Engine.Catalog.HistoryCatalog.Create(codes,
            [new("cards", [R("dailyLimit", "8000")]), new("transfers", [R("dailyCount", "4")])], DefaultCatalog.Domains, null);
    }
    private static readonly CurrencyCode[] SlotCurrency = [Usd, Usd, Jpy, Bhd, Eur];
    private static readonly long[] SlotOverdraft = [0, 5_000, 0];
    private const string NeverUsed = "never-used";

    public static AccountKey AccountOf(int slot) => Account(1_000 + slot);

    /// <summary>Fresh command objects for the scenario (the engine writes into commands, so each run builds its own).</summary>
    public List<LedgerCommand> Build()
    {
        var commands = new List<LedgerCommand>();
        var load = new LedgerCommand { TimestampTicks = T0 };
        load.SetLoadCatalog(ModelCatalog);
        commands.Add(load);
        for (int slot = 0; slot < SlotOverdraft.Length; slot++)
        {
            commands.Add(Open(AccountOf(slot), SlotCurrency[slot], SlotOverdraft[slot]));
            commands.Add(Post(Posting(AccountOf(slot), "seed", 100, 20_000, SlotCurrency[slot])));
        }
        var ids = new IdBook();
        long now = StepsStart;
        var posts = new List<(PostStep Step, EntryRequest[] Entries)>();
        foreach (var step in Steps)
        {
            now += step.AdvanceSeconds * TimeSpan.TicksPerSecond;
            switch (step)
            {
                case PostStep post:
                    var entries = post.Entries.Select(spec => ToRequest(spec, now, ids)).ToArray();
                    posts.Add((post, entries));
                    commands.Add(ToCommand(post, entries, now));
                    break;
                case ResendStep resend when posts.Count > 0:
                    var (original, originalEntries) = posts[resend.Pick % posts.Count];
                    commands.Add(ToCommand(original, originalEntries, now));
                    break;
                case ResendStep:
                case TickStep:
                    commands.Add(Tick(now));
                    break;
                case DeleteStep delete:
                    var d = Delete(AccountOf(delete.Slot), ids.Pick(delete.Slot, delete.Target, delete.Back), now);
                    d.PermittedDomains = delete.Domains;
                    commands.Add(d);
                    break;
                case OpenStep open:
                    commands.Add(Open(AccountOf(open.Slot), SlotCurrency[open.Slot], open.Overdraft, now));
                    break;
            }
        }
        return commands;
    }

    /// <summary>The correlation ids asked so far, per slot: where reuses and references are picked from.</summary>
    private sealed class IdBook
    {
        private readonly Dictionary<(int, Target), List<string>> _used = [];
        private int _fresh;

        public string Fresh() => $"e{_fresh++}";

        public string Pick(int slot, Target target, int back) =>
            target != Target.Unknown && _used.TryGetValue((slot, target), out var list) ? list[^(1 + back % list.Count)] : NeverUsed;

        public void Used(int slot, EntryKind kind, string id)
        {
            Add((slot, Target.Any), id);
            if (kind == EntryKind.Blocking) Add((slot, Target.Hold), id);
            if (kind == EntryKind.Ledger)
            {
                Add((slot, Target.Ledger), id);
                // The fee id such an entry may have derived: naming it (a reversal of it alone, a reuse) must be refused.
                Add((slot, Target.Any), id + ":fee");
            }
        }

        private void Add((int, Target) key, string id)
        {
            if (!_used.TryGetValue(key, out var list)) _used[key] = list = [];
            list.Add(id);
        }
    }

    private static LedgerCommand ToCommand(PostStep post, EntryRequest[] entries, long at)
    {
        var command = PostAt(at, entries);
        command.BundleId = post.BundleId;
        command.PermittedDomains = post.Domains;
        return command;
    }

    private static EntryRequest ToRequest(EntrySpec spec, long now, IdBook ids)
    {
        var account = AccountOf(spec.Slot);
        var currency = spec.CurrencyChoice switch { 0 => SlotCurrency[spec.Slot], 1 => Usd, 2 => Jpy, _ => Eur };
        string id = spec.IdBack < 0 ? NeverUsed : ids.Pick(spec.Slot, Target.Any, spec.IdBack);
        if (id == NeverUsed) id = ids.Fresh();
        string reference = ids.Pick(spec.Slot, spec.Target, spec.RefBack);
        ids.Used(spec.Slot, spec.Kind, id);
        switch (spec.Kind)
        {
            case EntryKind.Ledger:
                return Posting(account, id, spec.EntryType, spec.Amount, currency, spec.Description);
            case EntryKind.Blocking:
                var hold = Hold(account, id, spec.EntryType, spec.Amount,
                    spec.ExpiresIn == 0 ? 0 : now + spec.ExpiresIn * TimeSpan.TicksPerSecond, currency);
                hold.Description = spec.Description;
                return hold;
            case EntryKind.Unblocking:
                var unblock = Unblock(account, id, reference, spec.HasAmount ? spec.Amount : null);
                if (spec.CurrencyChoice == 3) unblock.Currency = Eur;
                return unblock;
            case EntryKind.Reversal:
                var reversal = Reverse(account, id, reference);
                if (spec.CurrencyChoice != 0) reversal.Currency = currency; // may repeat the original's currency, or name a foreign one
                return reversal;
            default:
                return Remove(account, id, reference);
        }
    }

    public override string ToString()
    {
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"Scenario (restart after command {RestartAt}):");
        for (int i = 0; i < Steps.Length; i++) text.Append(CultureInfo.InvariantCulture, $"\n  {i + SetUpCommands}: {Steps[i]}");
        return text.ToString();
    }
}

/// <summary>The FsCheck generator and shrinker of <see cref="Scenario"/>s (pure: the same seed gives the same scenario).</summary>
public static class ScenarioArbitrary
{
    private static readonly Gen<int> Slot = Gen.Frequency((8, Gen.Constant(0)), (6, Gen.Constant(1)), (4, Gen.Constant(2)), (1, Gen.Constant(3)), (1, Gen.Constant(4)));

    private static readonly Gen<int> Advance = Gen.Frequency((8, Gen.Choose(0, 3)), (2, Gen.Choose(-5, -1)), (1, Gen.Choose(10, 90)));

    private static readonly Gen<ulong> Domains = Gen.Frequency((8, Gen.Constant(ulong.MaxValue)), (1, Gen.Choose(0, 15).Select(m => (ulong)m)));

    private static readonly Gen<long> Amount = Gen.Frequency(
        (20, Gen.Choose(1, 2_000).Select(a => (long)a)),
        (4, Gen.Choose(2_001, 60_000).Select(a => (long)a)),
        (1, Gen.Elements(1_000_000L, 1_000_001L)),
        (1, Gen.Elements(LedgerEngine.BalanceMaxMinor / 2 + 1, LedgerEngine.BalanceMaxMinor, long.MaxValue)));

    private static readonly Gen<EntryKind> Kind = Gen.Frequency(
        (10, Gen.Constant(EntryKind.Ledger)), (5, Gen.Constant(EntryKind.Blocking)), (5, Gen.Constant(EntryKind.Unblocking)),
        (2, Gen.Constant(EntryKind.Reversal)), (2, Gen.Constant(EntryKind.Removal)));

    private static readonly Gen<int> LedgerType = Gen.Frequency(
        (12, Gen.Constant(100)), (4, Gen.Constant(998)), (2, Gen.Constant(200)), (2, Gen.Constant(201)),
        (2, Gen.Constant(700)), (1, Gen.Constant(999)), (1, Gen.Constant(555)));

    private static readonly Gen<int> HoldType = Gen.Frequency(
        (8, Gen.Constant(998)), (4, Gen.Constant(200)), (1, Gen.Constant(100)), (1, Gen.Constant(555)));

    private static readonly Gen<int> ExpiresIn = Gen.Frequency((3, Gen.Constant(0)), (3, Gen.Choose(1, 60)), (1, Gen.Choose(-5, -1)));

    private static readonly Gen<string?> Description = Gen.Frequency(
        (6, Gen.Constant<string?>(null)), (1, Gen.Constant<string?>("d1")), (1, Gen.Constant<string?>("d2")));

    private static readonly Gen<int> IdBack = Gen.Frequency((12, Gen.Constant(-1)), (2, Gen.Choose(0, 3)));

    private static readonly Gen<int> Back = Gen.Frequency((6, Gen.Constant(0)), (3, Gen.Choose(1, 3)), (1, Gen.Choose(4, 20)));

    private static Gen<Target> TargetFor(EntryKind kind) => kind == EntryKind.Reversal
        ? Gen.Frequency((8, Gen.Constant(Target.Ledger)), (2, Gen.Constant(Target.Any)), (1, Gen.Constant(Target.Unknown)))
        : Gen.Frequency((8, Gen.Constant(Target.Hold)), (2, Gen.Constant(Target.Any)), (1, Gen.Constant(Target.Unknown)));

    private static Gen<EntrySpec> Entry(Gen<int> slot) =>
        from s in slot
        from kind in Kind
        from id in IdBack
        from type in kind == EntryKind.Blocking ? HoldType : LedgerType
        from amount in Amount
        from hasAmount in Gen.Elements(true, false)
        from currency in Gen.Frequency((16, Gen.Constant(0)), (1, Gen.Constant(1)), (1, Gen.Constant(2)), (1, Gen.Constant(3)))
        from target in TargetFor(kind)
        from back in Back
        from expiresIn in ExpiresIn
        from description in Description
        select kind is EntryKind.Ledger or EntryKind.Blocking
            ? new EntrySpec(s, kind, id, type, true, amount, currency, Target.Any, 0, kind == EntryKind.Blocking ? expiresIn : 0, description)
            : new EntrySpec(s, kind, id, -1, kind == EntryKind.Unblocking && hasAmount, kind == EntryKind.Unblocking && hasAmount ? amount : 0,
                currency, target, back, 0, null);

    private static readonly Gen<Step> Post =
        from advance in Advance
        from domains in Domains
        from bundle in Gen.Frequency((9, Gen.Constant(false)), (1, Gen.Constant(true)))
        from bundleId in Gen.Elements("b0", "b1", "b2", "b3")
        from count in Gen.Frequency((6, Gen.Constant(1)), (3, Gen.Constant(2)), (1, Gen.Constant(3)))
        from slot in Slot
        from entries in Gen.ArrayOf(Entry(bundle ? Slot : Gen.Frequency((40, Gen.Constant(slot)), (1, Slot))), count)
        select (Step)new PostStep(advance, domains, bundle ? bundleId : null, entries);

    private static readonly Gen<Step> StepGen = Gen.Frequency(
        (12, Post),
        (2, from a in Advance from pick in Gen.Choose(0, 1_000) select (Step)new ResendStep(a, pick)),
        (2, from a in Advance from s in Slot from t in TargetFor(EntryKind.Removal) from b in Back from d in Domains select (Step)new DeleteStep(a, s, t, b, d)),
        (2, from a in Advance select (Step)new TickStep(a)),
        (1, from a in Advance from s in Slot from o in Gen.Elements(0L, 1_000L, 5_000L) select (Step)new OpenStep(a, s, o)));

    public static readonly Gen<Scenario> Generator =
        from steps in Gen.ArrayOf(StepGen, Scenario.Length)
        from restartAt in Gen.Choose(0, Scenario.Length + Scenario.SetUpCommands)
        select new Scenario(steps, restartAt);

    /// <summary>Shrinks by dropping runs of steps (halves, quarters, … single steps): failures shrink to a few commands.</summary>
    public static IEnumerable<Scenario> Shrink(Scenario scenario)
    {
        var steps = scenario.Steps;
        for (int size = steps.Length / 2; size >= 1; size /= 2)
        {
            for (int start = 0; start + size <= steps.Length; start += size)
            {
                var fewer = steps[..start].Concat(steps[(start + size)..]).ToArray();
                yield return scenario with { Steps = fewer, RestartAt = Math.Min(scenario.RestartAt, fewer.Length + Scenario.SetUpCommands) };
            }
        }
    }

    public static Arbitrary<Scenario> Scenarios() => Arb.From(Generator, Shrink);
}
