using System.Globalization;
using Ledger.PerfReport;

namespace Ledger.Bench.Tests;

/// <summary>The report writer on recorded ledger-bench results (Fixtures/: a ledger and a no-op closed-loop run and a ledger sweep).</summary>
public class ReportWriterTests
{
    private string _dir = null!;

    [SetUp]
    public void CopyFixtures()
    {
        _dir = Path.Combine(Path.GetTempPath(), "ledger-report-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(_dir, "runs"));
        foreach (var f in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Fixtures"), "*.json"))
        {
            File.Copy(f, Path.Combine(_dir, "runs", Path.GetFileName(f)));
        }
        File.WriteAllText(Path.Combine(_dir, "machine.txt"), "date: 2026-12-06 04:19:00 UTC\ncommand: ./run-perf.sh --quick\n");
    }

    [TearDown]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void ShouldWriteReportMarkdownAndNonEmptyPngs()
    {
        var report = ReportWriter.Write(_dir);

        Assert.That(new FileInfo(report.MarkdownPath).Length, Is.GreaterThan(0));
        Assert.That(report.Plots, Is.Not.Empty);
        Assert.That(report.Plots, Does.Contain("sweep-offered-accepted.png").And.Contain("entries-by-batch-size.png").And.Contain("latency-http-batch-10.png"));
        string markdown = File.ReadAllText(report.MarkdownPath);
        foreach (var plot in report.Plots)
        {
            var bytes = File.ReadAllBytes(Path.Combine(_dir, plot));
            Assert.That(bytes.Length, Is.GreaterThan(1000), plot);
            Assert.That(bytes.Take(4), Is.EqualTo(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }), plot);
            Assert.That(markdown, Does.Contain($"]({plot})"), "every plot is shown in the report");
        }
        Assert.That(markdown, Does.Contain("command**: ./run-perf.sh --quick"));
    }

    [Test]
    public void SummaryTableRowsShouldMatchTheJson()
    {
        var report = ReportWriter.Write(_dir);
        string[] lines = File.ReadAllLines(report.MarkdownPath);
        var results = Directory.GetFiles(Path.Combine(_dir, "runs"), "*.json").Select(BenchResult.Read).ToList();

        Assert.That(report.Rows, Has.Count.EqualTo(results.Count), "one row per (section, label, target) with one round each");
        foreach (var r in results)
        {
            // The figure of a closed-loop run is its measured step; of a sweep, the step at its knee (its probe when none kept up).
            var step = r.Mode != BenchMode.Sweep ? r.Steps[^1] : r.Knee is { } knee ? r.Steps.Single(s => s.OfferedRps == knee.OfferedRps) : r.Steps[0];
            string prefix = string.Create(CultureInfo.InvariantCulture,
                $"| {r.Section} | {r.Label} | {r.Target} | {step.EntriesPerSecond:0} | {step.AcceptedRps:0} | {step.Latency.P50Ms:0.###} | {step.Latency.P99Ms:0.###} | {step.Latency.P999Ms:0.###} |");
            Assert.That(lines, Has.One.StartsWith(prefix), $"the row of {r.Section} {r.Label} {r.Target}");
        }
    }

    [Test]
    public void TheLedgerRowShouldCarryItsRatioToTheNoOpOfTheSameRun()
    {
        var report = ReportWriter.Write(_dir);
        var results = Directory.GetFiles(Path.Combine(_dir, "runs"), "*.json").Select(BenchResult.Read).ToList();
        double ledger = results.Single(r => r.Section == "http" && r.Target == "ledger").Steps[^1].EntriesPerSecond;
        double noop = results.Single(r => r.Section == "http" && r.Target == "noop").Steps[^1].EntriesPerSecond;

        var row = report.Rows.Single(r => r.Figure.Section == "http" && r.Figure.Target == "ledger");

        Assert.That(row.VsNoOp, Is.EqualTo(ledger / noop).Within(1e-9));
        Assert.That(row.VsPostgres, Is.Null, "no PostgreSQL run in the fixtures");
        Assert.That(ReportWriter.RowLine(row), Does.Contain((ledger / noop).ToString("0.00", CultureInfo.InvariantCulture) + "x"));
    }

    [Test]
    public void AFailedCheckShouldBeNamedInTheReport()
    {
        string path = Directory.GetFiles(Path.Combine(_dir, "runs"), "http-batch-10-ledger*.json").Single();
        var r = BenchResult.Read(path);
        r.Check.Passed = false;
        r.Check.Failures = ["sum over accounts: AVAILABLE moved 1, acknowledged 2."];
        r.Write(path);

        var report = ReportWriter.Write(_dir);

        string markdown = File.ReadAllText(report.MarkdownPath);
        Assert.That(markdown, Does.Contain("**FAILED** http batch-10 ledger round 1: sum over accounts"));
    }

    [TestCase(100_000, 95_000, true, TestName = "TheSoakGoalShouldBeMetWhenTheLastMinuteKeeps90PercentOfTheFirst")]
    [TestCase(100_000, 85_000, false, TestName = "TheSoakGoalShouldBeMissedWhenTheLastMinuteFallsBelow90Percent")]
    public void TheSoakGoalComparesTheFirstAndLastMinute(double first, double last, bool met)
    {
        var soak = new BenchResult { Section = "soak", Target = "ledger" };
        for (int t = 1; t <= 180; t++) soak.Timeline.Add(new TimelineSample { Seconds = t, EntriesPerSecond = t <= 60 ? first : t > 120 ? last : 1 });

        var verdict = Goals.SoakKeepsItsRate(soak);

        Assert.That(verdict!.Value.FirstMinute, Is.EqualTo(first));
        Assert.That(verdict.Value.LastMinute, Is.EqualTo(last));
        Assert.That(verdict.Value.Met, Is.EqualTo(met));
    }

    [Test]
    public void TheSoakGoalShouldNotBeJudgedOnARunShorterThanTwoMinutes()
    {
        var soak = new BenchResult { Section = "soak", Target = "ledger" };
        for (int t = 1; t <= 60; t++) soak.Timeline.Add(new TimelineSample { Seconds = t, EntriesPerSecond = 1 });

        Assert.That(Goals.SoakKeepsItsRate(soak), Is.Null);
    }
}

/// <summary>
/// The sections ledger-bench does not drive: their output (BenchmarkDotNet's JSON export, perf/durable's and perf/kafka's
/// lines, as those tools print them) becomes figures.json and a row each in report.md's summary, with the same run's
/// baseline or "no baseline: absolute", and the goal met or not. And Kafka ingress rows carry their ratio to REST.
/// </summary>
public class OtherFiguresTests
{
    private string _dir = null!;

    private const string DurableLog = """
        # 2026-12-06T07:00:00Z load average: 1.00 1.00 1.00
        soak: 1,000,000 accounts, 100-entry commands, 10,000,000 entries, 2 producers x window 64; cache 1 entries, store cache 64 MiB + 4 x 64 MiB memtables
        summary: 10,000,000 entries in 20 s; first slice 600,000 entries/s, last 550,000 (0.92 of the first); RSS at slice 1 900 MiB, max after it 950 MiB (1.06 x); data dir 800 MiB
        restart to ready: 6.20 s (1,234 journal records replayed after the store's checkpoint at record 99,000; 1,000,000 accounts, 0 open holds loaded); RSS 500 MiB
        durable: 5,000,000 single-entry commands in 10.00 s = 500,000 entries/s (2 producers, window 4096 each, ring 16384, blocking wait, entry store on)
        raw FasterLog append+commit of the same records (64 bytes, 200 per commit, 1 thread): 1,250,000 records/s
        commit of 1 x 64 B, fsync: p50 1500 µs, p99 2700 µs, p99.9 3000 µs, max 4000 µs (300 samples)
        scan (read + check + decode, no engine): 10,000 records in 0.50 s = 2,000,000 entries/s
        full replay through the engine into a scratch store (rebuild-store, verify --full): 10,000 records / 1,000,000 entries in 2.00 s = 500,000 entries/s; peak RSS so far 1.0 GiB
        start-up from the store's checkpoint: 0.90 s (0 records replayed after it)
        start-up with the store deleted (rebuilt from the whole journal): 3.00 s (10,000 records replayed)
        """;

    private const string KafkaLog = """
        kafka bench: 6000 commands of 100 entries (600000 entries) over 1000 accounts; mock cluster, 4 partitions, 2 cores
          ingress (commands in -> results out): 127087 entries/s, 1271 commands/s (4.72 s)
          publisher (ledger.events read): 111980 events/s (5.37 s)
          publisher lag sampled every 100 ms: max 1500 journal records, max 1.56 s
        """;

    private const string BdnJson = """
        {"Title":"t","Benchmarks":[
          {"Type":"RingVsChannelBenchmarks","Method":"Channel","Parameters":"","Statistics":{"Mean":100.0}},
          {"Type":"RingVsChannelBenchmarks","Method":"RingBlocking","Parameters":"","Statistics":{"Mean":40.0}},
          {"Type":"EngineApplyBenchmarks","Method":"SingleEntry","Parameters":"","Statistics":{"Mean":900.0},"Memory":{"BytesAllocatedPerOperation":0}}
        ]}
        """;

    [SetUp]
    public void Write()
    {
        _dir = Path.Combine(Path.GetTempPath(), "ledger-report-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(_dir, "runs"));
        Directory.CreateDirectory(Path.Combine(_dir, "micro", "bdn", "results"));
        File.WriteAllText(Path.Combine(_dir, "durable.log"), DurableLog);
        File.WriteAllText(Path.Combine(_dir, "kafka.log"), KafkaLog);
        File.WriteAllText(Path.Combine(_dir, "micro", "bdn", "results", "Ledger.Benchmarks-report-full-compressed.json"), BdnJson);
        File.WriteAllText(Path.Combine(_dir, "micro", "throughput.log"),
            "throughput wait=blocking producers=2 batch=100 commands=40000 entries=4000000 elapsed_ms=870 entries_per_s=4597701 commands_per_s=45977 alloc_bytes_per_entry=0.00 gc0=0 gc1=0 gc2=0 loadavg=\"1 1 1\"\n");
        // Kafka ingress and REST on the same gateway, from a recorded run's JSON.
        var template = BenchResult.Read(Path.Combine(AppContext.BaseDirectory, "Fixtures", "http-batch-10-ledger-r1.json"));
        template.Section = "kafka";
        template.Label = "batch-100";
        template.Workload.Transport = "kafka";
        template.Steps[^1].EntriesPerSecond = 90_000;
        template.Write(Path.Combine(_dir, "runs", "kafka-batch-100-ledger-r1.json"));
        template.Label = "rest-batch-100";
        template.Workload.Transport = "rest";
        template.Steps[^1].EntriesPerSecond = 100_000;
        template.Write(Path.Combine(_dir, "runs", "kafka-rest-batch-100-ledger-r1.json"));
    }

    [TearDown]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void EveryParsedFigureShouldBeARowOfTheReportAndInFiguresJson()
    {
        var report = ReportWriter.Write(_dir);
        string markdown = File.ReadAllText(report.MarkdownPath);
        string json = File.ReadAllText(Path.Combine(_dir, OtherFigures.FileName));

        // durable 5 (pipeline, soak last slice and RSS, restart, commit) + replay 2 + restart 2 + kafka 3 + micro 3 (ring, apply, its allocation) + harness 1
        Assert.That(report.Others, Has.Count.EqualTo(16));
        foreach (var o in report.Others)
        {
            Assert.That(markdown, Does.Contain(ReportWriter.OtherLine(o)), o.Figure);
            Assert.That(json, Does.Contain(o.Figure.Replace("\"", "\\\"", StringComparison.Ordinal)), o.Figure);
        }
        Assert.That(report.Results.Select(r => r.Section), Is.All.EqualTo("kafka"), "BenchmarkDotNet's and figures.json are not ledger-bench results");
    }

    [Test]
    public void FiguresShouldCarryTheirSameRunBaselineOrSayTheyHaveNone()
    {
        var others = OtherFigures.ParseAndWrite(_dir);

        var pipeline = others.Single(o => o.Figure.StartsWith("durable pipeline", StringComparison.Ordinal));
        Assert.That(pipeline.Ratio, Is.EqualTo(500_000.0 / 1_250_000).Within(1e-9));
        Assert.That(pipeline.Met, Is.False, ">= 1 M entries/s");
        var ring = others.Single(o => o.Figure.Contains("RingBlocking", StringComparison.Ordinal));
        Assert.That((ring.Ratio, ring.Met), Is.EqualTo(((double?)2.5, (bool?)true)), "time: baseline / value");
        var replay = others.Single(o => o.Figure.StartsWith("full replay", StringComparison.Ordinal));
        Assert.That(replay.Ratio, Is.EqualTo(0.25).Within(1e-9));
        var restart = others.Single(o => o.Figure.StartsWith("restart to ready", StringComparison.Ordinal));
        Assert.That((restart.Value, restart.Met, restart.BaselineName), Is.EqualTo((6.2, (bool?)false, (string?)null)));
        Assert.That(ReportWriter.OtherLine(restart), Does.Contain("no baseline: absolute"));
        var lag = others.Single(o => o.Figure.StartsWith("publisher lag", StringComparison.Ordinal));
        Assert.That((lag.Value, lag.Met), Is.EqualTo((1.56, (bool?)false)));
    }

    [Test]
    public void KafkaIngressShouldBeJudgedAgainstRestOnTheSameGateway()
    {
        var report = ReportWriter.Write(_dir);

        var kafka = report.Rows.Single(r => r.Figure.Label == "batch-100");
        Assert.That(kafka.Baseline, Does.Contain("0.90x REST"));
        Assert.That(kafka.GoalMet, Is.False);
        var rest = report.Rows.Single(r => r.Figure.Label == "rest-batch-100");
        Assert.That(rest.Baseline, Is.EqualTo("no baseline: absolute"));
    }
}
