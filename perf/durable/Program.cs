using System.Globalization;
using Ledger.Perf.Durable;

// Durable-path harness: see docs/perf-history.md ("Journal") for what each scenario measures and the figures.
//   dotnet run -c Release --project perf/durable -- throughput [--seconds 10] [--window 4096] [--producers 2] [--wait blocking|yielding|spin] [--dir /tmp/ledger-perf]
//   dotnet run -c Release --project perf/durable -- replay [--entries 10000000]
//   dotnet run -c Release --project perf/durable -- breakdown [--entries 1000000]
//   dotnet run -c Release --project perf/durable -- commits [--commits 300] [--records 1]
//   dotnet run -c Release --project perf/durable -- soak [--accounts 1000000] [--batch 100] [--entries 100000000] [--slice 10000000] [--producers 2] [--window 512]
string scenario = args.Length > 0 ? args[0] : "help";
string Arg(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
long Number(string name, long fallback) => long.Parse(Arg(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
string dir = Arg("--dir", Path.Combine(Path.GetTempPath(), "ledger-perf"));

Console.WriteLine($"# {scenario} on {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}, GC server={System.Runtime.GCSettings.IsServerGC}");
switch (scenario)
{
    case "throughput":
        Throughput.Run(dir, seconds: (int)Number("--seconds", 10), window: (int)Number("--window", 4096), producers: (int)Number("--producers", 2),
            wait: Arg("--wait", "blocking"));
        return 0;
    case "replay":
        Replay.Run(dir, entries: Number("--entries", 10_000_000));
        return 0;
    case "breakdown":
        Breakdown.Run(dir, (int)Number("--entries", 1_000_000));
        return 0;
    case "commits":
        CommitProbe.Run(dir, (int)Number("--commits", 300), (int)Number("--records", 1));
        return 0;
    case "soak":
        Soak.Run(dir, accounts: (int)Number("--accounts", 1_000_000), batch: (int)Number("--batch", 100), entries: Number("--entries", 100_000_000),
            slice: Number("--slice", 10_000_000), producers: (int)Number("--producers", 2), window: (int)Number("--window", 512));
        return 0;
    default:
        Console.WriteLine("usage: throughput [--seconds N] [--window N] [--producers N] [--wait blocking|yielding|spin] | replay [--entries N] | breakdown [--entries N] | commits [--commits N] [--records N] | soak [--accounts N] [--batch N] [--entries N] [--slice N] [--producers N] [--window N]   [--dir DIR]");
        return 1;
}
