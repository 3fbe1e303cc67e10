using System.Text.Json;
using Ledger.PerfReport;

namespace Ledger.Bench.Tests;

/// <summary>
/// The codec and store lookup micro benches: BenchmarkDotNet's JSON exports recorded from perf/benchmarks
/// (Fixtures/bdn/, one run of <c>--filter '*Codec*'</c> and one of <c>'*StoreLookup*'</c>) become a row each for time and
/// for allocation in figures.json and report.md, with no same-run baseline ("no baseline: absolute") and the exports' values.
/// </summary>
public class MicroFiguresTests
{
    private string _dir = null!;

    [SetUp]
    public void CopyRecordedExports()
    {
        _dir = Path.Combine(Path.GetTempPath(), "ledger-report-tests", Guid.NewGuid().ToString("N"));
        string results = Path.Combine(_dir, "micro", "bdn", "results");
        Directory.CreateDirectory(results);
        foreach (var f in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Fixtures", "bdn"), "*.json"))
        {
            File.Copy(f, Path.Combine(results, Path.GetFileName(f)));
        }
    }

    [TearDown]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    /// <summary>Every benchmark of the recorded exports: (type, method, parameters) -> (mean ns, bytes allocated per operation).</summary>
    private static Dictionary<(string Type, string Method, string Parameters), (double Mean, double Allocated)> Recorded()
    {
        var recorded = new Dictionary<(string, string, string), (double, double)>();
        foreach (var f in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Fixtures", "bdn"), "*.json"))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(f));
            foreach (var b in doc.RootElement.GetProperty("Benchmarks").EnumerateArray())
            {
                recorded[(b.GetProperty("Type").GetString()!, b.GetProperty("Method").GetString()!, b.GetProperty("Parameters").GetString()!)] =
                    (b.GetProperty("Statistics").GetProperty("Mean").GetDouble(), b.GetProperty("Memory").GetProperty("BytesAllocatedPerOperation").GetDouble());
            }
        }
        return recorded;
    }

    [Test]
    public void EveryCodecAndStoreBenchShouldBeATimeRowAndAnAllocationRowWithoutABaseline()
    {
        var recorded = Recorded();
        Assert.That(recorded.Keys.Select(k => k.Type).Distinct(), Is.EquivalentTo(new[] { "JournalCodecBenchmarks", "EdgeCodecBenchmarks", "StoreLookupBenchmarks" }));
        Assert.That(recorded, Has.Count.EqualTo(10), "journal encode/decode x 1/100 entries, REST JSON, Kafka Avro, prefetch hit/miss, TryGet, read store balance");

        var figures = OtherFigures.ParseAndWrite(_dir);

        Assert.That(figures, Has.Count.EqualTo(2 * recorded.Count));
        foreach (var ((type, method, parameters), (mean, allocated)) in recorded)
        {
            string name = type.Replace("Benchmarks", "", StringComparison.Ordinal) + "." + method + (parameters.Length > 0 ? $" ({parameters})" : "");
            var time = figures.Single(f => f.Figure == name);
            var bytes = figures.Single(f => f.Figure == name + ", allocated");
            Assert.That((time.Value, time.Section, time.HigherIsBetter), Is.EqualTo((mean, "micro", false)), name);
            Assert.That(time.Unit, Does.StartWith("ns/"), name);
            Assert.That((bytes.Value, bytes.Unit), Is.EqualTo((allocated, "B/op")), name);
            foreach (var f in new[] { time, bytes })
            {
                Assert.That((f.BaselineName, f.BaselineValue, f.Ratio, f.Met), Is.EqualTo(((string?)null, (double?)null, (double?)null, (bool?)null)), f.Figure);
                Assert.That(ReportWriter.OtherLine(f), Does.Contain("no baseline: absolute"), f.Figure);
            }
        }
        Assert.That(figures.Single(f => f.Figure == "JournalCodec.Decode (Entries=100)").Unit, Is.EqualTo("ns/record"));
        Assert.That(figures.Single(f => f.Figure == "EdgeCodec.RestBatchJson").Unit, Is.EqualTo("ns/100-entry batch"));
        Assert.That(figures.Single(f => f.Figure == "StoreLookup.PrefetchMiss").Unit, Is.EqualTo("ns/lookup"));
    }

    [Test]
    public void TheRowsShouldReachReportMdAndFiguresJson()
    {
        var report = ReportWriter.Write(_dir);
        string markdown = File.ReadAllText(report.MarkdownPath);
        string json = File.ReadAllText(Path.Combine(_dir, OtherFigures.FileName));

        Assert.That(report.Others, Has.Count.EqualTo(20));
        foreach (var o in report.Others)
        {
            Assert.That(markdown, Does.Contain(ReportWriter.OtherLine(o)), o.Figure);
            Assert.That(json, Does.Contain($"\"figure\": \"{o.Figure}\""), o.Figure);
        }
    }
}
