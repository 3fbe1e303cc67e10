using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Journal;
using Ledger.Journal.Entries;
using Ledger.ReadSide;
using Ledger.Testing.Model;
using static Ledger.Testing.Commands;

namespace Ledger.Simulator;

/// <summary>One seed's run: how many steps, whether to inject faults, where to keep its data directories.</summary>
public sealed record SimulationSettings
{
    public required int Seed { get; init; }
    public int Steps { get; init; } = 400;
    public bool Faults { get; init; } = true;
    /// <summary>Chance per step of a crash (with its storage faults).</summary>
    public double CrashRate { get; init; } = 0.03;
    public required string WorkDir { get; init; }
    public Action<string>? Log { get; init; }
    /// <summary>
    /// For the test that the auditor can fail: a record torn or flipped by a crash is treated as answered (a ledger that
    /// acknowledged before its commit would look like this); the auditor must then report it lost.
    /// </summary>
    internal bool PlantAcknowledgedLoss { get; init; }
}

/// <summary>What a run did. <see cref="Digest"/> hashes every answer in order: the same seed gives the same digest.</summary>
public sealed record SimulationResult(int Seed, int Steps, long Commands, long Reads, int Recoveries, IReadOnlyDictionary<FaultKind, int> Faults, string Digest, TimeSpan Elapsed);

/// <summary>
/// The seeded whole-ledger simulator (issue 17). Each step is a command from <see cref="SimWorkload"/> (checked as it is
/// answered against <see cref="ReferenceLedger"/>: result, entry answers, events, balances), a read (balances now and at
/// instants, statement pages, checked against <see cref="ReadProjection"/>), a checkpoint of a store (keeping a copy for
/// the "older store" fault), or a crash. A crash copies the data directory as a power cut leaves it (between steps, or
/// from inside the journal stage right after a command's commit, before its answer and its store writes), may damage the
/// copy (torn commit slot, torn or flipped last record, store deleted or older) and starts the ledger on it. After each
/// recovery the auditor checks that the unanswered command survived exactly when it should, the state hash equals the
/// uncrashed ledger's at that point, every balance equals the model's, every statement and <c>?at=</c> equals the
/// projection's, and earlier commands resent get their first answer. A failure throws <see cref="SimulationFailedException"/>
/// naming seed and step; the same seed makes the same commands, faults and answers.
/// Usage: <c>var result = await Simulation.RunAsync(new SimulationSettings { Seed = 1, WorkDir = dir });</c>
/// </summary>
public sealed class Simulation
{
    private readonly SimulationSettings _settings;
    private readonly Random _random;
    private readonly SimWorkload _workload;
    private readonly ReferenceLedger _model = new(DefaultCatalog);
    private readonly ReadProjection _projection = new();
    private readonly List<(SimCommand Command, string Answer)> _remembered = [];
    private readonly Dictionary<FaultKind, int> _faults = [];
    private readonly IncrementalHash _digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private LedgerInstance _ledger = null!;
    private int _step;
    private int _dirs;
    private int _recoveries;
    private long _commands;
    private long _reads;
    private long _clock;

    private Simulation(SimulationSettings settings)
    {
        _settings = settings;
        _random = new Random(settings.Seed * 7_919 + 17);
        _workload = new SimWorkload(settings.Seed);
        _clock = _workload.ClockTicks;
    }

    private string SeedDir => Path.Combine(_settings.WorkDir, $"seed-{_settings.Seed}");
    private string OlderStore => Path.Combine(SeedDir, "older-" + EntryStore.DirectoryName);
    private string OlderReads => Path.Combine(SeedDir, "older-" + ReadStore.DirectoryName);

    public static async Task<SimulationResult> RunAsync(SimulationSettings settings)
    {
        var run = new Simulation(settings);
        var started = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            await run.RunAsync();
        }
        finally
        {
            run._ledger?.Dispose();
            if (Directory.Exists(run.SeedDir)) Directory.Delete(run.SeedDir, recursive: true);
        }
        return new SimulationResult(settings.Seed, settings.Steps, run._commands, run._reads, run._recoveries, run._faults,
            Convert.ToHexString(run._digest.GetHashAndReset())[..16], started.Elapsed);
    }

    private async Task RunAsync()
    {
        if (Directory.Exists(SeedDir)) Directory.Delete(SeedDir, recursive: true);
        _ledger = LedgerInstance.Start(NewDataDir(), DefaultCatalog, () => _clock);
        await SubmitAsync(_workload.Opening());
        for (_step = 1; _step <= _settings.Steps; _step++)
        {
            try
            {
                await StepAsync();
            }
            catch (SimulationFailedException ex)
            {
                throw new SimulationFailedException($"seed {_settings.Seed} step {_step}: {ex.Message}");
            }
            catch (Exception ex) when (ex is not SimulationFailedException)
            {
                throw new SimulationFailedException($"seed {_settings.Seed} step {_step}: the ledger threw {ex}");
            }
        }
        await _ledger.IdleAsync();
        await AuditReadsAsync(everyAccount: true);
    }

    private async Task StepAsync()
    {
        double roll = _random.NextDouble();
        if (_settings.Faults && roll < _settings.CrashRate)
        {
            int pick = _random.Next(12);
            if (pick < 6) await CrashAsync();
            else if (pick < 8) await WriteFailureAsync((FaultKind)((int)FaultKind.JournalWriteFailed + _random.Next(3)));
            else if (pick == 8) await CrashDuringCheckpointAsync(_random.Next(2) == 0 ? FaultKind.CrashDuringEntryCheckpoint : FaultKind.CrashDuringReadCheckpoint);
            else if (pick == 9) await CrashDuringCatchUpAsync();
            else if (pick == 10) await SlowCommitAsync(_random.Next(2) == 0 ? FaultKind.SlowCommit : FaultKind.SlowFailingCommit);
            else await PrefetchReadFailedAsync();
            return;
        }
        roll = _random.NextDouble();
        if (roll < 0.04)
        {
            await CheckpointAsync();
        }
        else if (roll < 0.12)
        {
            await AuditReadsAsync(everyAccount: false);
        }
        else
        {
            await SubmitAsync(_workload.Next());
        }
    }

    // ---------------- commands ----------------

    /// <summary>Publishes a command, waits for its answer and checks it against the model.</summary>
    private async Task<LedgerCommand> SubmitAsync(SimCommand command)
    {
        var live = command.Make();
        _clock = live.TimestampTicks;
        await _ledger.Host.SubmitAsync(live);
        Audit(command, live);
        return live;
    }

    /// <summary>The model decides the same command; every field of the answer and every event must agree.</summary>
    private void Audit(SimCommand command, LedgerCommand live)
    {
        _commands++;
        var request = command.Make();
        var expected = _model.Apply(request);
        if (CompareAnswers(expected, live) is { } error) throw new SimulationFailedException($"{command.Text}: {error}");
        _projection.Apply(request, expected);
        string answer = AnswerText(live);
        _digest.AppendData(Encoding.UTF8.GetBytes(answer));
        if (request.Kind == CommandKind.PostEntries && (live.Result.Code == ResultCode.Ok || (int)live.Result.Code >= 100) && !live.Result.Replayed)
            _remembered.Add((command, answer));
    }

    private static string? CompareAnswers(ModelAnswer expected, LedgerCommand command)
    {
        var r = command.Result;
        var actual = new ModelAnswer(r.Code, r.EntryIndex, r.Rule, r.Conflicts, r.Replayed, r.TimestampTicks, command.ChangedState, [], []);
        if (actual with { EntryResults = [], Events = [] } != expected with { EntryResults = [], Events = [] })
            return $"answered {Describe(actual)}, the model {Describe(expected)}";
        if (r.Code == ResultCode.Ok)
        {
            if (command.Kind == CommandKind.PostEntries && command.ResultCount != expected.EntryResults.Length)
                return $"{command.ResultCount} entry answers (fees included), the model {expected.EntryResults.Length}";
            for (int e = 0; e < expected.EntryResults.Length; e++)
            {
                var x = command.EntryResults[e];
                var got = new ModelEntryResult(x.Account, x.Status, x.Sequence, x.TimestampTicks, x.EntryType, x.AmountMinor, x.Currency, x.BalancesAfter, x.FeeOfIndex);
                if (got != expected.EntryResults[e]) return $"entry {e} answered {got}, the model {expected.EntryResults[e]}";
            }
        }
        var events = command.EventSpan.ToArray().Select(e => ModelEvent.Of(e)).ToArray();
        if (!events.SequenceEqual(expected.Events))
            return $"events\n    {string.Join("\n    ", events)}\n  the model\n    {string.Join("\n    ", expected.Events)}";
        return null;
    }

    private static string Describe(ModelAnswer a) =>
        $"{a.Code} (index {a.EntryIndex}, rule {a.Rule ?? "-"}, conflicts {a.Conflicts}, replayed {a.Replayed}, at {a.TimestampTicks}, changed {a.ChangedState})";

    /// <summary>The answer a partner sees (without the replay flag: a replay answers the first answer).</summary>
    private static string AnswerText(LedgerCommand c)
    {
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{c.Result.Code} {c.Result.EntryIndex} {c.Result.Rule} {c.Result.Conflicts}");
        if (c.Result.Code == ResultCode.Ok && c.Kind == CommandKind.PostEntries)
        {
            for (int i = 0; i < c.EntryCount; i++)
            {
                var x = c.EntryResults[i];
                text.Append(CultureInfo.InvariantCulture, $" [{x.Account} {x.Status} {x.Sequence} {x.TimestampTicks} {x.EntryType} {x.AmountMinor} {x.Currency} {x.BalancesAfter}]");
            }
        }
        return text.Append('\n').ToString();
    }

    // ---------------- reads ----------------

    /// <summary>Balances now and at instants, and the whole statement in pages, of one account (or all), against the projection.</summary>
    private async Task AuditReadsAsync(bool everyAccount)
    {
        if (!await _ledger.Runtime.WaitForReadsAsync(CancellationToken.None)) throw new SimulationFailedException("a read waited past its bound for the read store");
        var reads = _ledger.Runtime.Reads!;
        var accounts = _model.Accounts.ToList();
        if (!everyAccount) accounts = [accounts[_random.Next(accounts.Count)]];
        foreach (var (key, balances, _) in accounts)
        {
            _reads++;
            if (!reads.TryGetAccount(key, out var now)) throw new SimulationFailedException($"the read store does not know account {key}");
            if (now.Balances != balances) throw new SimulationFailedException($"balances of {key} read {now.Balances}, the model {balances}");
            long opened = _projection.OpenedAt(key);
            long span = Math.Max(1, _clock - opened);
            foreach (long at in new[] { opened, opened + (long)(_random.NextDouble() * span), _clock, _clock - _random.Next(1, 5) * TimeSpan.TicksPerSecond })
            {
                var expected = _projection.BalancesAt(key, at);
                bool found = reads.TryGetBalancesAt(key, at, out var then);
                if (found != expected.HasValue || (found && then.Balances != expected!.Value))
                    throw new SimulationFailedException($"balances of {key} at {at} read {(found ? then.Balances.ToString() : "none")}, the model {(expected?.ToString() ?? "none")}");
            }
            var rows = new List<StatementRow>();
            int limit = 1 + _random.Next(40);
            long after = 0;
            while (true)
            {
                var page = reads.Statement(key, new StatementQuery { AfterSequence = after, Limit = limit })
                    ?? throw new SimulationFailedException($"no statement for account {key}");
                rows.AddRange(page.Rows);
                if (page.NextAfterSequence == 0) break;
                after = page.NextAfterSequence;
            }
            if (_projection.CompareStatement(key, rows) is { } error) throw new SimulationFailedException(error + $" (pages of {limit})");
            long from = opened + (long)(_random.NextDouble() * span);
            long to = from + (long)(_random.NextDouble() * span);
            var window = reads.Statement(key, new StatementQuery { FromTicks = from, ToTicks = to, Limit = 1_000 })!;
            if (_projection.CompareStatement(key, window.Rows, from, to) is { } windowError) throw new SimulationFailedException(windowError + $" (window {from}..{to})");
        }
    }

    // ---------------- checkpoints ----------------

    /// <summary>Checkpoints the entry store or the read store now (as their timers would) and keeps a copy for the "older store" fault.</summary>
    private async Task CheckpointAsync()
    {
        await _ledger.IdleAsync();
        if (_random.Next(2) == 0)
        {
            _ledger.Runtime.Store!.Entries.Checkpoint();
            Replace(OlderStore, Path.Combine(_ledger.DataDir, EntryStore.DirectoryName));
        }
        else
        {
            _ledger.Runtime.Reads!.Checkpoint();
            Replace(OlderReads, Path.Combine(_ledger.DataDir, ReadStore.DirectoryName));
        }
    }

    private static void Replace(string target, string source)
    {
        if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
        CopyDirectory(source, target);
    }

    // ---------------- crashes ----------------

    private async Task CrashAsync()
    {
        await _ledger.IdleAsync();
        var kind = (FaultKind)_random.Next((int)FaultKind.FlippedBitInLastRecord + 1);
        string copy = NewDataDir();
        ulong hashBefore = _ledger.Host.Engine.ComputeStateHash();
        ulong hashAfter = hashBefore;
        SimCommand? unanswered = null;
        LedgerCommand? live = null;
        if (kind == FaultKind.CrashIdle)
        {
            CopyDirectory(_ledger.DataDir, copy);
        }
        else
        {
            // Power cut from inside the journal stage, right after a commit returned: the command is durable, its answer
            // never went out, the stores have not seen it. A command that changes nothing commits nothing: answer it, try again.
            for (int tries = 0; unanswered is null; tries++)
            {
                var command = _workload.Next();
                string dir = _ledger.DataDir;
                _ledger.Journal.Arm(() => CopyDirectory(dir, copy));
                var attempt = command.Make();
                _clock = attempt.TimestampTicks;
                await _ledger.Host.SubmitAsync(attempt);
                if (_ledger.Journal.Disarm())
                {
                    Audit(command, attempt); // answered normally: it changed nothing
                    if (tries < 20) continue;
                    kind = FaultKind.CrashIdle;
                    await _ledger.IdleAsync();
                    hashBefore = hashAfter = _ledger.Host.Engine.ComputeStateHash();
                    CopyDirectory(_ledger.DataDir, copy);
                    break;
                }
                unanswered = command;
                live = attempt;
                await _ledger.IdleAsync();
                hashAfter = _ledger.Host.Engine.ComputeStateHash();
            }
        }
        bool acknowledged = false;
        if (_settings.PlantAcknowledgedLoss && unanswered is not null && kind is FaultKind.TornLastRecord or FaultKind.FlippedBitInLastRecord or FaultKind.TornCommitSlot)
        {
            Audit(unanswered, live!);
            unanswered = null;
            acknowledged = true;
        }
        Count(kind);
        _ledger.Dispose(); // the old ledger's later writes go to its own directory, which is thrown away
        string old = _ledger.DataDir;
        _ledger = null!;
        Directory.Delete(old, recursive: true);

        if (live is not null) Damage(copy, kind, live);
        var storeFaults = StoreFaults(copy);
        _settings.Log?.Invoke($"seed {_settings.Seed} step {_step}: {string.Join("+", new[] { kind }.Concat(storeFaults))}{(live is null ? "" : $" of record {live.RecordNumber} at {live.JournalAddress}..{live.JournalNextAddress}")}: restarting");
        _ledger = LedgerInstance.Start(copy, DefaultCatalog, () => _clock);
        _recoveries++;
        await AuditRecoveryAsync(kind, storeFaults, unanswered, live, acknowledged ? hashAfter : hashBefore, hashAfter);
    }

    /// <summary>
    /// A component's write fails under a command (a full disk): a journal failure refuses the command (503: it must not
    /// apply), a store's failure comes after its answer (it must stay). The runtime probes and restarts the ledger role in
    /// process; the auditor then checks it as after a crash.
    /// </summary>
    private async Task WriteFailureAsync(FaultKind kind)
    {
        await _ledger.IdleAsync();
        ulong hashBefore = _ledger.Host.Engine.ComputeStateHash();
        var failedHost = _ledger.Host;
        var command = _workload.Next();
        switch (kind)
        {
            case FaultKind.JournalWriteFailed: _ledger.Journal.Failure.Arm(); break;
            case FaultKind.EntryStoreWriteFailed: _ledger.StoreWriter.Failure.Arm(); break;
            default: _ledger.ReadSink.Failure.Arm(); break;
        }
        var live = command.Make();
        _clock = live.TimestampTicks;
        bool answered;
        try
        {
            await _ledger.Host.SubmitAsync(live);
            answered = true;
        }
        catch (Ledger.Engine.Hosting.JournalFailedException)
        {
            answered = false;
        }
        await _ledger.DrainedAsync(failedHost); // the stores' stages run behind the answer
        bool fired = kind switch
        {
            FaultKind.JournalWriteFailed => _ledger.Journal.Failure.Fired,
            FaultKind.EntryStoreWriteFailed => _ledger.StoreWriter.Failure.Fired,
            _ => _ledger.ReadSink.Failure.Fired,
        };
        if (!fired)
        {
            // The command wrote nothing where the fault waited (it changed nothing): no failure happened.
            if (!answered) throw new SimulationFailedException($"{command.Text} was refused though no write failed");
            Audit(command, live);
            await _ledger.IdleAsync();
            _ledger.Journal.Failure.Disarm();
            _ledger.StoreWriter.Failure.Disarm();
            _ledger.ReadSink.Failure.Disarm();
            return;
        }
        if (answered == (kind == FaultKind.JournalWriteFailed))
            throw new SimulationFailedException($"after {kind}: {command.Text} was {(answered ? "answered" : "refused")}");
        ulong expected = hashBefore;
        if (answered)
        {
            Audit(command, live);
            expected = failedHost.Engine.ComputeStateHash();
        }
        Count(kind);
        await _ledger.RestartedAsync(failedHost);
        _recoveries++;
        await AuditRecoveryAsync(kind, [], null, null, expected, expected);
    }

    private void Count(FaultKind kind) => _faults[kind] = _faults.GetValueOrDefault(kind) + 1;

    /// <summary>
    /// A power cut in the middle of a store's checkpoint, made from the files: either mid-flush (the data directory as it
    /// was before the checkpoint, plus a prefix of every SST file the flush wrote, which no MANIFEST names yet) or, for the
    /// entry store, after the flush with the key filter's rewrite torn (the store flushed, the filter file of before, a
    /// partial <c>key-filter.bin.tmp</c>). Nothing acknowledged may be lost; the store is used, repaired or rebuilt.
    /// </summary>
    private async Task CrashDuringCheckpointAsync(FaultKind kind)
    {
        await _ledger.IdleAsync();
        ulong hash = _ledger.Host.Engine.ComputeStateHash();
        bool entries = kind == FaultKind.CrashDuringEntryCheckpoint;
        string name = entries ? EntryStore.DirectoryName : ReadStore.DirectoryName;
        string before = NewDataDir();
        CopyDirectory(_ledger.DataDir, before);
        if (entries) _ledger.Runtime.Store!.Entries.Checkpoint();
        else _ledger.Runtime.Reads!.Checkpoint();
        string copy = before;
        string state;
        if (entries && _random.Next(2) == 0)
        {
            copy = NewDataDir();
            CopyDirectory(_ledger.DataDir, copy);
            string filter = Path.Combine(copy, name, KeyFilter.FileName);
            string oldFilter = Path.Combine(before, name, KeyFilter.FileName);
            byte[] fresh = File.Exists(filter) ? File.ReadAllBytes(filter) : [];
            if (File.Exists(oldFilter)) File.Copy(oldFilter, filter, overwrite: true);
            else File.Delete(filter);
            File.WriteAllBytes(filter + ".tmp", fresh[.._random.Next(fresh.Length + 1)]);
            Directory.Delete(before, recursive: true);
            state = "flushed, key filter rewrite torn";
        }
        else
        {
            int torn = 0;
            // How many SST files the flush left beside background flushes and compactions is the store's timing, not the
            // seed's: the tears draw from a generator of their own, so the seed's commands and faults stay the same.
            var tears = new Random(_random.Next());
            foreach (string file in Directory.GetFiles(Path.Combine(_ledger.DataDir, name), "*.sst").Order(StringComparer.Ordinal))
            {
                string target = Path.Combine(copy, name, Path.GetFileName(file));
                if (File.Exists(target)) continue;
                byte[] bytes;
                try
                {
                    bytes = File.ReadAllBytes(file);
                }
                catch (FileNotFoundException)
                {
                    continue; // a compaction deleted it since the listing (as CopyDirectory): no MANIFEST of the copy names it
                }
                File.WriteAllBytes(target, bytes[..tears.Next(bytes.Length + 1)]);
                torn++;
            }
            state = $"mid-flush, {torn} new SST file(s) torn";
        }
        Count(kind);
        await RestartOnAsync(copy, kind, hash, state);
    }

    /// <summary>
    /// A power cut (the read store behind the journal, at its last checkpoint), then a second one while the restarted
    /// ledger's read store catches up from the journal: the directory as the disk held it at the k-th record fed. The
    /// ledger started on that must still hold and answer everything.
    /// </summary>
    private async Task CrashDuringCatchUpAsync()
    {
        await _ledger.IdleAsync();
        ulong hash = _ledger.Host.Engine.ComputeStateHash();
        string first = NewDataDir();
        CopyDirectory(_ledger.DataDir, first);
        string old = _ledger.DataDir;
        _ledger.Dispose();
        _ledger = null!;
        Directory.Delete(old, recursive: true);
        string copy = NewDataDir();
        int k = 1 + _random.Next(4), fed = 0;
        bool cut = false;
        _ledger = LedgerInstance.Start(first, DefaultCatalog, () => _clock, _ =>
        {
            if (++fed != k) return;
            CopyDirectory(first, copy);
            cut = true;
        });
        _recoveries++;
        if (!cut)
        {
            // The read store was not behind by k records: an ordinary crash, audited as one.
            Directory.Delete(copy, recursive: true);
            Count(FaultKind.CrashIdle);
            await AuditRecoveryAsync(FaultKind.CrashIdle, [], null, null, hash, hash);
            return;
        }
        Count(FaultKind.CrashDuringCatchUp);
        await RestartOnAsync(copy, FaultKind.CrashDuringCatchUp, hash, $"cut at the {k}th record the catch-up fed");
    }

    /// <summary>
    /// A slow commit (the journal thread held inside it until released: no timing involved): meanwhile the command must
    /// not be answered and no read may show it; released, it is answered as the model says — or, for
    /// <see cref="FaultKind.SlowFailingCommit"/>, refused, and the ledger restarts in process without it.
    /// </summary>
    private async Task SlowCommitAsync(FaultKind kind)
    {
        await _ledger.IdleAsync();
        ulong hashBefore = _ledger.Host.Engine.ComputeStateHash();
        var failedHost = _ledger.Host;
        var held = _ledger.Journal.ArmHold(fail: kind == FaultKind.SlowFailingCommit);
        var command = _workload.Next();
        var live = command.Make();
        _clock = live.TimestampTicks;
        var submit = _ledger.Host.SubmitAsync(live).AsTask();
        if (await Task.WhenAny(held, submit) != held)
        {
            // It changed nothing, so nothing was committed: answered with no commit to hold.
            _ledger.Journal.DisarmHold();
            await submit;
            Audit(command, live);
            return;
        }
        Count(kind);
        if (submit.IsCompleted) throw new SimulationFailedException($"{command.Text} was answered while its commit was still running");
        await AuditReadsAsync(everyAccount: true); // the model has not applied it: no read may show it yet
        if (submit.IsCompleted) throw new SimulationFailedException($"{command.Text} was answered while its commit was still running");
        _ledger.Journal.Release();
        if (kind == FaultKind.SlowCommit)
        {
            await submit;
            Audit(command, live);
            return;
        }
        try
        {
            await submit;
            throw new SimulationFailedException($"{command.Text} was answered though its commit failed");
        }
        catch (Ledger.Engine.Hosting.JournalFailedException)
        {
            // refused: it must not apply
        }
        await _ledger.DrainedAsync(failedHost);
        await _ledger.RestartedAsync(failedHost);
        _recoveries++;
        await AuditRecoveryAsync(kind, [], null, null, hashBefore, hashBefore);
    }

    /// <summary>
    /// The entry store's read fails in the prefetch stage: the command must be refused, not decided without what the store
    /// holds, and the pipeline stops (fail-stop: a read error is not probed; the supervisor restarts the process, as here).
    /// </summary>
    private async Task PrefetchReadFailedAsync()
    {
        await _ledger.IdleAsync();
        ulong hash = _ledger.Host.Engine.ComputeStateHash();
        var failedHost = _ledger.Host;
        _ledger.Prefetcher.Failure.Arm();
        var command = _workload.Next();
        var live = command.Make();
        _clock = live.TimestampTicks;
        try
        {
            await _ledger.Host.SubmitAsync(live);
            throw new SimulationFailedException($"{command.Text} was answered though the store read its decision needs failed");
        }
        catch (Ledger.Engine.Hosting.JournalFailedException)
        {
            // refused
        }
        await _ledger.DrainedAsync(failedHost);
        if (failedHost.Fault is null || _ledger.Runtime.IsReady) throw new SimulationFailedException("the ledger kept taking commands after a failed store read");
        if (failedHost.Engine.ComputeStateHash() != hash) throw new SimulationFailedException($"{command.Text} changed the state though its store read failed");
        Count(FaultKind.PrefetchReadFailed);
        string dir = _ledger.DataDir;
        _ledger.Dispose();
        _ledger = LedgerInstance.Start(dir, DefaultCatalog, () => _clock);
        _recoveries++;
        await AuditRecoveryAsync(FaultKind.PrefetchReadFailed, [], null, null, hash, hash);
    }

    /// <summary>Throws the running ledger away (its directory too) and starts one on <paramref name="copy"/>, then audits it.</summary>
    private async Task RestartOnAsync(string copy, FaultKind kind, ulong hash, string state)
    {
        string old = _ledger.DataDir;
        _ledger.Dispose();
        _ledger = null!;
        Directory.Delete(old, recursive: true);
        _settings.Log?.Invoke($"seed {_settings.Seed} step {_step}: {kind} ({state}): restarting");
        _ledger = LedgerInstance.Start(copy, DefaultCatalog, () => _clock);
        _recoveries++;
        await AuditRecoveryAsync(kind, [], null, null, hash, hash);
    }

    /// <summary>Damages the copy as a power cut during the unanswered command's commit would have.</summary>
    private void Damage(string dataDir, FaultKind kind, LedgerCommand unanswered)
    {
        string journal = Path.Combine(dataDir, LedgerStore.JournalDirectoryName);
        var settings = new JournalSettings();
        string segment = Path.Combine(journal, $"{JournalLog.LogFileName}.{unanswered.JournalAddress >> settings.SegmentSizeBits}");
        long offset = unanswered.JournalAddress & ((1L << settings.SegmentSizeBits) - 1);
        switch (kind)
        {
            case FaultKind.TornCommitSlot:
            {
                // The slot the last commit wrote: the one with the higher commit number (FasterLog tries the newest first).
                using var file = new FileStream(Path.Combine(journal, "commit-slots"), FileMode.Open, FileAccess.ReadWrite);
                var header = new byte[16];
                long newest = -1, at = 0;
                for (int slot = 0; slot < 2; slot++)
                {
                    file.Position = slot * 4096L;
                    file.ReadExactly(header);
                    long number = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(8));
                    if (number > newest) (newest, at) = (number, slot * 4096L);
                }
                FlipByte(file, at + 24 + _random.Next(16), (byte)(1 << _random.Next(8)));
                break;
            }
            case FaultKind.TornLastRecord:
            {
                // Before the record's last nonzero byte: a file that ends in the alignment padding, or in trailing zero bytes
                // (read back as zeros past the end), still gives the whole record (seeds 17 and 3194 found the simulator
                // expecting those to be lost).
                using var file = new FileStream(segment, FileMode.Open, FileAccess.ReadWrite);
                var length = new byte[4];
                file.Position = offset;
                file.ReadExactly(length);
                var record = new byte[4 + BinaryPrimitives.ReadInt32LittleEndian(length)];
                file.Position = offset;
                file.ReadExactly(record);
                int lastNonZero = Array.FindLastIndex(record, b => b != 0);
                file.SetLength(offset + 1 + _random.Next(Math.Max(1, lastNonZero)));
                break;
            }
            case FaultKind.FlippedBitInLastRecord:
            {
                // Inside FasterLog's length field, our header or the payload (not the alignment padding after it, which nothing reads).
                using var file = new FileStream(segment, FileMode.Open, FileAccess.ReadWrite);
                var length = new byte[4];
                file.Position = offset;
                file.ReadExactly(length);
                int covered = 4 + BinaryPrimitives.ReadInt32LittleEndian(length);
                FlipByte(file, offset + _random.Next(covered), (byte)(1 << _random.Next(8)));
                break;
            }
        }
    }

    private static void FlipByte(FileStream file, long at, byte mask)
    {
        file.Position = at;
        int b = file.ReadByte();
        file.Position = at;
        file.WriteByte((byte)(b ^ mask));
    }

    /// <summary>Now and then the entry store or the read store is deleted, or replaced by an older copy of itself.</summary>
    private List<FaultKind> StoreFaults(string dataDir)
    {
        var done = new List<FaultKind>();
        foreach (var (name, older, deleted, olderKind) in new[]
                 {
                     (EntryStore.DirectoryName, OlderStore, FaultKind.EntryStoreDeleted, FaultKind.EntryStoreOlder),
                     (ReadStore.DirectoryName, OlderReads, FaultKind.ReadStoreDeleted, FaultKind.ReadStoreOlder),
                 })
        {
            int roll = _random.Next(8);
            string dir = Path.Combine(dataDir, name);
            if (roll == 0)
            {
                Directory.Delete(dir, recursive: true);
                done.Add(deleted);
            }
            else if (roll == 1 && Directory.Exists(older))
            {
                Directory.Delete(dir, recursive: true);
                CopyDirectory(older, dir);
                done.Add(olderKind);
            }
        }
        foreach (var kind in done) Count(kind);
        return done;
    }

    private async Task AuditRecoveryAsync(FaultKind kind, List<FaultKind> storeFaults, SimCommand? unanswered, LedgerCommand? live, ulong hashAcknowledged, ulong hashAfter)
    {
        var runtime = _ledger.Runtime;
        var report = runtime.Recovery!;
        string faults = string.Join("+", new[] { kind }.Concat(storeFaults));
        if (unanswered is not null)
        {
            bool survived = runtime.Store!.Journal.CommittedRecordNumber >= live!.RecordNumber;
            bool shouldSurvive = kind == FaultKind.CrashAfterCommit;
            if (survived != shouldSurvive)
                throw new SimulationFailedException($"after {faults}: the unanswered command (record {live.RecordNumber}: {unanswered.Text}) {(survived ? "survived" : "was lost")}; journal ends at record {runtime.Store.Journal.CommittedRecordNumber}");
            if (kind is FaultKind.TornLastRecord or FaultKind.FlippedBitInLastRecord && report.JournalCut is null)
                throw new SimulationFailedException($"after {faults}: the damaged last record was not reported as cut ({report.Summary()})");
            if (survived) Audit(unanswered, live); // its answer, had it gone out, must have been the model's (decided before the crash)
        }
        _model.Restart();
        ulong expectedHash = unanswered is not null && kind == FaultKind.CrashAfterCommit ? hashAfter : hashAcknowledged;
        ulong hash = _ledger.Host.Engine.ComputeStateHash();
        if (hash != expectedHash) throw new SimulationFailedException($"after {faults}: state hash {hash:x16}, the ledger had {expectedHash:x16} ({report.Summary()})");
        var engine = _ledger.Host.Engine;
        if (engine.LastSequence != _model.LastSequence) throw new SimulationFailedException($"after {faults}: last sequence {engine.LastSequence}, the model {_model.LastSequence}");
        foreach (var (key, balances, _) in _model.Accounts)
        {
            if (!engine.TryGetAccount(key, out var state)) throw new SimulationFailedException($"after {faults}: account {key} is missing");
            if (state.Balances != balances) throw new SimulationFailedException($"after {faults}: account {key} holds {state.Balances}, the model {balances}");
        }
        _settings.Log?.Invoke($"seed {_settings.Seed} step {_step}: {faults}: {report.Summary()}");
        await AuditReadsAsync(everyAccount: true);
        // Every acknowledged command is there with its first answer: resend the last few and a sample of the rest.
        var picks = _remembered.Skip(Math.Max(0, _remembered.Count - 5)).ToList();
        for (int i = 0; i < 10 && _remembered.Count > 0; i++) picks.Add(_remembered[_random.Next(_remembered.Count)]);
        foreach (var (command, first) in picks)
        {
            var retry = new SimCommand("resend after recovery: " + command.Text, () =>
            {
                var c = command.Make();
                c.TimestampTicks = _clock;
                return c;
            });
            var again = await SubmitAsync(retry);
            if (!again.Result.Replayed || AnswerText(again) != first)
                throw new SimulationFailedException($"after {faults}: {command.Text} was answered\n  {first}  and after the recovery\n  {AnswerText(again)}  (replayed {again.Result.Replayed})");
        }
    }

    // ---------------- files ----------------

    private string NewDataDir()
    {
        string dir = Path.Combine(SeedDir, $"data-{_dirs++}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Copies a data directory as the disk holds it (what a power cut leaves; the stores' unflushed memtables are not on it), without the lock file.</summary>
    private static void CopyDirectory(string from, string to) => Ledger.Testing.DataDirs.CopyDirectory(from, to, live: true);
}
