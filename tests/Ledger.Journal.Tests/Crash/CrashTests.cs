using System.Globalization;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using Ledger.Journal.Entries;
using Ledger.Journal.Recovery;
using NUnit.Framework;
using static Ledger.Testing.Commands;

namespace Ledger.Journal.Tests.Crash;

/// <summary>
/// Crash tests with real processes: the child runs the engine host with the real journal and entry store (behind a
/// 16-entry cache, so old entries come from the store) under a pipelined load from this test, which SIGKILLs it at
/// seeded random moments: some while the store stage is held back after the journal commit, some during a checkpoint,
/// some with the store deleted or replaced by an older copy before the restart. After every kill it proves that every
/// acknowledged command is in the journal with the answer it got, that no command is half in it, that the recovered
/// balances and state hash equal a recomputation from the journal, that start-up says where it started from, and that
/// retries of in-flight commands get correct idempotent answers. The last round takes the SIGTERM path.
/// </summary>
[NonParallelizable]
[Category("Process")]
public class CrashTests
{
    /// <summary>Same layout as the child writes (FasterLog must read with the page size it wrote).</summary>
    internal static readonly JournalSettings ChildJournal = new() { PageSizeBits = 16, MemorySizeBits = 20, SegmentSizeBits = 20 };

    private const int AccountCount = 12;

    [TestCase(20260621, 24)]
    public void ShouldKeepEveryAcknowledgedCommandAcrossSeededSigkills(int seed, int kills)
    {
        Assert.That(File.Exists(ChildProcess.DllPath), Is.True, "the crash child is built beside the tests");
        var random = new Random(seed);
        using var dir = new TempDataDir();
        var model = new LoadModel(random);
        var child = ChildProcess.Start(dir.Path, storeDelayMs: 0);
        try
        {
            ReadReady(child);
            foreach (var open in model.Openings()) child.Send(open.Line);
            child.Flush();
            while (model.Acked.Count < AccountCount) model.OnLine(child.ReadLine()!);

            int checkpointStarts = 0, deletedStarts = 0, olderStarts = 0;
            string storeDir = Path.Combine(dir.Path, EntryStore.DirectoryName);
            string olderStore = Path.Combine(dir.Path, "store-older-copy");
            var phase = System.Diagnostics.Stopwatch.StartNew();
            var timings = new double[4];
            int storeDelayMs = 0;
            for (int round = 1; round <= kills; round++)
            {
                phase.Restart();
                var batch = model.Generate(random.Next(60, 300));
                foreach (var spec in batch) child.Send(spec.Line);
                // Where the kill lands: anywhere; during a checkpoint (a third of the rounds); and with the store stage
                // held back after each journal commit (the rounds started with a store delay).
                bool duringCheckpoint = random.Next(3) == 0;
                if (duringCheckpoint) child.Send("checkpoint");
                child.Flush();
                int killAfter = random.Next(batch.Count + 1);
                int acked = 0;
                while (acked < killAfter)
                {
                    string line = child.ReadLine()!;
                    if (model.OnLine(line)) acked++;
                }
                if (random.Next(2) == 0) Thread.Sleep(random.Next(0, 4));
                timings[0] += phase.Elapsed.TotalSeconds; phase.Restart();
                child.Kill();
                foreach (var line in child.Rest()) model.OnLine(line);
                child.Dispose();

                var view = JournalView.Load(dir.Journal);
                model.AssertEveryAcknowledgedCommandIsJournaled(view, round);
                model.AssertNothingIsHalfApplied(view, round);

                // Now and then the store is lost, or an older copy of it comes back (a restore from an old backup).
                int storeFate = random.Next(8);
                if (round == 3) Copy(storeDir, olderStore); // an older copy for later rounds
                // Round 5 always loses the store and round 9 always gets the older copy back (whatever the seeded fate
                // says: the draws depend on what was acknowledged before each kill), so both paths run every time.
                if (round == 5 || (storeFate == 0 && round != 9))
                {
                    Directory.Delete(storeDir, recursive: true);
                    deletedStarts++;
                }
                else if ((storeFate == 1 || round == 9) && Directory.Exists(olderStore))
                {
                    Directory.Delete(storeDir, recursive: true);
                    Copy(olderStore, storeDir);
                    olderStarts++;
                }
                bool deleted = !Directory.Exists(storeDir);

                timings[1] += phase.Elapsed.TotalSeconds; phase.Restart();
                storeDelayMs = random.Next(3) == 0 ? random.Next(5, 40) : 0;
                child = ChildProcess.Start(dir.Path, storeDelayMs);
                var ready = ReadReady(child);
                timings[2] += phase.Elapsed.TotalSeconds; phase.Restart();
                Assert.That(ready.Hash, Is.EqualTo(view.StateHash), $"round {round}: recovered state hash = full replay of the journal");
                Assert.That(ready.LastRecord, Is.EqualTo(view.LastRecord), $"round {round}: recovery reaches the journal's last committed record");
                Assert.That(ready.JournalCut, Is.EqualTo("-"), $"round {round}: a SIGKILL never leaves a damaged committed record");
                Assert.That(ready.Balances, Is.EqualTo(view.Balances), $"round {round}: recovered balances = balances recomputed from the journal's events");
                // Start-up says what it did: from the store's checkpoint, replaying only what came after it.
                if (deleted)
                {
                    Assert.That(ready.StoreCheckpointRecord, Is.EqualTo("-"), $"round {round}: no store, no checkpoint");
                    Assert.That(ready.RecordsReplayed, Is.EqualTo(view.LastRecord), $"round {round}: a deleted store is rebuilt from the whole journal");
                }
                else if (ready.StoreCheckpointRecord != "-")
                {
                    long checkpointRecord = long.Parse(ready.StoreCheckpointRecord, CultureInfo.InvariantCulture);
                    Assert.That(checkpointRecord + ready.RecordsReplayed, Is.EqualTo(view.LastRecord), $"round {round}: the store's checkpoint + the records replayed after it = the journal");
                    checkpointStarts++;
                }

                // Retry every in-flight command, and a few acknowledged ones: the answers must be the journal's.
                var retries = model.InFlight().Concat(model.SomeAcknowledged(5)).ToList();
                foreach (var spec in retries) child.Send(spec.RetryLine());
                child.Flush();
                var answers = new Dictionary<string, Ack>();
                while (answers.Count < retries.Count)
                {
                    string line = child.ReadLine()!;
                    if (line.StartsWith("CHECKPOINT ", StringComparison.Ordinal)) continue;
                    var (id, ack) = LoadModel.ParseAck(line);
                    answers[id] = ack;
                }
                foreach (var spec in retries) model.AssertRetryAnswer(spec, answers[spec.RetryId], view, round);
                timings[3] += phase.Elapsed.TotalSeconds;
            }
            TestContext.Out.WriteLine($"load {timings[0]:0.0} s, kill+check {timings[1]:0.0} s, restart {timings[2]:0.0} s, retries {timings[3]:0.0} s");
            TestContext.Out.WriteLine($"{kills} SIGKILLs, {model.Acked.Count} commands acknowledged; restarts: {checkpointStarts} from the store's checkpoint, {deletedStarts} with the store deleted, {olderStarts} with an older store");
            Assert.That(checkpointStarts, Is.GreaterThan(kills / 2), "most restarts start from the store's checkpoint and replay only the tail");
            Assert.That(deletedStarts, Is.GreaterThan(0));
            Assert.That(olderStarts, Is.GreaterThan(0));

            // The clean path: SIGTERM drains, commits and exits 0; nothing is lost and nothing needs cutting.
            var last = model.Generate(200);
            foreach (var spec in last) child.Send(spec.Line);
            child.Flush();
            for (int i = 0; i < 50;)
            {
                if (model.OnLine(child.ReadLine()!)) i++;
            }
            Assert.That(child.Terminate(), Is.EqualTo(0), "SIGTERM exits 0");
            string? stopped = null;
            foreach (var line in child.Rest())
            {
                if (line.StartsWith("STOPPED ", StringComparison.Ordinal)) stopped = line;
                else model.OnLine(line);
            }
            Assert.That(stopped, Is.Not.Null, "the child reports its clean stop");
            var final = JournalView.Load(dir.Journal);
            model.AssertEveryAcknowledgedCommandIsJournaled(final, kills + 1);
            Assert.That(stopped!.Split(' ')[2], Is.EqualTo(final.StateHash.ToString("x16", CultureInfo.InvariantCulture)));
            child.Dispose();
            child = ChildProcess.Start(dir.Path, storeDelayMs: 0);
            var again = ReadReady(child);
            Assert.That(again.RecordsReplayed, Is.Zero, "after a clean stop the store's checkpoint is the journal's end: nothing to replay");
            Assert.That(again.Hash, Is.EqualTo(final.StateHash));
            Assert.That(again.JournalCut, Is.EqualTo("-"));
        }
        finally
        {
            child.Dispose();
        }
    }

    private sealed record Ready(long LastRecord, ulong Hash, long RecordsReplayed, string StoreCheckpointRecord, string JournalCut, Dictionary<long, Balances> Balances);

    private static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
    }

    private static Ready ReadReady(ChildProcess child)
    {
        var balances = new Dictionary<long, Balances>();
        while (true)
        {
            var line = child.ReadLine() ?? throw new InvalidOperationException("The crash child exited before it was ready.");
            var f = line.Split(' ');
            if (f[0] == "BALANCE")
            {
                var key = new AccountKey(int.Parse(f[1], CultureInfo.InvariantCulture), long.Parse(f[2], CultureInfo.InvariantCulture));
                balances[key.Packed] = new Balances(long.Parse(f[3], CultureInfo.InvariantCulture), long.Parse(f[4], CultureInfo.InvariantCulture));
                continue;
            }
            if (f[0] == "READY")
                return new Ready(long.Parse(f[1], CultureInfo.InvariantCulture), ulong.Parse(f[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                    long.Parse(f[4], CultureInfo.InvariantCulture), f[5], f[6], balances);
            throw new InvalidOperationException($"Unexpected line from the crash child: {line}");
        }
    }
}

/// <summary>An answer the child gave.</summary>
internal sealed record Ack(ResultCode Code, bool Replayed, long[] Sequences);

/// <summary>One command the test sent (as a line), with the entries it names.</summary>
internal sealed record Spec(string Id, string Line, bool IsDelete, (long Account, string CorrelationId)[] Entries)
{
    public string RetryId => Id + "r";
    public string RetryLine() => RetryId + Line[Id.Length..];
}

/// <summary>What the committed journal holds, read by a separate read-only scan (no entry store), as the tests' oracle.</summary>
internal sealed class JournalView
{
    public Dictionary<(long Account, string Id), (long Record, ResultCode Code, long Sequence)> Entries { get; } = [];
    public Dictionary<long, List<(long Account, string Id)>> RecordEntries { get; } = [];
    public Dictionary<(long Account, string Id), ResultCode> Deletes { get; } = [];
    public Dictionary<long, Balances> Balances { get; } = [];
    public ulong StateHash { get; private set; }
    public long LastRecord { get; private set; }

    public static JournalView Load(string journalDir)
    {
        var view = new JournalView();
        using var log = JournalLog.Open(journalDir, CrashTests.ChildJournal, readOnly: true);
        var result = LedgerRecovery.Recover(log, null, new RecoverySettings { OnRecord = (r, _) => view.Add(r) }); // no store: the whole journal
        Assert.That(result.Report.Damage, Is.Null, "a committed journal is never damaged by a SIGKILL");
        view.StateHash = result.Report.StateHash;
        view.LastRecord = result.Report.LastRecordNumber;
        return view;
    }

    private void Add(JournalRecord record)
    {
        var c = record.Command;
        if (c.Kind == CommandKind.PostEntries)
        {
            var list = new List<(long, string)>();
            for (int i = 0; i < c.EntryCount; i++)
            {
                var e = c.Entries[i];
                var key = (e.Account.Packed, e.CorrelationId);
                long sequence = 0;
                foreach (var ev in record.EventSpan)
                {
                    if (ev.Kind == LedgerEventKind.EntryApplied && ev.Account == e.Account && ev.CorrelationId == e.CorrelationId) sequence = ev.Sequence;
                }
                Assert.That(Entries.ContainsKey(key), Is.False, $"{e.Account}/{e.CorrelationId} is in the journal twice (records {(Entries.TryGetValue(key, out var x) ? x.Record : 0)} and {record.RecordNumber})");
                Entries[key] = (record.RecordNumber, record.Result.Code, sequence);
                list.Add(key);
            }
            RecordEntries[record.RecordNumber] = list;
        }
        if (c.Kind == CommandKind.RemoveEntry) Deletes[(c.TargetAccount.Packed, c.TargetCorrelationId!)] = record.Result.Code;
        foreach (var ev in record.EventSpan) Fold(ev);
    }

    /// <summary>Balances recomputed from the journaled amounts alone, checked against every event's stated balances.</summary>
    private void Fold(in LedgerEvent ev)
    {
        long key = ev.Account.Packed;
        if (ev.Kind == LedgerEventKind.AccountOpened)
        {
            Balances[key] = new Balances(0, 0);
            return;
        }
        var b = Balances[key];
        long available = b.AvailableMinor, held = b.HeldMinor, amount = ev.AmountMinor;
        if (ev.Kind == LedgerEventKind.EntryApplied)
        {
            var direction = ev.EntryType >= 0 ? DefaultCatalog.Find(ev.EntryType)!.Direction : default;
            switch (ev.EntryKind)
            {
                case EntryKind.Ledger: available += direction == Direction.Credit ? amount : -amount; break;
                case EntryKind.Blocking: available -= amount; held += amount; break;
                case EntryKind.Unblocking: case EntryKind.Removal: available += amount; held -= amount; break;
                case EntryKind.Reversal: available += direction == Direction.Debit ? amount : -amount; break;
            }
        }
        else if (ev.Kind == LedgerEventKind.EntryStatusChanged && ev.CausedBySequence == 0 && ev.Status is EntryStatus.Expired or EntryStatus.Removed)
        {
            available += amount; // the clock or a DELETE released what was still held
            held -= amount;
        }
        Balances[key] = new Balances(available, held);
        Assert.That(Balances[key], Is.EqualTo(ev.BalancesAfter), $"event {ev.Kind} seq {ev.Sequence} on {ev.Account}: journaled balances = recomputed ones");
    }
}

/// <summary>The test's side of the load: what it sent, what was acknowledged, and the checks against the journal.</summary>
internal sealed class LoadModel(Random random)
{
    private readonly Dictionary<string, Spec> _sent = [];
    private readonly List<Spec> _holds = [];
    private long _clock = T0;
    private int _next;

    public Dictionary<string, Ack> Acked { get; } = [];

    private static AccountKey AccountAt(int i) => new(1 + i % 3, 5000 + i);

    private string NextId() => "c" + (_next++).ToString(CultureInfo.InvariantCulture);

    private long Tick() => _clock += TimeSpan.TicksPerMillisecond * random.Next(1, 500);

    public IEnumerable<Spec> Openings()
    {
        for (int i = 0; i < 12; i++)
        {
            var a = AccountAt(i);
            string id = NextId();
            yield return Remember(new Spec(id, FormattableString.Invariant($"{id} {Tick()} open {a.Branch} {a.Number}"), false, []));
        }
    }

    public List<Spec> Generate(int count)
    {
        var list = new List<Spec>(count);
        for (int i = 0; i < count; i++) list.Add(Remember(NextSpec()));
        return list;
    }

    private Spec Remember(Spec spec)
    {
        _sent[spec.Id] = spec;
        return spec;
    }

    private Spec NextSpec()
    {
        string id = NextId();
        long at = Tick();
        var a = AccountAt(random.Next(12));
        int roll = random.Next(100);
        if (roll < 8 && _holds.Count > 0)
        {
            var hold = _holds[random.Next(_holds.Count)].Entries[0];
            var h = AccountKey.FromPacked(hold.Account);
            return new Spec(id, FormattableString.Invariant($"{id} {at} delete {h.Branch} {h.Number} {hold.CorrelationId}"), true, []);
        }
        var entries = new List<(AccountKey Account, char Kind, int Type, long Amount, long Expires)>();
        string bundle = "-";
        switch (roll)
        {
            case < 35: entries.Add((a, 'L', 100, random.Next(1, 50_000), 0)); break;
            case < 60: entries.Add((a, 'L', 998, random.Next(1, 30_000), 0)); break;
            case < 75: entries.Add((a, 'B', 998, random.Next(1, 10_000), random.Next(3) == 0 ? at + TimeSpan.TicksPerSecond * random.Next(1, 20) : 0)); break;
            case < 88:
                for (int i = random.Next(2, 4); i > 0; i--) entries.Add((a, 'L', i % 2 == 0 ? 100 : 700, random.Next(1, 20_000), 0));
                break;
            default:
            {
                var b = AccountAt((Array.IndexOf(Enumerable.Range(0, 12).Select(AccountAt).ToArray(), a) + 1 + random.Next(11)) % 12);
                long amount = random.Next(1, 40_000);
                entries.Add((a, 'L', 200, amount, 0));
                entries.Add((b, 'L', 201, amount, 0));
                bundle = "b" + id;
                break;
            }
        }
        var named = new (long, string)[entries.Count];
        var line = new System.Text.StringBuilder(FormattableString.Invariant($"{id} {at} post {bundle} {entries.Count}"));
        for (int i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            string corr = $"{id}-{i}";
            named[i] = (e.Account.Packed, corr);
            line.Append(CultureInfo.InvariantCulture, $" {e.Account.Branch} {e.Account.Number} {e.Kind} {corr} {e.Type} {e.Amount} {e.Expires}");
        }
        var spec = new Spec(id, line.ToString(), false, named);
        if (entries[0].Kind == 'B') _holds.Add(spec);
        return spec;
    }

    public static (string Id, Ack Ack) ParseAck(string line)
    {
        var f = line.Split(' ');
        if (f[0] != "A") throw new InvalidOperationException($"Expected an answer, got: {line}");
        long[] sequences = f[4] == "-" ? [] : f[4].Split(',').Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        return (f[1], new Ack((ResultCode)int.Parse(f[2], CultureInfo.InvariantCulture), f[3] == "1", sequences));
    }

    /// <summary>Records an answer line; true when it was the first answer to a command of the load.</summary>
    public bool OnLine(string line)
    {
        if (line.StartsWith("CHECKPOINT ", StringComparison.Ordinal)) return false;
        if (line.StartsWith("F ", StringComparison.Ordinal)) Assert.Fail($"The child failed a command: {line}");
        var (id, ack) = ParseAck(line);
        return Acked.TryAdd(id, ack);
    }

    public IEnumerable<Spec> InFlight() => _sent.Values.Where(s => !Acked.ContainsKey(s.Id) && !s.IsDelete && !s.Id.EndsWith('r')).ToList();

    public IEnumerable<Spec> SomeAcknowledged(int count) =>
        Acked.Keys.Where(id => _sent.TryGetValue(id, out var s) && !s.IsDelete && s.Entries.Length > 0).OrderBy(_ => random.Next()).Take(count).Select(id => _sent[id]).ToList();

    public void AssertEveryAcknowledgedCommandIsJournaled(JournalView view, int round)
    {
        foreach (var (id, ack) in Acked)
        {
            var spec = _sent[id];
            if (ack.Replayed || (!ack.Code.IsLedgerDecline() && ack.Code != ResultCode.Ok)) continue; // refused before the ledger: never journaled
            if (spec.IsDelete)
            {
                if (ack.Code == ResultCode.Ok)
                {
                    var target = spec.Line.Split(' ');
                    var key = (new AccountKey(int.Parse(target[3], CultureInfo.InvariantCulture), long.Parse(target[4], CultureInfo.InvariantCulture)).Packed, target[5]);
                    Assert.That(view.Deletes.ContainsKey(key), Is.True, $"round {round}: acknowledged DELETE {id} is journaled");
                }
                continue;
            }
            for (int i = 0; i < spec.Entries.Length; i++)
            {
                Assert.That(view.Entries.TryGetValue(spec.Entries[i], out var journaled), Is.True, $"round {round}: acknowledged {id} entry {i} is in the journal");
                Assert.That(journaled.Code, Is.EqualTo(ack.Code), $"round {round}: {id} journaled with the answer it got");
                if (ack.Code == ResultCode.Ok) Assert.That(journaled.Sequence, Is.EqualTo(ack.Sequences[i]), $"round {round}: {id} entry {i} keeps its sequence");
            }
        }
    }

    public void AssertNothingIsHalfApplied(JournalView view, int round)
    {
        foreach (var (record, entries) in view.RecordEntries)
        {
            string id = entries[0].Id[..entries[0].Id.LastIndexOf('-')];
            var spec = _sent[id];
            Assert.That(entries, Is.EquivalentTo(spec.Entries), $"round {round}: journal record {record} holds all of command {id}, not a part");
        }
    }

    public void AssertRetryAnswer(Spec spec, Ack answer, JournalView view, int round)
    {
        if (spec.Entries.Length == 0) return;
        if (view.Entries.TryGetValue(spec.Entries[0], out var journaled))
        {
            Assert.That(answer.Replayed, Is.True, $"round {round}: a retry of {spec.Id}, which is in the journal, is answered from memory");
            Assert.That(answer.Code, Is.EqualTo(journaled.Code), $"round {round}: the retry of {spec.Id} gets the first answer");
            for (int i = 0; i < spec.Entries.Length && answer.Code == ResultCode.Ok; i++)
                Assert.That(answer.Sequences[i], Is.EqualTo(view.Entries[spec.Entries[i]].Sequence), $"round {round}: retry of {spec.Id} entry {i}");
            if (Acked.TryGetValue(spec.Id, out var first)) Assert.That(answer.Code, Is.EqualTo(first.Code));
            else Acked[spec.Id] = answer with { Replayed = false }; // its answer is now known: check it in later rounds too
        }
        else
        {
            Assert.That(answer.Replayed, Is.False, $"round {round}: {spec.Id} never reached the journal, so its retry is a first attempt");
            Acked[spec.Id] = answer; // the retry is now its acknowledged answer
            for (int i = 0; i < spec.Entries.Length; i++) Assert.That(view.Entries.ContainsKey(spec.Entries[i]), Is.False, $"round {round}: no part of {spec.Id} is journaled");
        }
    }
}
