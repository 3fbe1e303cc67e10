// Ledger.PerfReport: dotnet perf/report/bin/Release/net10.0/Ledger.PerfReport.dll <results dir>
// Writes <results dir>/report.md and its PNGs from the ledger-bench JSON files under it; prints the summary table.
// Exit code 1 when a run's check failed (the report is written anyway).
using Ledger.PerfReport;

if (args.Length != 1 || !Directory.Exists(args[0]))
{
    Console.Error.WriteLine("usage: Ledger.PerfReport <results directory>");
    return 2;
}
var report = ReportWriter.Write(args[0]);
Console.Write(ReportWriter.PlainSummary(report.Rows));
if (report.Others.Count > 0) Console.Write(ReportWriter.PlainOthers(report.Others));
Console.WriteLine($"report: {report.MarkdownPath} ({report.Plots.Count} plots, {report.Results.Count} runs)");
return report.Results.All(r => r.Check.Passed) ? 0 : 1;
