using System.Diagnostics;

namespace Ledger.ReplayTool.Tests;

/// <summary>One run of <c>ledger-replay</c> as a process (stdout and stderr redirected, as in a script or CI).</summary>
internal sealed record ToolRun(int ExitCode, string Out, string Error)
{
    public static string DllPath => Path.Combine(AppContext.BaseDirectory, "ledger-replay.dll");

    public static ToolRun Of(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(DllPath);
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill();
            throw new TimeoutException($"ledger-replay {string.Join(' ', args)} did not finish (hung).");
        }
        return new ToolRun(process.ExitCode, stdout.Result, stderr.Result);
    }

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
}
