using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using Ledger.Journal;

namespace Ledger.Gateway.Tests;

/// <summary>
/// The read side across SIGKILLs: the gateway runs as a real process under concurrent load (postings, holds, releases,
/// removals, reversals) and is killed at seeded moments (seed 20261201), with the read store checkpointing every second.
/// After each restart: every acknowledged entry is in its statement; balances, statements (v1 paged, v2 filtered) and
/// <c>?at=</c> equal a projection recomputed here from the journal, independently of Ledger.ReadSide; and start-up fed
/// the read store only the journal after its watermark (the count it logs + its watermark = the journal's last record).
/// </summary>
[Category("Process")]
public sealed partial class ReadSideCrashTests
{
    private const int Seed = 20261201;
    private const int Rounds = 3;
    private const int Workers = 6;
    private const int AccountsPerWorker = 3;

    [GeneratedRegex(@"Read store caught up: (\d+) journal records fed after its watermark \(record (\d+)\), now at record (\d+)")]
    private static partial Regex CaughtUp();

    [Test]
    public async Task ShouldAnswerAsTheJournalSaysAfterEachKillAndFeedOnlyTheTail()
    {
        string dataDir = GatewayServer.NewDataDir();
        var random = new Random(Seed);
        var acked = new Dictionary<AccountKey, HashSet<string>>();
        var accounts = new List<AccountKey>();
        string[] settings = ["Ledger:Checkpoint:EverySeconds=1", "Logging:LogLevel:Ledger.Gateway.Hosting.LedgerRuntime=Information"];
        try
        {
            using (var first = await GatewayProcess.StartAsync(dataDir, settings))
            {
                await OpenAccountsAsync(first, 500_000, accounts, acked);
                first.Kill();
            }

            var fedCounts = new List<(long Fed, long From, long To)>();
            for (int round = 0; round < Rounds; round++)
            {
                var loadFor = TimeSpan.FromMilliseconds(random.Next(1_500, 3_500));
                using (var gateway = await GatewayProcess.StartAsync(dataDir, settings))
                {
                    await LoadAsync(gateway, accounts, acked, round, loadFor, random.Next());
                    gateway.Kill(); // mid-load: requests are in flight
                }

                using var restarted = await GatewayProcess.StartAsync(dataDir, settings);
                var match = CaughtUp().Match(restarted.Log);
                Assert.That(match.Success, Is.True, "the start-up log says what the read store caught up:\n" + restarted.Log);
                long fed = long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), from = long.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture),
                    to = long.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture);
                fedCounts.Add((fed, from, to));
                var answers = await ReadEverythingAsync(restarted, accounts);
                restarted.Kill(); // a second kill, while idle: the next round starts from it

                var journal = JournalProjection.Of(Path.Combine(dataDir, "journal"));
                TestContext.Out.WriteLine($"round {round}: load {loadFor.TotalSeconds:F1} s, journal records {journal.LastRecord}, read store fed {fed} after its watermark record {from}; " +
                    restarted.Log.Split('\n').LastOrDefault(l => l.Contains("Read store caught up", StringComparison.Ordinal))?.Trim());
                Assert.That(to, Is.EqualTo(journal.LastRecord), "the read store caught up to the journal's end");
                Assert.That(from + fed, Is.EqualTo(to), "it was fed exactly the records after its watermark");
                Assert.That(from, Is.GreaterThan(0), "a checkpointed watermark: no rescan from record 1");
                foreach (var key in accounts) answers[key].AssertEqualTo(journal, key, acked[key]);
            }
        }
        finally
        {
            if (Directory.Exists(dataDir)) Directory.Delete(dataDir, recursive: true);
        }
    }

    /// <summary>
    /// A catch-up at start is checkpointed at once, not at the first tick: with ticks an hour apart, a kill after the
    /// catch-up's checkpoint and before anything new is posted makes the next start feed nothing (it fed the same
    /// records again on every crash before).
    /// </summary>
    [Test]
    public async Task ShouldCheckpointWhatTheCatchUpFedSoTheNextStartFeedsNothingAgain()
    {
        string dataDir = GatewayServer.NewDataDir();
        var acked = new Dictionary<AccountKey, HashSet<string>>();
        var accounts = new List<AccountKey>();
        string[] settings = ["Ledger:Checkpoint:EverySeconds=3600", "Logging:LogLevel:Ledger.Gateway.Hosting.LedgerRuntime=Information"];
        try
        {
            using (var gateway = await GatewayProcess.StartAsync(dataDir, settings))
            {
                await OpenAccountsAsync(gateway, 600_000, accounts, acked);
                await LoadAsync(gateway, accounts, acked, round: 0, TimeSpan.FromSeconds(2), Seed);
                gateway.Kill(); // no tick in an hour: the read store's memtable is lost
            }

            long caughtUpTo;
            using (var restarted = await GatewayProcess.StartAsync(dataDir, settings))
            {
                var first = CaughtUp().Match(restarted.Log);
                Assert.That(first.Success, Is.True, "the start-up log says what the read store caught up:\n" + restarted.Log);
                Assert.That(long.Parse(first.Groups[1].Value, CultureInfo.InvariantCulture), Is.GreaterThan(0), "the premise: the kill left records to feed");
                caughtUpTo = long.Parse(first.Groups[3].Value, CultureInfo.InvariantCulture);
                var waited = System.Diagnostics.Stopwatch.StartNew();
                while (await restarted.MetricAsync("ledger_read_store_checkpoints_total") < 1 && waited.Elapsed < TimeSpan.FromSeconds(30))
                    await Task.Delay(100);
                restarted.Kill(); // nothing posted since the catch-up
            }

            using var again = await GatewayProcess.StartAsync(dataDir, settings);
            var second = CaughtUp().Match(again.Log);
            Assert.That(second.Success, Is.True, again.Log);
            Assert.That(second.Groups[2].Value, Is.EqualTo(caughtUpTo.ToString(CultureInfo.InvariantCulture)), "its watermark is where the last catch-up ended");
            Assert.That(second.Groups[1].Value, Is.EqualTo("0"), "the same records are not fed again");
            var answers = await ReadEverythingAsync(again, accounts);
            var journal = JournalProjection.Of(Path.Combine(dataDir, "journal"));
            foreach (var key in accounts) answers[key].AssertEqualTo(journal, key, acked[key]);
        }
        finally
        {
            if (Directory.Exists(dataDir)) Directory.Delete(dataDir, recursive: true);
        }
    }

    /// <summary>Opens the workers' accounts (branch 3, numbers from <paramref name="firstNumber"/>), none acknowledged yet.</summary>
    private static async Task OpenAccountsAsync(GatewayProcess gateway, int firstNumber, List<AccountKey> accounts, Dictionary<AccountKey, HashSet<string>> acked)
    {
        using var admin = await gateway.ClientAsync("ledger-admin");
        for (int i = 0; i < Workers * AccountsPerWorker; i++)
        {
            var key = new AccountKey(3, firstNumber + i);
            using var opened = await admin.PostAsync("/v1/accounts", Json($"{{\"branch\":3,\"account\":{key.Number},\"currency\":\"USD\",\"overdraftLimit\":0}}"));
            Assert.That(opened.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            accounts.Add(key);
            acked[key] = [];
        }
    }

    /// <summary>Workers own their accounts, so a release or reversal names an entry they saw acknowledged.</summary>
    private static async Task LoadAsync(GatewayProcess gateway, List<AccountKey> accounts, Dictionary<AccountKey, HashSet<string>> acked, int round, TimeSpan loadFor, int seed)
    {
        using var stop = new CancellationTokenSource(loadFor);
        var tasks = Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            var random = new Random(seed + w);
            using var client = await gateway.ClientAsync();
            var owned = accounts.Skip(w * AccountsPerWorker).Take(AccountsPerWorker).ToList();
            var holds = owned.ToDictionary(a => a, _ => new List<string>());
            var postings = owned.ToDictionary(a => a, _ => new List<string>());
            for (int n = 0; !stop.IsCancellationRequested; n++)
            {
                var key = owned[random.Next(owned.Count)];
                string path = $"/v1/accounts/{key.Branch}/{key.Number}", id = $"r{round}w{w}n{n}";
                int pick = random.Next(100);
                string[] ids;
                HttpResponseMessage response;
                try
                {
                    if (pick < 10 && holds[key].Count > 0)
                    {
                        string hold = Take(holds[key], random);
                        ids = [id];
                        response = await client.PostAsync(path + "/batches", Batch(Entry("unblocking", id, unblocks: hold)), CancellationToken.None);
                    }
                    else if (pick < 15 && holds[key].Count > 0)
                    {
                        string hold = Take(holds[key], random);
                        ids = [];
                        response = await client.DeleteAsync(path + "/entries?correlationId=" + hold, CancellationToken.None);
                    }
                    else if (pick < 25 && postings[key].Count > 0)
                    {
                        string original = Take(postings[key], random);
                        ids = [id];
                        response = await client.PostAsync(path + "/batches", Batch(Entry("reversal", id, reverses: original)), CancellationToken.None);
                    }
                    else if (pick < 40)
                    {
                        ids = [id];
                        response = await client.PostAsync(path + "/batches", Batch(Entry("blocking", id, 998, random.Next(1, 100))), CancellationToken.None);
                        if (response.StatusCode == HttpStatusCode.Created) holds[key].Add(id);
                    }
                    else
                    {
                        int count = random.Next(1, 6);
                        ids = Enumerable.Range(0, count).Select(i => $"{id}e{i}").ToArray();
                        response = await client.PostAsync(path + "/batches",
                            Batch(ids.Select(e => Entry("ledger", e, 100, random.Next(1_000, 100_000), description: random.Next(3) == 0 ? null : "pay " + e)).ToArray()), CancellationToken.None);
                        if (response.StatusCode == HttpStatusCode.Created) postings[key].AddRange(ids);
                    }
                }
                catch (HttpRequestException)
                {
                    return; // the gateway was killed
                }
                using (response)
                {
                    if (response.StatusCode != HttpStatusCode.Created && response.StatusCode != HttpStatusCode.OK) continue;
                    lock (acked)
                    {
                        foreach (var e in ids) acked[key].Add(e);
                    }
                }
            }
        })).ToArray();
        await Task.WhenAll(tasks);
    }

    private static string Take(List<string> ids, Random random)
    {
        int i = random.Next(ids.Count);
        string id = ids[i];
        ids.RemoveAt(i);
        return id;
    }

    private static async Task<Dictionary<AccountKey, Answers>> ReadEverythingAsync(GatewayProcess gateway, List<AccountKey> accounts)
    {
        using var client = await gateway.ClientAsync();
        var answers = new Dictionary<AccountKey, Answers>();
        foreach (var key in accounts)
        {
            string statement = $"/v1/entries?branch={key.Branch}&account={key.Number}&limit=97";
            var all = await PagesAsync(client, statement);
            var blocking = await PagesAsync(client, $"/v2/entries?branch={key.Branch}&account={key.Number}&entryKind=blocking&limit=1000");
            var bigPosted = await PagesAsync(client, $"/v2/entries?branch={key.Branch}&account={key.Number}&status=POSTED&minAmount=50000&limit=1000");
            var balances = Balances((await (await client.GetAsync($"/v1/accounts/{key.Branch}/{key.Number}/balances")).BodyAsync())["balances"]!);
            var at = new List<(string Instant, (long, long) Balances)>();
            for (int i = 0; i < all.Count; i += Math.Max(1, all.Count / 4))
            {
                string instant = (string)all[i]["timestamp"]!;
                using var response = await client.GetAsync($"/v1/accounts/{key.Branch}/{key.Number}/balances?at={Uri.EscapeDataString(instant)}");
                at.Add((instant, Balances((await response.BodyAsync())["balances"]!)));
            }
            answers[key] = new Answers(all, blocking, bigPosted, balances, at);
        }
        return answers;
    }

    private static async Task<List<JsonNode>> PagesAsync(HttpClient client, string query)
    {
        var rows = new List<JsonNode>();
        string? cursor = null;
        do
        {
            using var response = await client.GetAsync(query + (cursor is null ? "" : "&cursor=" + cursor));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), query);
            var body = await response.BodyAsync();
            rows.AddRange(body["entries"]!.AsArray().Select(e => e!));
            cursor = (string?)body["nextCursor"];
        }
        while (cursor is not null);
        return rows;
    }

    private sealed record Answers(List<JsonNode> Statement, List<JsonNode> Blocking, List<JsonNode> BigPosted, (long Available, long Held) Balances,
        List<(string Instant, (long, long) Balances)> At)
    {
        public void AssertEqualTo(JournalProjection journal, AccountKey key, HashSet<string> acked)
        {
            var rows = journal.Rows(key);
            Assert.That(Describe(Statement), Is.EqualTo(rows.Select(r => r.Describe()).ToList()), $"{key}: v1 statement");
            Assert.That(Describe(Blocking), Is.EqualTo(rows.Where(r => r.Kind == EntryKind.Blocking).Select(r => r.Describe()).ToList()), $"{key}: v2 entryKind=blocking");
            Assert.That(Describe(BigPosted), Is.EqualTo(rows.Where(r => r.Status == "POSTED" && r.Amount >= 50_000).Select(r => r.Describe()).ToList()), $"{key}: v2 status+minAmount");
            var last = journal.BalancesAt(key, long.MaxValue);
            Assert.That(Balances, Is.EqualTo((last.AvailableMinor, last.HeldMinor)), $"{key}: balances now");
            foreach (var (instant, balances) in At)
            {
                // ?at= covers the precision the instant is written in (the wire rule), so the projection asks the same.
                Assert.That(ReadSide.WireTime.TryParseInstantThrough(instant, out long through), Is.True);
                var then = journal.BalancesAt(key, through);
                Assert.That(balances, Is.EqualTo((then.AvailableMinor, then.HeldMinor)), $"{key}: balances at {instant}");
            }
            var listed = Statement.Select(e => (string)e["correlationId"]!).ToHashSet();
            Assert.That(acked.Where(id => !listed.Contains(id)), Is.Empty, $"{key}: every acknowledged entry is in the statement");
        }

        private static List<string> Describe(List<JsonNode> entries) => entries.Select(e =>
            $"{e["sequence"]} {e["correlationId"]} {e["entryKind"]} {e["status"]} {e["amount"]!["value"]} {e["description"]} " +
            $"{e["reversedBy"]} {e["reverses"] ?? e["unblocks"] ?? e["removes"]} {DateTime.Parse((string)e["timestamp"]!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal).Ticks}").ToList();
    }

    /// <summary>Statements and balance history recomputed from the journal's events with nothing of Ledger.ReadSide.</summary>
    private sealed class JournalProjection
    {
        private readonly Dictionary<AccountKey, List<Row>> _rows = [];
        private readonly Dictionary<(AccountKey, long), Row> _bySequence = [];
        private readonly Dictionary<AccountKey, List<(long Ticks, Balances After)>> _history = [];

        public long LastRecord { get; private set; }

        public static JournalProjection Of(string journalDir)
        {
            var projection = new JournalProjection();
            using var log = JournalLog.Open(journalDir, readOnly: true);
            JournalReader.ReadAll(log, record =>
            {
                projection.LastRecord = record.RecordNumber;
                foreach (ref readonly var e in record.EventSpan) projection.Apply(in e);
            });
            return projection;
        }

        private void Apply(in LedgerEvent e)
        {
            switch (e.Kind)
            {
                case LedgerEventKind.AccountOpened:
                    _rows[e.Account] = [];
                    _history[e.Account] = [(e.TimestampTicks, default)];
                    return;
                case LedgerEventKind.EntryApplied:
                {
                    var row = new Row
                    {
                        Sequence = e.Sequence, CorrelationId = e.CorrelationId!, Kind = e.EntryKind, Status = StatusName(e.Status), Amount = e.AmountMinor,
                        Description = e.Description, Ticks = e.TimestampTicks,
                        Reference = e.ReferenceSequence == 0 || e.EntryKind == EntryKind.Ledger || e.EntryKind == EntryKind.Blocking ? null : _bySequence[(e.Account, e.ReferenceSequence)].CorrelationId,
                    };
                    _rows[e.Account].Add(row);
                    _bySequence[(e.Account, e.Sequence)] = row;
                    break;
                }
                case LedgerEventKind.EntryStatusChanged:
                {
                    var row = _bySequence[(e.Account, e.Sequence)];
                    if (e.MarksReversal) row.ReversedBy = _bySequence[(e.Account, e.CausedBySequence)].CorrelationId;
                    else row.Status = StatusName(e.Status);
                    break;
                }
            }
            _history[e.Account].Add((e.TimestampTicks, e.BalancesAfter));
        }

        private static string StatusName(EntryStatus status) => status.ToString().ToUpperInvariant();

        public List<Row> Rows(AccountKey key) => _rows[key];

        public Balances BalancesAt(AccountKey key, long ticks) => _history[key].LastOrDefault(h => h.Ticks <= ticks).After;
    }

    private sealed class Row
    {
        public long Sequence;
        public string CorrelationId = "";
        public EntryKind Kind;
        public string Status = "";
        public long Amount;
        public string? Description;
        public string? Reference;
        public string? ReversedBy;
        public long Ticks;

        public string Describe() =>
            $"{Sequence} {CorrelationId} {Kind.ToString().ToLowerInvariant()} {Status} {Amount} {Description} {ReversedBy} {Reference} {Ticks}";
    }
}
