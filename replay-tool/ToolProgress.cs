using System.Diagnostics;
using System.Globalization;
using Ledger.Journal.Recovery;
using Spectre.Console;

namespace Ledger.ReplayTool;

/// <summary>
/// Progress of a long scan on stderr (stdout carries results): a Spectre.Console bar with rate and ETA on a terminal,
/// or a plain line every two seconds when stderr is redirected (logs, CI), since the bar draws nothing there.
/// Usage: <c>var result = ToolProgress.Run("verify", total, report =&gt; Scan(report));</c>
/// </summary>
internal static class ToolProgress
{
    public static T Run<T>(string title, Func<Action<RecoveryProgress>, T> work)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        if (!Console.IsErrorRedirected && console.Profile.Capabilities.Interactive)
        {
            return console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .Start(context =>
                {
                    var task = context.AddTask(title, maxValue: 1);
                    var clock = Stopwatch.StartNew();
                    var result = work(p =>
                    {
                        task.MaxValue = Math.Max(1, p.BytesTotal);
                        task.Value = p.BytesDone;
                        double rate = p.RecordsReplayed / Math.Max(clock.Elapsed.TotalSeconds, 1e-3);
                        task.Description = string.Create(CultureInfo.InvariantCulture, $"{title}: {p.RecordsReplayed:N0} records, {rate:N0}/s");
                    });
                    task.Value = task.MaxValue;
                    return result;
                });
        }

        var started = Stopwatch.StartNew();
        var lastPrint = TimeSpan.Zero;
        return work(p =>
        {
            var now = started.Elapsed;
            if (now - lastPrint < TimeSpan.FromSeconds(2) && p.BytesDone < p.BytesTotal) return;
            lastPrint = now;
            double seconds = Math.Max(now.TotalSeconds, 1e-3);
            double fraction = p.BytesTotal > 0 ? (double)p.BytesDone / p.BytesTotal : 1;
            double eta = fraction > 0 ? seconds / fraction - seconds : 0;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{title}: {p.RecordsReplayed:N0} records, {fraction:P0} of the journal, {p.RecordsReplayed / seconds:N0} records/s, ETA {TimeSpan.FromSeconds(Math.Max(0, eta)):hh\\:mm\\:ss}"));
        });
    }
}
