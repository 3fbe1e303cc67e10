using System.Diagnostics;

namespace Ledger.Testing;

/// <summary>
/// One run of <c>ledger-replay</c> as a process (stdout and stderr redirected, as in a script or CI). The test project
/// references <c>replay-tool</c> so the tool is built and copied beside the tests.
/// </summary>
public sealed record ToolRun(int ExitCode, string Out, string Error)
{
    /// <summary>
    /// The tool in its own build output (replay-tool/bin/&lt;configuration&gt;/net10.0), so it runs with its own
    /// dependency versions rather than those of the test project it was copied into (the gateway's ASP.NET ones differ).
    /// </summary>
    public static string DllPath { get; } = Locate();

    private static string Locate()
    {
        var testDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string framework = testDir.Name, configuration = testDir.Parent!.Name;
        for (var dir = testDir; dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "Ledger.sln"))) continue;
            string own = Path.Combine(dir.FullName, "replay-tool", "bin", configuration, framework, "ledger-replay.dll");
            if (File.Exists(own)) return own;
            break;
        }
        return Path.Combine(AppContext.BaseDirectory, "ledger-replay.dll");
    }

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
