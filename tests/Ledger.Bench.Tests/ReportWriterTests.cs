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
