using System.Globalization;
using HdrHistogram;

namespace Ledger.Perf.Durable;

internal static class Report
{
    public static string Percentiles(LongHistogram h, string unit = "µs") => h.TotalCount == 0
        ? "no samples"
        : string.Create(CultureInfo.InvariantCulture,
            $"p50 {h.GetValueAtPercentile(50)} {unit}, p99 {h.GetValueAtPercentile(99)} {unit}, p99.9 {h.GetValueAtPercentile(99.9)} {unit}, max {h.GetMaxValue()} {unit} ({h.TotalCount:N0} samples)");

    public static void Line(string text) => Console.WriteLine(text);
}
