using Ledger.Bench;

namespace Ledger.PerfReport;

/// <summary>One figure of a run: the numbers the summary table shows for a (section, label, target).</summary>
public sealed record Figure(string Section, string Label, string Target, double EntriesPerSecond, double RequestsPerSecond,
    double P50Ms, double P99Ms, double P999Ms, int Rounds, bool CheckPassed, BenchResult Source, StepResult? Step)
{
    /// <summary>The step a result's figure comes from: a sweep's knee (or its probe when none kept up), otherwise the last step.</summary>
    public static StepResult? StepOf(BenchResult r)
    {
        if (r.Steps.Count == 0) return null;
        if (r.Mode == BenchMode.Sweep)
        {
            if (r.Knee is { } knee) return r.Steps.FirstOrDefault(s => s.OfferedRps == knee.OfferedRps) ?? r.Steps[0];
            return r.Steps[0];
        }
        return r.Steps[^1];
    }

    /// <summary>The median round (by entries/s; the lower of the middle two for an even count) of one (section, label, target).</summary>
    public static Figure Of(IReadOnlyList<BenchResult> rounds)
    {
        var ordered = rounds.Select(r => (Result: r, Step: StepOf(r))).OrderBy(x => x.Step?.EntriesPerSecond ?? 0).ToList();
        var (result, step) = ordered[(ordered.Count - 1) / 2];
        return new Figure(result.Section, result.Label, result.Target, step?.EntriesPerSecond ?? 0, step?.AcceptedRps ?? 0,
            step?.Latency.P50Ms ?? 0, step?.Latency.P99Ms ?? 0, step?.Latency.P999Ms ?? 0, rounds.Count, rounds.All(r => r.Check.Passed), result, step);
    }
}

/// <summary>A row of the summary table: a figure, its ratios to the same run's baselines, and its goal.</summary>
/// <param name="Baseline">
/// The row's other same-run baseline, said in words: "0.93x REST, same gateway" for Kafka ingress, "1.39x main" with
/// MAIN=, "no baseline: absolute" when the row has none at all.
/// </param>
public sealed record SummaryRow(Figure Figure, double? VsNoOp, double? VsPostgres, string Goal, bool? GoalMet, string Baseline = "");

/// <summary>
/// The goals of the throughput issue (issue 14) for the ledger beside its same-run baselines: HTTP 100-entry ≥ 80 % of the
/// no-op, 10-entry ≥ 60 %, single-entry ≥ 50 %, each ≥ 5× PostgreSQL; p99 ≤ 10 ms at 80 % of the peak (the sweep).
/// </summary>
public static class Goals
{
    public const string NoOp = "noop";
    public const string Postgres = "postgres";
    public const string Ledger = "ledger";
    /// <summary>The code before a change (run-perf.sh with MAIN=&lt;checkout&gt;), driven in the same rounds.</summary>
    public const string Main = "main";

    /// <param name="vsRest">Kafka ingress: its entries/s over REST's against the same gateway in the same rounds.</param>
    public static (string Text, bool? Met) For(Figure f, double? vsNoOp, double? vsPostgres, double? vsRest = null)
    {
        if (f.Target != Ledger) return ("", null);
        if (f.Section == "kafka" && f.Source.Workload.Transport == "kafka")
        {
            const string text = ">= REST 100-entry, same gateway";
            return (text, vsRest is null ? null : vsRest >= 1);
        }
        if (f.Section == "sweep" && P99AtEightyPercent(f.Source) is { } eighty)
        {
            return (string.Create(System.Globalization.CultureInfo.InvariantCulture, $"p99 <= 10 ms at 80 % of peak ({eighty.Step.Latency.P99Ms:0.#} ms at {eighty.Step.OfferedRps:0} req/s)"), eighty.Met);
        }
        if (f.Section == "soak")
        {
            return SoakKeepsItsRate(f.Source) is { } keeps
                ? (string.Create(System.Globalization.CultureInfo.InvariantCulture, $"last minute >= 90 % of first ({keeps.LastMinute / Math.Max(1, keeps.FirstMinute):0.00})"), keeps.Met)
                : ("last minute >= 90 % of first (run < 2 min: not judged)", null);
        }
        if (f.Section == "http" && f.Label.StartsWith("batch-", StringComparison.Ordinal))
        {
            double share = f.Label switch
            {
                "batch-100" => 0.8,
                "batch-10" => 0.6,
                "batch-1" => 0.5,
                _ => double.NaN,
            };
            if (double.IsNaN(share)) return ("", null);
            string text = $">= {share:0%} of no-op, >= 5x PostgreSQL";
            if (vsNoOp is null || vsPostgres is null) return (text, null);
            return (text, vsNoOp >= share && vsPostgres >= 5);
        }
        return ("", null);
    }

    /// <summary>The sweep's step nearest 80 % of the probed peak, and whether its p99 is within 10 ms.</summary>
    public static (StepResult Step, bool Met)? P99AtEightyPercent(BenchResult sweep)
    {
        var probe = sweep.Steps.FirstOrDefault(s => s.Mode == BenchMode.Closed);
        var open = sweep.Steps.Where(s => s.OfferedRps is > 0).ToList();
        if (probe is null || open.Count == 0) return null;
        double target = 0.8 * probe.AcceptedRps;
        var step = open.OrderBy(s => Math.Abs(s.OfferedRps!.Value - target)).First();
        return (step, step.Latency.P99Ms <= 10);
    }

    /// <summary>
    /// The soak goal: the last minute's mean entries/s at least 90 % of the first minute's. Null when the run is shorter
    /// than two minutes (the two minutes would overlap).
    /// </summary>
    public static (double FirstMinute, double LastMinute, bool Met)? SoakKeepsItsRate(BenchResult soak)
    {
        var t = soak.Timeline;
        // A sample's time is the end of its second, counted from the start of the run.
        if (t.Count == 0 || t[^1].Seconds < 120) return null;
        double end = t[^1].Seconds;
        double first = t.Where(s => s.Seconds <= 60).Average(s => s.EntriesPerSecond);
        double last = t.Where(s => s.Seconds > end - 60).Average(s => s.EntriesPerSecond);
        return (first, last, last >= 0.9 * first);
    }
}
