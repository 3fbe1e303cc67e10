using System.Diagnostics;

namespace Ledger.Testing;

/// <summary>
/// One run of a command-line tool as a process (stdout and stderr redirected, as in a script or CI): <c>ledger-replay</c>
/// (<see cref="Of"/>; the test project references <c>replay-tool</c> so it is built) or any other (<see cref="Run"/>).
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

    public static ToolRun Of(params string[] args) => Run("dotnet", [DllPath, .. args], null, TimeSpan.FromSeconds(120));

    /// <summary>Runs <paramref name="file"/> to its end (killed and a <see cref="TimeoutException"/> after <paramref name="timeout"/>).</summary>
    public static ToolRun Run(string file, IEnumerable<string> args, string? workingDirectory, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null) info.WorkingDirectory = workingDirectory;
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', info.ArgumentList)} did not finish in {timeout.TotalSeconds:F0} s (hung).");
        }
        return new ToolRun(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>The checkout the tests run from (the folder holding Ledger.sln).</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Ledger.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"No Ledger.sln above {AppContext.BaseDirectory}.");
    }

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
}
