using Ledger.Bench;
using ScottPlot;

namespace Ledger.PerfReport;

/// <summary>The report's PNGs (ScottPlot; the machine needs fonts-dejavu-core or the text is not drawn). Each returns its file name.</summary>
public static class Plots
{
    private const int Width = 900;
    private const int Height = 500;

    /// <summary>Latency by percentile, one curve per target; x is log-scaled in 1/(1-p) (50 %, 90 %, 99 %, …), y in log ms.</summary>
    public static string LatencyCurves(string dir, string name, string title, IEnumerable<(string Target, StepResult Step)> curves)
    {
        var plot = new Plot();
        double xMax = 1;
        foreach (var (target, step) in curves)
        {
            var points = step.Percentiles.Where(p => p.Percentile < 100 && p.Ms > 0).ToList();
            if (points.Count == 0) continue;
            double[] xs = points.Select(p => Nines(p.Percentile)).ToArray();
            double[] ys = points.Select(p => Math.Log10(p.Ms)).ToArray();
            xMax = Math.Max(xMax, xs.Max());
            var line = plot.Add.Scatter(xs, ys);
            line.LegendText = target;
            line.MarkerSize = 0;
            line.LineWidth = 2;
        }
        var xTicks = new ScottPlot.TickGenerators.NumericManual();
        string[] labels = ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%"];
        for (int i = 0; i < labels.Length && i <= Math.Ceiling(xMax); i++) xTicks.AddMajor(i, labels[i]);
        plot.Axes.Bottom.TickGenerator = xTicks;
        plot.Axes.Left.TickGenerator = LogTicks(-2, 5, "ms");
        plot.Title(title);
        plot.XLabel("percentile");
        plot.YLabel("latency (ms, log scale)");
        plot.ShowLegend(Alignment.UpperLeft);
        plot.Axes.SetLimitsX(0, Math.Max(1, Math.Ceiling(xMax)) + 0.15);
        return Save(plot, dir, name);
    }

    /// <summary>Offered vs accepted requests/s of every target's sweep, with the line where they are equal.</summary>
    public static string OfferedVsAccepted(string dir, string name, IEnumerable<BenchResult> sweeps)
    {
        var plot = new Plot();
        double max = 1;
        foreach (var r in sweeps)
        {
            var steps = r.Steps.Where(s => s.OfferedRps is > 0).OrderBy(s => s.OfferedRps).ToList();
            if (steps.Count == 0) continue;
            double[] xs = steps.Select(s => s.OfferedRps!.Value).ToArray();
            double[] ys = steps.Select(s => s.AcceptedRps).ToArray();
            max = Math.Max(max, Math.Max(xs.Max(), ys.Max()));
            var line = plot.Add.Scatter(xs, ys);
            line.LegendText = r.Target;
            line.MarkerSize = 7;
            line.LineWidth = 2;
        }
        var ideal = plot.Add.Line(0, 0, max, max);
        ideal.LinePattern = LinePattern.Dashed;
        ideal.LegendText = "accepted = offered";
        plot.Title("Open-loop sweep: offered vs accepted");
        plot.XLabel("offered (requests/s)");
        plot.YLabel("accepted (2xx/s)");
        plot.ShowLegend(Alignment.UpperLeft);
        return Save(plot, dir, name);
    }

    /// <summary>p50, p99 and p99.9 against the offered rate, one colour per target, log ms.</summary>
    public static string SweepLatency(string dir, string name, IEnumerable<BenchResult> sweeps)
    {
        var plot = new Plot();
        foreach (var r in sweeps)
        {
            var steps = r.Steps.Where(s => s.OfferedRps is > 0 && s.Latency.P50Ms > 0).OrderBy(s => s.OfferedRps).ToList();
            if (steps.Count == 0) continue;
            double[] xs = steps.Select(s => s.OfferedRps!.Value).ToArray();
            var p50 = plot.Add.Scatter(xs, steps.Select(s => Math.Log10(s.Latency.P50Ms)).ToArray());
            p50.LegendText = r.Target + " p50";
            p50.LinePattern = LinePattern.Dotted;
            var p99 = plot.Add.Scatter(xs, steps.Select(s => Math.Log10(Math.Max(1e-3, s.Latency.P99Ms))).ToArray());
            p99.LegendText = r.Target + " p99";
            p99.Color = p50.Color;
            var p999 = plot.Add.Scatter(xs, steps.Select(s => Math.Log10(Math.Max(1e-3, s.Latency.P999Ms))).ToArray());
            p999.LegendText = r.Target + " p99.9";
            p999.Color = p50.Color;
            p999.LinePattern = LinePattern.Dashed;
        }
        plot.Axes.Left.TickGenerator = LogTicks(-2, 5, "ms");
        plot.Title("Open-loop sweep: latency from the intended send time");
        plot.XLabel("offered (requests/s)");
        plot.YLabel("latency (ms, log scale)");
        plot.ShowLegend(Alignment.UpperLeft);
        return Save(plot, dir, name);
    }

    /// <summary>Entries/s against entries per batch (log x), one line per target.</summary>
    public static string EntriesByBatchSize(string dir, string name, IEnumerable<(string Target, IReadOnlyList<(int Batch, double EntriesPerSecond)> Points)> series)
    {
        var plot = new Plot();
        var batches = new SortedSet<int>();
        foreach (var (target, points) in series)
        {
            if (points.Count == 0) continue;
            var ordered = points.OrderBy(p => p.Batch).ToList();
            foreach (var p in ordered) batches.Add(p.Batch);
            var line = plot.Add.Scatter(ordered.Select(p => Math.Log10(p.Batch)).ToArray(), ordered.Select(p => Math.Log10(Math.Max(1, p.EntriesPerSecond))).ToArray());
            line.LegendText = target;
            line.MarkerSize = 8;
            line.LineWidth = 2;
        }
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        foreach (int b in batches) ticks.AddMajor(Math.Log10(b), b.ToString(System.Globalization.CultureInfo.InvariantCulture));
        plot.Axes.Bottom.TickGenerator = ticks;
        plot.Axes.Left.TickGenerator = LogTicks(2, 7, "");
        plot.Title("Entries/s by batch size (closed loop, median round)");
        plot.XLabel("entries per batch (log scale)");
        plot.YLabel("entries/s (log scale)");
        plot.ShowLegend(Alignment.UpperLeft);
        return Save(plot, dir, name);
    }

    /// <summary>Entries/s (left) and the server's RSS (right) over the run's seconds.</summary>
    public static string Timeline(string dir, string name, string title, IReadOnlyList<TimelineSample> samples)
    {
        var plot = new Plot();
        double[] xs = samples.Select(s => s.Seconds).ToArray();
        var rate = plot.Add.Scatter(xs, samples.Select(s => s.EntriesPerSecond).ToArray());
        rate.LegendText = "entries/s";
        rate.MarkerSize = 0;
        rate.LineWidth = 2;
        if (samples.Any(s => s.ServerRssMiB is not null))
        {
            var rss = plot.Add.Scatter(xs, samples.Select(s => s.ServerRssMiB ?? double.NaN).ToArray());
            rss.LegendText = "server RSS (MiB)";
            rss.MarkerSize = 0;
            rss.LineWidth = 2;
            rss.LinePattern = LinePattern.Dashed;
            rss.Axes.YAxis = plot.Axes.Right;
            plot.Axes.Right.Label.Text = "RSS (MiB)";
        }
        plot.Axes.SetLimitsY(0, Math.Max(1, samples.Max(s => s.EntriesPerSecond)) * 1.1, plot.Axes.Left);
        plot.Title(title);
        plot.XLabel("seconds");
        plot.YLabel("entries/s");
        plot.ShowLegend(Alignment.LowerRight);
        return Save(plot, dir, name);
    }

    /// <summary>How far out a percentile is: 0 at 0 %, 1 at 90 %, 2 at 99 %, 3 at 99.9 % …</summary>
    public static double Nines(double percentile) => -Math.Log10(Math.Max(1e-6, 1 - percentile / 100));

    private static ScottPlot.TickGenerators.NumericManual LogTicks(int fromPower, int toPower, string unit)
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int p = fromPower; p <= toPower; p++)
        {
            double v = Math.Pow(10, p);
            ticks.AddMajor(p, (v.ToString(v < 1 ? "0.##" : "#,0", System.Globalization.CultureInfo.InvariantCulture) + " " + unit).Trim());
        }
        return ticks;
    }

    private static string Save(Plot plot, string dir, string name)
    {
        string file = name + ".png";
        plot.SavePng(Path.Combine(dir, file), Width, Height);
        return file;
    }
}
