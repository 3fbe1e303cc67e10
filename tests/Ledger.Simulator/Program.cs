using System.Globalization;
using Ledger.Simulator;

// ledger-sim: run seeds of the whole-ledger simulator for as long as asked.
//   ledger-sim --seed S [--steps N]                one seed (reproduce a failure)
//   ledger-sim --seeds K [--from S] [--steps N]    K seeds from S
//   ledger-sim --minutes M [--from S] [--steps N]  seeds from S until M minutes have passed
// Options: --no-faults (the workload and auditor alone), --crash-rate R (default 0.03), --dir D (default a temp dir), --verbose.
// Exit code 0 when every seed passed, 1 on the first failure (its seed and step printed), 2 for bad arguments.
var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (int i = 0; i < args.Length; i++)
{
    if (!args[i].StartsWith("--", StringComparison.Ordinal)) return Usage($"unexpected '{args[i]}'");
    string name = args[i][2..];
    if (name is "no-faults" or "verbose") options[name] = "1";
    else if (i + 1 < args.Length) options[name] = args[++i];
    else return Usage($"--{name} needs a value");
}
int Int(string name, int fallback) => options.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
int steps = Int("steps", 400);
int first = options.ContainsKey("seed") ? Int("seed", 1) : Int("from", 1);
int seeds = options.ContainsKey("seed") ? 1 : Int("seeds", int.MaxValue);
double minutes = options.TryGetValue("minutes", out var m) ? double.Parse(m, CultureInfo.InvariantCulture) : double.PositiveInfinity;
if (seeds == int.MaxValue && double.IsPositiveInfinity(minutes)) return Usage("give --seed, --seeds or --minutes");
double crashRate = options.TryGetValue("crash-rate", out var r) ? double.Parse(r, CultureInfo.InvariantCulture) : 0.03;
string dir = options.TryGetValue("dir", out var d) ? d : Path.Combine(Path.GetTempPath(), "ledger-sim-" + Environment.ProcessId);
bool verbose = options.ContainsKey("verbose");

var clock = System.Diagnostics.Stopwatch.StartNew();
var totals = new Dictionary<FaultKind, int>();
long totalSteps = 0, commands = 0, reads = 0, recoveries = 0;
int done = 0;
try
{
    for (int seed = first; done < seeds && clock.Elapsed.TotalMinutes < minutes; seed++, done++)
    {
        var result = await Simulation.RunAsync(new SimulationSettings
        {
            Seed = seed, Steps = steps, Faults = !options.ContainsKey("no-faults"), CrashRate = crashRate, WorkDir = dir,
            Log = verbose ? Console.WriteLine : null,
        });
        totalSteps += result.Steps;
        commands += result.Commands;
        reads += result.Reads;
        recoveries += result.Recoveries;
        foreach (var (kind, n) in result.Faults) totals[kind] = totals.GetValueOrDefault(kind) + n;
        Console.WriteLine(FormattableString.Invariant(
            $"seed {seed}: {result.Steps} steps, {result.Commands} commands, {result.Reads} account reads, {result.Recoveries} recoveries, digest {result.Digest}, {result.Elapsed.TotalSeconds:F1} s"));
    }
}
catch (SimulationFailedException ex)
{
    Console.WriteLine("FAILED " + ex.Message);
    Console.WriteLine($"reproduce: ledger-sim --seed <the seed above> --steps {steps}{(options.ContainsKey("no-faults") ? " --no-faults" : "")}");
    return 1;
}
finally
{
    if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
}
Console.WriteLine(FormattableString.Invariant(
    $"{done} seeds x {steps} steps = {totalSteps} steps ({commands} commands, {reads} account reads), {recoveries} recoveries, 0 failures, {clock.Elapsed.TotalSeconds:F0} s, {totalSteps / clock.Elapsed.TotalSeconds:F1} steps/s"));
Console.WriteLine("faults: " + (totals.Count == 0 ? "none" : string.Join(", ", totals.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"))));
return 0;

static int Usage(string problem)
{
    Console.Error.WriteLine($"ledger-sim: {problem}. Usage: ledger-sim (--seed S | --seeds K [--from S] | --minutes M [--from S]) [--steps N] [--no-faults] [--crash-rate R] [--dir D] [--verbose]");
    return 2;
}
