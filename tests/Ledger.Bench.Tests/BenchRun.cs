namespace Ledger.Bench.Tests;

/// <summary>ledger-bench run through its command line in this process: exit code, output and the results JSON it wrote.</summary>
public sealed record BenchRun(int ExitCode, string Output, BenchResult? Result)
{
    public static async Task<BenchRun> OfAsync(Uri server, params string[] args)
    {
        string json = Path.Combine(Path.GetTempPath(), "ledger-bench-tests", Guid.NewGuid().ToString("N") + ".json");
        using var output = new StringWriter();
        int exit = await Cli.RunAsync(["--url", server.ToString(), "--out", json, "--plain", .. args], output);
        var result = File.Exists(json) ? BenchResult.Read(json) : null;
        if (File.Exists(json)) File.Delete(json);
        return new BenchRun(exit, output.ToString(), result);
    }

    public override string ToString() => $"exit {ExitCode}\n{Output}";
}
