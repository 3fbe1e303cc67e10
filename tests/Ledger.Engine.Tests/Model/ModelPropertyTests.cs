using FsCheck;
using FsCheck.Fluent;
using FsCheck.NUnit;
using PropertyAttribute = FsCheck.NUnit.PropertyAttribute;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using NUnit.Framework;
using Ledger.Engine.Tests.StateMachine;
using Ledger.Testing;
using static Ledger.Testing.Commands;

using Ledger.Testing.Model;
namespace Ledger.Engine.Tests.Model;

/// <summary>
/// Random command sequences against the reference model. Each property runs 200 scenarios of 53 commands (3 openings
/// + 50 generated). A failure prints the shrunk scenario and FsCheck's seed; reproduce it with
/// <c>[Property(..., Replay = "seed,gamma")]</c> on the failing property (generation is pure, so the seed is enough).
/// </summary>
[Category("Property")]
public class ModelPropertyTests(CacheMode mode) : EngineFixture(mode)
{
    private const int Cases = 200;
    private static readonly EngineSettings Small = new() { AccountCapacity = 4, EntryCacheEntries = 64 };

    [Property(MaxTest = Cases, Arbitrary = new[] { typeof(ScenarioArbitrary) }, QuietOnSuccess = true)]
    public Property ShouldAnswerEveryCommandAsTheModelDoesAndKeepTheInvariants(Scenario scenario)
    {
        try
        {
            var error = AgreeWithModel(scenario);
            return Prop.Label(error is null, error ?? "");
        }
        finally
        {
            EngineRigs.DisposeBuilt(); // one case's stores, not 200 at once
        }
    }

    [Property(MaxTest = Cases, Arbitrary = new[] { typeof(ScenarioArbitrary) }, QuietOnSuccess = true)]
    public Property ShouldRebuildTheSameStateHashFromTheSameCommands(Scenario scenario)
    {
        try
        {
            var first = NewEngine(Small);
            var journaled = new List<LedgerCommand>();
            foreach (var c in scenario.Build())
            {
                c.ApplyTo(first);
                if (c.ChangedState) journaled.Add(c); // what the host would journal, with the time it was applied at
            }
            var second = NewEngine(new EngineSettings { AccountCapacity = 1, EntryCacheEntries = 16 }); // table sizes must not matter
            foreach (var c in scenario.Build()) c.ApplyTo(second);
            var fromJournal = NewEngine(Small);
            foreach (var c in journaled)
            {
                c.FromJournal = true;
                c.Prefetched = false;
                c.ApplyTo(fromJournal);
            }

            ulong hash = first.ComputeStateHash();
            return Prop.Label(second.ComputeStateHash() == hash, "the same commands again give another hash")
                .And(Prop.Label(fromJournal.ComputeStateHash() == hash, "replaying only the journaled commands gives another hash"))
                .And(Prop.Label(second.LastSequence == first.LastSequence && fromJournal.LastSequence == first.LastSequence, "sequence differs"));
        }
        finally
        {
            EngineRigs.DisposeBuilt();
        }
    }

    [Property(MaxTest = Cases, Arbitrary = new[] { typeof(ScenarioArbitrary) }, QuietOnSuccess = true)]
    public Property ShouldContinueFromTheStoresCheckpointExactlyAsWithoutARestart(Scenario scenario)
    {
        var mode = EngineRigs.Mode;
        try
        {
            var straight = NewEngine(Small);
            EngineRigs.Mode = CacheMode.Tiny; // a restart needs the store's checkpoint
            var restarted = NewEngine(Small);
            var commands = scenario.Build();
            var copies = scenario.Build();
            int restartAt = Math.Min(scenario.RestartAt, commands.Count);
            int journaled = -1; // the last command before the restart that changed the ledger: the store's checkpoint is there
            for (int i = 0; i < restartAt; i++)
            {
                copies[i].ApplyTo(straight);
                commands[i].ApplyTo(restarted);
                if (commands[i].ChangedState) journaled = i;
            }
            restarted = EngineRigs.For(restarted)!.Restart(Small);
            // Commands after the store's checkpoint changed nothing but the clock (not journaled, so not kept): a restart sees them again.
            for (int i = journaled + 1; i < restartAt; i++) commands[i].ApplyTo(restarted);
            if (restarted.ComputeStateHash() != straight.ComputeStateHash()) return Prop.Label(false, $"the state restored at command {restartAt} hashes differently");
            for (int i = restartAt; i < commands.Count; i++)
            {
                copies[i].ApplyTo(straight);
                commands[i].ApplyTo(restarted);
                if (!commands[i].Result.Equals(copies[i].Result) || !commands[i].EventSpan.SequenceEqual(copies[i].EventSpan))
                {
                    return Prop.Label(false, $"command {i} ({CommandText.Describe(commands[i])}) answered {CommandText.Describe(commands[i].Result)} " +
                                             $"after the restart, {CommandText.Describe(copies[i].Result)} without");
                }
            }
            return Prop.Label(restarted.ComputeStateHash() == straight.ComputeStateHash(), "state hash differs after continuing from the store's checkpoint");
        }
        finally
        {
            EngineRigs.Mode = mode;
            EngineRigs.DisposeBuilt();
        }
    }

    [Test]
    public void ShouldGenerateTheSameScenarioFromTheSameSeed()
    {
        // What makes a printed seed a reproduction: generation depends on the seed alone.
        var first = ScenarioArbitrary.Generator.Sample(3, new Rnd(20_260_621UL), 50);
        var second = ScenarioArbitrary.Generator.Sample(3, new Rnd(20_260_621UL), 50);
        Assert.That(first.Select(s => s.ToString()), Is.EqualTo(second.Select(s => s.ToString())));
        Assert.That(first.Select(s => s.ToString()).Distinct().Count(), Is.EqualTo(3), "and different scenarios within a run");
    }

    [Test]
    public void ShouldExerciseEveryOutcomeAcrossTheGeneratedScenarios()
    {
        // Guards the generator: a model check over scenarios that never decline, conflict or expire proves little.
        var seen = new HashSet<ResultCode>();
        var rules = new HashSet<string>();
        bool replayed = false, expired = false, foreignReversal = false;
        int feesPosted = 0, feesReversed = 0, feesReplayed = 0, feeIdsNamed = 0;
        foreach (var scenario in ScenarioArbitrary.Generator.Sample(Cases, new Rnd(7UL), 50))
        {
            var engine = NewEngine(Small);
            foreach (var c in scenario.Build())
            {
                c.ApplyTo(engine);
                foreignReversal |= c.Result.Code == ResultCode.CurrencyMismatch && !c.Result.Replayed &&
                    c.Entries[c.Result.EntryIndex].Kind == EntryKind.Reversal;
                seen.Add(c.Result.Code);
                if (c.Result.Rule is { } rule && !c.Result.Replayed) rules.Add(rule);
                replayed |= c.Result.Replayed;
                expired |= c.EventSpan.ToArray().Any(e => e.Status == EntryStatus.Expired);
                feesPosted += c.EventSpan.ToArray().Count(e => e.FeeOfSequence != 0 && e.EntryKind == EntryKind.Ledger);
                feesReversed += c.EventSpan.ToArray().Count(e => e.FeeOfSequence != 0 && e.EntryKind == EntryKind.Reversal);
                if (c.Result.Replayed && c.Result.FeeCount > 0) feesReplayed++;
                if (c.Kind == CommandKind.PostEntries && !c.Result.IsOk && c.EntrySpan.ToArray().Any(e => (e.CorrelationId + e.Reference).EndsWith(":fee", StringComparison.Ordinal))) feeIdsNamed++;
            }
        }
        Assert.That(seen, Is.SupersetOf(new[]
        {
            ResultCode.Ok, ResultCode.InvalidCommand, ResultCode.AccountNotFound, ResultCode.DomainNotPermitted, ResultCode.IdempotencyConflict,
            ResultCode.EntryNotFound, ResultCode.AccountExists, ResultCode.UnknownHistoryCode, ResultCode.RuleDeclined, ResultCode.ReferenceNotFound,
            ResultCode.NotReversible, ResultCode.AlreadyReversed, ResultCode.EntryNotPending, ResultCode.CurrencyMismatch,
            ResultCode.UnblockExceedsHeld, ResultCode.AmountOverflow, ResultCode.InsufficientFunds,
        }));
        EngineRigs.DisposeBuilt();
        Assert.That(replayed, Is.True, "some commands are idempotent replays");
        Assert.That(rules, Is.SupersetOf(new[] { "maxAmount", "allowedKinds", "dailyLimit", "dailyCount", "minBalanceAfter" }), "every rule a bank tunes declines somewhere");
        Assert.That(expired, Is.True, "some holds expire");
        Assert.That(foreignReversal, Is.True, "some reversal names a foreign currency and is declined for it");
        Assert.That(new[] { feesPosted, feesReversed, feesReplayed, feeIdsNamed }, Has.All.GreaterThan(10), "fees are posted, reversed with their entries, answered again, and their ids named (refused)");
    }

    /// <summary>Runs the scenario through engine and model side by side; the first disagreement or broken invariant, or null.</summary>
    private static string? AgreeWithModel(Scenario scenario)
    {
        var engine = NewEngine(Small);
        var model = new ReferenceLedger(DefaultCatalog);
        var effects = new Dictionary<AccountKey, (long Available, long Held)>();
        var commands = scenario.Build();
        for (int i = 0; i < commands.Count; i++)
        {
            var command = commands[i];
            var expected = model.Apply(command); // before the engine: it raises the command's timestamp in place
            command.ApplyTo(engine);
            string? error = CompareAnswers(expected, command) ?? CompareBalances(engine, model) ?? CheckInvariants(engine, command, effects);
            if (error is not null) return $"command {i} ({CommandText.Describe(command)}): {error}";
        }
        return null;
    }

    private static string? CompareAnswers(ModelAnswer expected, LedgerCommand command)
    {
        var r = command.Result;
        var actual = new ModelAnswer(r.Code, r.EntryIndex, r.Rule, r.Conflicts, r.Replayed, r.TimestampTicks, command.ChangedState, [], []);
        if (actual with { EntryResults = [], Events = [] } != expected with { EntryResults = [], Events = [] })
        {
            return $"result {Describe(actual)}, model {Describe(expected)}";
        }
        if (r.Code == ResultCode.Ok)
        {
            if (command.Kind == CommandKind.PostEntries && command.ResultCount != expected.EntryResults.Length) return $"{command.ResultCount} results, model {expected.EntryResults.Length}";
            for (int e = 0; e < expected.EntryResults.Length; e++)
            {
                var x = command.EntryResults[e];
                var got = new ModelEntryResult(x.Account, x.Status, x.Sequence, x.TimestampTicks, x.EntryType, x.AmountMinor, x.Currency, x.BalancesAfter, x.FeeOfIndex);
                if (got != expected.EntryResults[e]) return $"entry {e} answered {got}, model {expected.EntryResults[e]}";
            }
        }
        var events = command.EventSpan.ToArray().Select(e => ModelEvent.Of(e)).ToArray();
        if (!events.SequenceEqual(expected.Events))
        {
            return $"events\n    {string.Join("\n    ", events)}\n  model\n    {string.Join("\n    ", expected.Events)}";
        }
        return null;
    }

    private static string Describe(ModelAnswer a) =>
        $"{a.Code} (index {a.EntryIndex}, rule {a.Rule ?? "-"}, conflicts {a.Conflicts}, replayed {a.Replayed}, at {a.TimestampTicks}, changed {a.ChangedState})";

    private static string? CompareBalances(LedgerEngine engine, ReferenceLedger model)
    {
        if (engine.LastSequence != model.LastSequence) return $"last sequence {engine.LastSequence}, model {model.LastSequence}";
        int accounts = 0;
        foreach (var (key, balances, _) in model.Accounts)
        {
            accounts++;
            if (!engine.TryGetAccount(key, out var state)) return $"account {key} missing";
            if (state.Balances != balances) return $"account {key} balances {state.Balances}, model {balances}";
        }
        return engine.Accounts.Count == accounts ? null : $"{engine.Accounts.Count} accounts, model {accounts}";
    }

    /// <summary>
    /// HELD ≥ 0, AVAILABLE ≥ −overdraft, available + held within the maximum, and each account's balances equal the sum
    /// of the effects the engine's own events report (so the event stream alone rebuilds the balances).
    /// </summary>
    private static string? CheckInvariants(LedgerEngine engine, LedgerCommand command, Dictionary<AccountKey, (long Available, long Held)> effects)
    {
        foreach (var e in command.EventSpan)
        {
            var (available, held) = effects.GetValueOrDefault(e.Account);
            long signed = DefaultCatalog.Find(e.EntryType)?.Direction == Direction.Credit ? e.AmountMinor : -e.AmountMinor;
            (long da, long dh) = (e.Kind, e.EntryKind) switch
            {
                (LedgerEventKind.EntryApplied, EntryKind.Ledger) => (signed, 0L),
                (LedgerEventKind.EntryApplied, EntryKind.Reversal) => (-signed, 0L),
                (LedgerEventKind.EntryApplied, EntryKind.Blocking) => (-e.AmountMinor, e.AmountMinor),
                (LedgerEventKind.EntryApplied, EntryKind.Unblocking or EntryKind.Removal) => (e.AmountMinor, -e.AmountMinor),
                // Expiry and DELETE are caused by no entry; a status change caused by an entry moved nothing of its own.
                (LedgerEventKind.EntryStatusChanged, _) when e.CausedBySequence == 0 => (e.AmountMinor, -e.AmountMinor),
                _ => (0L, 0L),
            };
            effects[e.Account] = (available + da, held + dh);
        }
        foreach (ref readonly var a in engine.Accounts.All)
        {
            if (a.HeldMinor < 0) return $"account {a.Key} HELD {a.HeldMinor} < 0";
            if (a.AvailableMinor < -a.OverdraftLimitMinor) return $"account {a.Key} AVAILABLE {a.AvailableMinor} below -{a.OverdraftLimitMinor}";
            if (a.AvailableMinor + a.HeldMinor > LedgerEngine.BalanceMaxMinor) return $"account {a.Key} above the balance maximum";
            var (available, held) = effects.GetValueOrDefault(a.Key);
            if (available != a.AvailableMinor || held != a.HeldMinor)
            {
                return $"account {a.Key} balances {a.Balances} but its events add up to ({available}, {held})";
            }
        }
        return null;
    }
}
