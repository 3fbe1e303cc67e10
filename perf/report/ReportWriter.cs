using System.Globalization;
using System.Text;
using Ledger.Bench;

namespace Ledger.PerfReport;

/// <summary>
/// Reads every ledger-bench results JSON under a results directory (recursively) and writes <c>report.md</c> and its PNGs
/// beside them: the machine, the command, a summary table of every figure with its ratio to the same run's no-op and
/// PostgreSQL baselines and its goal, the checks, then a section per kind of run with its plots.
/// Usage: <c>var report = ReportWriter.Write("perf/results/20261206T040000Z");</c>
/// </summary>
public static class ReportWriter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly string[] SectionOrder = ["http", "sweep", "hot", "soak", "kafka"];

    public sealed record Report(string MarkdownPath, IReadOnlyList<SummaryRow> Rows, IReadOnlyList<string> Plots, IReadOnlyList<BenchResult> Results,
        IReadOnlyList<OtherFigure> Others);

    public static Report Write(string dir)
    {
        var results = Directory.EnumerateFiles(dir, "*.json", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(TryRead).OfType<BenchResult>().ToList();
        var rows = Summarise(results);
        var others = OtherFigures.ParseAndWrite(dir);
        var plots = new List<string>();
        var md = new StringBuilder();

        md.AppendLine(CultureInfo.InvariantCulture, $"# Performance report");
        md.AppendLine();
        var machine = ReadMachine(dir);
        if (machine.Count > 0)
        {
            foreach (var (key, value) in machine) md.AppendLine(CultureInfo.InvariantCulture, $"- **{key}**: {value}");
            md.AppendLine();
        }
        md.AppendLine("Every figure below comes from this one run: the ledger and its baselines (`noop`: Kestrel parsing the same bodies and answering " +
                      "201, storing nothing; `postgres`: the PostgreSQL reference ledger, fsync on) were driven by the same `ledger-bench` invocations, " +
                      "interleaved round by round. Ratios are to the same run's baselines. Entries/s and req/s count 2xx answers only.");
        md.AppendLine();

        md.AppendLine("## Summary");
        md.AppendLine();
        md.AppendLine("| section | figure | target | entries/s | req/s | p50 ms | p99 ms | p99.9 ms | x no-op | x PostgreSQL | other baseline (same run) | rounds | check | goal | met |");
        md.AppendLine("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- | --- | --- |");
        foreach (var row in rows) md.AppendLine(RowLine(row));
        md.AppendLine();
        if (others.Count > 0)
        {
            md.AppendLine("The sections ledger-bench does not drive, parsed from their output in this directory into " +
                          $"[{OtherFigures.FileName}]({OtherFigures.FileName}) (micro benches, the durable pipeline, replay and restart, the in-process Kafka bench). " +
                          "\"x baseline\" is how many times better than the baseline of the same run (above 1 = better; for times, baseline / value).");
            md.AppendLine();
            md.AppendLine("| section | figure | value | unit | baseline (same run) | x baseline | goal | met | from |");
            md.AppendLine("| --- | --- | ---: | --- | --- | ---: | --- | --- | --- |");
            foreach (var o in others) md.AppendLine(OtherLine(o));
            md.AppendLine();
        }
        // With MAIN=<checkout>, the code before the change ran as target "main" in the same rounds: the change's own ratio.
        foreach (var before in rows.Where(r => r.Figure.Target == Goals.Main))
        {
            var after = rows.FirstOrDefault(r => r.Figure.Target == Goals.Ledger && r.Figure.Section == before.Figure.Section && r.Figure.Label == before.Figure.Label);
            if (after is null || before.Figure.EntriesPerSecond <= 0) continue;
            md.AppendLine(string.Create(Inv, $"- {before.Figure.Section} {before.Figure.Label}: ledger {after.Figure.EntriesPerSecond:0} entries/s (p99 {after.Figure.P99Ms:0.#} ms) " +
                                             $"vs main {before.Figure.EntriesPerSecond:0} (p99 {before.Figure.P99Ms:0.#} ms): **{after.Figure.EntriesPerSecond / before.Figure.EntriesPerSecond:0.00}x main**"));
        }
        md.AppendLine();
        foreach (var sweep in results.Where(r => r.Mode == BenchMode.Sweep && r.Target == Goals.Ledger))
        {
            if (Goals.P99AtEightyPercent(sweep) is { } eighty)
            {
                md.AppendLine(string.Create(Inv, $"- Goal p99 <= 10 ms at 80 % of the peak ({sweep.Label}): at {eighty.Step.OfferedRps:0} req/s offered the p99 was " +
                                                 $"{eighty.Step.Latency.P99Ms:0.###} ms: **{(eighty.Met ? "met" : "not met")}**."));
            }
        }
        foreach (var soak in results.Where(r => r.Section == "soak" && r.Target == Goals.Ledger))
        {
            var rss = soak.Timeline.Where(x => x.Seconds > 60 && x.ServerRssMiB is not null).Select(x => x.ServerRssMiB!.Value).ToList();
            string band = rss.Count > 0 ? string.Create(Inv, $"; server RSS after the first minute {rss.Min():0}..{rss.Max():0} MiB") : "";
            md.AppendLine(Goals.SoakKeepsItsRate(soak) is { } keeps
                ? string.Create(Inv, $"- Goal: the soak's last minute >= 90 % of its first ({soak.Label}): first minute {keeps.FirstMinute:0} entries/s, last minute " +
                                     $"{keeps.LastMinute:0} ({keeps.LastMinute / Math.Max(1, keeps.FirstMinute):0.00}){band}: **{(keeps.Met ? "met" : "not met")}**.")
                : $"- Goal: the soak's last minute >= 90 % of its first ({soak.Label}): the run is shorter than two minutes, not judged.");
        }
        md.AppendLine();

        md.AppendLine("## Checks");
        md.AppendLine();
        md.AppendLine("After every run ledger-bench held its own counts against the server: requests sent = 2xx + 4xx + failed, and (full check) every " +
                      "account's AVAILABLE and HELD moved by exactly what was acknowledged. The no-op stores nothing, so it gets the count check only.");
        md.AppendLine();
        var failed = results.Where(r => !r.Check.Passed).ToList();
        if (failed.Count == 0) md.AppendLine(CultureInfo.InvariantCulture, $"All {results.Count} runs passed their check.");
        foreach (var r in failed)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- **FAILED** {r.Section} {r.Label} {r.Target} round {r.Round}: {string.Join(" ", r.Check.Failures)}");
        }
        md.AppendLine();

        foreach (var section in results.Select(r => r.Section).Distinct().OrderBy(s => Array.IndexOf(SectionOrder, s) is var i && i < 0 ? 99 : i))
        {
            var inSection = results.Where(r => r.Section == section).ToList();
            md.AppendLine(CultureInfo.InvariantCulture, $"## {Title(section)}");
            md.AppendLine();
            md.AppendLine(Describe(inSection[0]));
            md.AppendLine();
            if (section == "http") BatchPlot(dir, rows, plots, md);
            if (inSection.Any(r => r.Mode == BenchMode.Sweep)) SweepPart(dir, inSection, plots, md);
            foreach (var label in inSection.Where(r => r.Mode != BenchMode.Sweep).Select(r => r.Label).Distinct())
            {
                var curves = rows.Where(x => x.Figure.Section == section && x.Figure.Label == label && x.Figure.Step is not null)
                    .Select(x => (x.Figure.Target, x.Figure.Step!)).ToList();
                if (curves.Count == 0) continue;
                string file = Plots.LatencyCurves(dir, $"latency-{section}-{label}", $"{Title(section)}, {label}: latency by percentile (median round)", curves);
                plots.Add(file);
                md.AppendLine(CultureInfo.InvariantCulture, $"![latency {section} {label}]({file})");
                md.AppendLine();
            }
            RoundsTable(inSection, md);
            foreach (var r in inSection.Where(r => r.Timeline.Count >= 3 && (section == "soak" || r.Target == Goals.Ledger)).GroupBy(r => (r.Label, r.Target)).Select(g => g.First()))
            {
                if (section != "soak" && section != "http") continue;
                if (section == "http" && r.Label != inSection.Where(x => x.Target == Goals.Ledger).Select(x => x.Label).Last()) continue;
                string file = Plots.Timeline(dir, $"timeline-{section}-{r.Label}-{r.Target}", $"{r.Target}, {r.Label}: entries/s and server RSS over the run", r.Timeline);
                plots.Add(file);
                md.AppendLine(CultureInfo.InvariantCulture, $"![timeline {r.Label} {r.Target}]({file})");
                md.AppendLine();
            }
        }

        var raw = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".log", StringComparison.Ordinal) || Path.GetFileName(f) == "summary.md").Order(StringComparer.Ordinal).ToList();
        if (raw.Count > 0)
        {
            md.AppendLine("## Raw output");
            md.AppendLine();
            foreach (var f in raw) md.AppendLine(CultureInfo.InvariantCulture, $"- [{Path.GetRelativePath(dir, f)}]({Path.GetRelativePath(dir, f)})");
            md.AppendLine();
        }

        string path = Path.Combine(dir, "report.md");
        File.WriteAllText(path, md.ToString());
        return new Report(path, rows, plots, results, others);
    }

    /// <summary>One row per (section, label, target), the median round, with ratios to the no-op and PostgreSQL figures of the same (section, label).</summary>
    public static List<SummaryRow> Summarise(IReadOnlyList<BenchResult> results)
    {
        var figures = results.GroupBy(r => (r.Section, r.Label, r.Target)).Select(g => Figure.Of(g.OrderBy(r => r.Round).ToList())).ToList();
        var rows = new List<SummaryRow>();
        foreach (var f in figures
                     .OrderBy(f => Array.IndexOf(SectionOrder, f.Section) is var i && i < 0 ? 99 : i)
                     .ThenBy(f => f.Section, StringComparer.Ordinal)
                     .ThenBy(f => f.Source.Workload.BatchSize).ThenBy(f => f.Label, StringComparer.Ordinal)
                     .ThenBy(f => TargetOrder(f.Target)))
        {
            var noop = figures.FirstOrDefault(x => x.Section == f.Section && x.Label == f.Label && x.Target == Goals.NoOp);
            var pg = figures.FirstOrDefault(x => x.Section == f.Section && x.Label == f.Label && x.Target == Goals.Postgres);
            double? vsNoOp = noop is { EntriesPerSecond: > 0 } && f.Target != Goals.NoOp ? f.EntriesPerSecond / noop.EntriesPerSecond : null;
            double? vsPg = pg is { EntriesPerSecond: > 0 } && f.Target != Goals.Postgres ? f.EntriesPerSecond / pg.EntriesPerSecond : null;
            // Kafka ingress against REST on the same gateway, same rounds; the ledger against main (MAIN=) in the same rounds.
            double? vsRest = null;
            var baselines = new List<string>();
            if (f.Section == "kafka" && f.Source.Workload.Transport == "kafka"
                && figures.FirstOrDefault(x => x.Section == f.Section && x.Target == f.Target && x.Source.Workload.Transport == "rest" && x.Source.Workload.BatchSize == f.Source.Workload.BatchSize) is { EntriesPerSecond: > 0 } rest)
            {
                vsRest = f.EntriesPerSecond / rest.EntriesPerSecond;
                baselines.Add(string.Create(Inv, $"{vsRest:0.00}x REST ({rest.Label}), same gateway"));
            }
            if (f.Target == Goals.Ledger && figures.FirstOrDefault(x => x.Section == f.Section && x.Label == f.Label && x.Target == Goals.Main) is { EntriesPerSecond: > 0 } main)
            {
                baselines.Add(string.Create(Inv, $"{f.EntriesPerSecond / main.EntriesPerSecond:0.00}x main"));
            }
            if (baselines.Count == 0 && vsNoOp is null && vsPg is null && f.Target != Goals.NoOp && f.Target != Goals.Postgres) baselines.Add("no baseline: absolute");
            var (goal, met) = Goals.For(f, vsNoOp, vsPg, vsRest);
            rows.Add(new SummaryRow(f, vsNoOp, vsPg, goal == "" && f.Target == Goals.Ledger ? "no goal set" : goal, met, string.Join("; ", baselines)));
        }
        return rows;
    }

    /// <summary>The summary table's line for a row (the tests hold it against the JSON).</summary>
    public static string RowLine(SummaryRow row)
    {
        var f = row.Figure;
        return string.Create(Inv, $"| {f.Section} | {f.Label} | {f.Target} | {f.EntriesPerSecond:0} | {f.RequestsPerSecond:0} | {f.P50Ms:0.###} | {f.P99Ms:0.###} | " +
                                  $"{f.P999Ms:0.###} | {Ratio(row.VsNoOp)} | {Ratio(row.VsPostgres)} | {row.Baseline} | {f.Rounds} | {(f.CheckPassed ? "passed" : "**FAILED**")} | " +
                                  $"{row.Goal} | {(row.GoalMet is null ? "" : row.GoalMet.Value ? "yes" : "**no**")} |");
    }

    /// <summary>The other sections' table line for a figure (the tests hold it against figures.json).</summary>
    public static string OtherLine(OtherFigure o) => string.Create(Inv,
        $"| {o.Section} | {o.Figure} | {Value(o.Value)} | {o.Unit} | {(o.BaselineName is null ? "no baseline: absolute" : $"{o.BaselineName}: {Value(o.BaselineValue!.Value)}")} | " +
        $"{(o.Ratio is { } r ? r.ToString("0.00", Inv) + "x" : "")} | {(o.Goal == "" ? "no goal set" : o.Goal)} | {(o.Met is null ? "" : o.Met.Value ? "yes" : "**no**")} | {o.Source} |");

    private static string Value(double v) => Math.Abs(v) >= 100 ? v.ToString("#,0", Inv).Replace(",", " ", StringComparison.Ordinal) : v.ToString("0.###", Inv);

    /// <summary>The terminal's one-screen summary of the other sections.</summary>
    public static string PlainOthers(IReadOnlyList<OtherFigure> others)
    {
        var text = new StringBuilder();
        foreach (var o in others)
        {
            string figure = o.Figure.Length > 70 ? o.Figure[..69] + "…" : o.Figure;
            text.AppendLine(string.Create(Inv, $"{o.Section,-8} {figure,-70} {Value(o.Value),12} {o.Unit,-10} {(o.Ratio is { } r ? r.ToString("0.00", Inv) + "x" : ""),7} " +
                                               $"{(o.Met is null ? "" : o.Met.Value ? "met" : "not met")}"));
        }
        return text.ToString();
    }

    /// <summary>The terminal's one-screen summary: the table in plain columns.</summary>
    public static string PlainSummary(IReadOnlyList<SummaryRow> rows)
    {
        var text = new StringBuilder();
        text.AppendLine(string.Create(Inv, $"{"section",-7} {"figure",-16} {"target",-9} {"entries/s",11} {"req/s",9} {"p99 ms",9} {"x no-op",8} {"x PG",7} check  goal"));
        foreach (var row in rows)
        {
            var f = row.Figure;
            text.AppendLine(string.Create(Inv, $"{f.Section,-7} {f.Label,-16} {f.Target,-9} {f.EntriesPerSecond,11:0} {f.RequestsPerSecond,9:0} {f.P99Ms,9:0.##} " +
                                               $"{Ratio(row.VsNoOp),8} {Ratio(row.VsPostgres),7} {(f.CheckPassed ? "ok    " : "FAILED")} " +
                                               $"{(row.GoalMet is null ? "" : row.GoalMet.Value ? "met" : "not met")}"));
        }
        return text.ToString();
    }

    private static string Ratio(double? r) => r is null ? "" : r.Value.ToString("0.00", Inv) + "x";

    private static int TargetOrder(string target) => target switch
    {
        Goals.NoOp => 0,
        Goals.Postgres => 1,
        Goals.Ledger => 2,
        Goals.Main => 3,
        _ => 4,
    };

    private static string Title(string section) => section switch
    {
        "http" => "HTTP: entries per batch, closed loop",
        "sweep" => "Open-loop rate sweep",
        "hot" => "Hot accounts",
        "soak" => "Soak: throughput and RSS over time",
        "kafka" => "Kafka ingress: ledger-bench over the topics, REST beside it on the same gateway",
        _ => section,
    };

    private static string Describe(BenchResult r)
    {
        string workload = string.Create(Inv,
            $"Workload of the first run here: {r.Mode.ToString().ToLowerInvariant()} loop, mix `{r.Workload.Mix}`, {r.Workload.Accounts} accounts " +
            $"({r.Workload.Distribution}), {r.Workload.Connections} connections, {r.Workload.DurationSeconds:0.#} s per step after {r.Workload.WarmupSeconds:0.#} s of warm-up.");
        if (r.Workload.Transport == "kafka")
        {
            workload += " Kafka runs send POST_BATCH commands to the commands topic and read the results topic; their \"connections\" are commands in flight " +
                        "(under the ingress's window of 1 024), and latency is from the send to the result read back. On librdkafka's mock cluster a consumer's " +
                        "fetch waits up to fetch.wait.max.ms (500 ms by default, the gateway's ingress) when it finds nothing new, so Kafka latencies here are " +
                        "the mock's, not a broker's; throughput is what to read.";
        }
        return workload + (r.Mode == BenchMode.Closed
            ? " Closed-loop latency is measured from the actual send (each connection waits for its answer)."
            : " Open-loop latency is measured from each request's intended send time (coordinated omission corrected).");
    }

    private static void BatchPlot(string dir, List<SummaryRow> rows, List<string> plots, StringBuilder md)
    {
        var series = rows.Where(r => r.Figure.Section == "http" && r.Figure.Label.StartsWith("batch-", StringComparison.Ordinal))
            .GroupBy(r => r.Figure.Target).OrderBy(g => TargetOrder(g.Key))
            .Select(g => (g.Key, (IReadOnlyList<(int, double)>)g.Select(r => (r.Figure.Source.Workload.BatchSize, r.Figure.EntriesPerSecond)).ToList()))
            .ToList();
        if (series.Count == 0) return;
        string file = Plots.EntriesByBatchSize(dir, "entries-by-batch-size", series);
        plots.Add(file);
        md.AppendLine(CultureInfo.InvariantCulture, $"![entries/s by batch size]({file})");
        md.AppendLine();
    }

    private static void SweepPart(string dir, List<BenchResult> inSection, List<string> plots, StringBuilder md)
    {
        var sweeps = inSection.Where(r => r.Mode == BenchMode.Sweep).GroupBy(r => r.Target).Select(g => g.OrderBy(r => r.Round).First())
            .OrderBy(r => TargetOrder(r.Target)).ToList();
        string a = Plots.OfferedVsAccepted(dir, "sweep-offered-accepted", sweeps);
        string b = Plots.SweepLatency(dir, "sweep-latency", sweeps);
        plots.Add(a);
        plots.Add(b);
        md.AppendLine(CultureInfo.InvariantCulture, $"![offered vs accepted]({a})");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"![sweep latency]({b})");
        md.AppendLine();
        foreach (var r in sweeps)
        {
            md.AppendLine($"**{r.Target}** ({r.Label}): knee " + (r.Knee is { } k
                ? string.Create(Inv, $"at {k.OfferedRps:0} req/s offered ({k.AcceptedRps:0} accepted, p99 {k.P99Ms:0.###} ms; {k.Rule})")
                : "not found (no step kept up)"));
            md.AppendLine();
            md.AppendLine("| step | offered req/s | accepted req/s | entries/s | p50 ms | p99 ms | p99.9 ms | max ms | 2xx | 4xx | failed |");
            md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (var s in r.Steps)
            {
                md.AppendLine(string.Create(Inv, $"| {s.Name} | {(s.OfferedRps is { } o ? o.ToString("0", Inv) : "closed")} | {s.AcceptedRps:0} | {s.EntriesPerSecond:0} | " +
                                                 $"{s.Latency.P50Ms:0.###} | {s.Latency.P99Ms:0.###} | {s.Latency.P999Ms:0.###} | {s.Latency.MaxMs:0.###} | {s.Ok} | {s.Declined} | {s.Failed} |"));
            }
            md.AppendLine();
        }
    }

    private static void RoundsTable(List<BenchResult> inSection, StringBuilder md)
    {
        var runs = inSection.Where(r => r.Mode != BenchMode.Sweep).ToList();
        if (runs.Count == 0) return;
        md.AppendLine("Every round (in the order run):");
        md.AppendLine();
        md.AppendLine("| round | figure | target | batch | entries/s | req/s | p50 ms | p99 ms | p99.9 ms | max ms | 2xx | 4xx | failed | check |");
        md.AppendLine("| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var r in runs.OrderBy(r => r.Round).ThenBy(r => r.StartedAtUtc))
        {
            var s = Figure.StepOf(r);
            if (s is null) continue;
            md.AppendLine(string.Create(Inv, $"| {r.Round} | {r.Label} | {r.Target} | {r.Workload.BatchSize} | {s.EntriesPerSecond:0} | {s.AcceptedRps:0} | {s.Latency.P50Ms:0.###} | " +
                                             $"{s.Latency.P99Ms:0.###} | {s.Latency.P999Ms:0.###} | {s.Latency.MaxMs:0.###} | {s.Ok} | {s.Declined} | {s.Failed} | {(r.Check.Passed ? "passed" : "FAILED")} |"));
        }
        md.AppendLine();
    }

    private static BenchResult? TryRead(string path)
    {
        try
        {
            // Only ledger-bench's own files: BenchmarkDotNet's exports and figures.json live under the same directory.
            using (var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path)))
            {
                if (doc.RootElement.ValueKind != System.Text.Json.JsonValueKind.Object || !doc.RootElement.TryGetProperty("tool", out var tool) || tool.GetString() != "ledger-bench") return null;
            }
            return BenchResult.Read(path);
        }
        catch (System.Text.Json.JsonException)
        {
            return null; // another tool's JSON (BenchmarkDotNet's exports live under the same directory)
        }
    }

    /// <summary><c>key: value</c> lines of machine.txt (written by run-perf.sh).</summary>
    private static List<(string Key, string Value)> ReadMachine(string dir)
    {
        string path = Path.Combine(dir, "machine.txt");
        if (!File.Exists(path)) return [];
        return File.ReadAllLines(path).Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Length < 40)
            .Select(p => (p[0].Trim(), p[1].Trim())).ToList();
    }
}
