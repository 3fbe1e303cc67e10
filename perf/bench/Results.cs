using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ledger.Bench;

// The results JSON of one ledger-bench run: what perf/report reads. Bump Version when a field changes meaning.

/// <summary>One run: its settings, its measured steps, a per-second timeline and the check against the server.</summary>
public sealed class BenchResult
{
    public const int CurrentVersion = 1;
    public string Tool { get; set; } = "ledger-bench";
    public int Version { get; set; } = CurrentVersion;
    public string Target { get; set; } = "";
    public string Label { get; set; } = "";
    public string Section { get; set; } = "";
    public int Round { get; set; } = 1;
    public string Url { get; set; } = "";
    public BenchMode Mode { get; set; }
    public DateTime StartedAtUtc { get; set; }
    public WorkloadEcho Workload { get; set; } = new();
    /// <summary>Measured steps only (warm-up excluded); a sweep has one per offered rate, after its probe.</summary>
    public List<StepResult> Steps { get; set; } = [];
    /// <summary>Sweep: the highest step that kept up (accepted ≥ 95 % of offered, p99 within the bound); null otherwise.</summary>
    public KneeResult? Knee { get; set; }
    public List<TimelineSample> Timeline { get; set; } = [];
    public CheckResult Check { get; set; } = new();

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static BenchResult Read(string path) =>
        JsonSerializer.Deserialize<BenchResult>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path} holds no results.");

    public void Write(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Json));
}

/// <summary>The workload as run, for the report's captions.</summary>
public sealed class WorkloadEcho
{
    public string Mix { get; set; } = "";
    public int BatchSize { get; set; }
    public int Accounts { get; set; }
    public string Distribution { get; set; } = "";
    public int Connections { get; set; }
    public double DurationSeconds { get; set; }
    public double WarmupSeconds { get; set; }
    /// <summary>rest, or kafka (commands topic in, results topic out).</summary>
    public string Transport { get; set; } = "rest";
}

/// <summary>One measured step: a closed-loop run, or one offered rate of an open loop or sweep.</summary>
public sealed class StepResult
{
    public string Name { get; set; } = "";
    public BenchMode Mode { get; set; }
    /// <summary>Open loop: the offered rate (requests/s); null for closed loop.</summary>
    public double? OfferedRps { get; set; }
    public int Connections { get; set; }
    public double DurationSeconds { get; set; }
    /// <summary>From the step's start to its last answer (open loop: includes draining what was sent late).</summary>
    public double ElapsedSeconds { get; set; }
    public long Requests { get; set; }
    public long Ok { get; set; }
    public long Declined { get; set; }
    public long Failed { get; set; }
    public long EntriesOk { get; set; }
    /// <summary>2xx answers per second of elapsed time.</summary>
    public double AcceptedRps { get; set; }
    /// <summary>Acknowledged entries per second of elapsed time.</summary>
    public double EntriesPerSecond { get; set; }
    public LatencySummary Latency { get; set; } = new();
    /// <summary>The generator's CPU time over the step as a share of all the machine's cores (0..1): near 1/cores or more, it competes with the server.</summary>
    public double BenchCpuShare { get; set; }
    /// <summary>Bytes the generator's process allocated per request over the step (HttpClient's own included).</summary>
    public long BenchAllocatedBytesPerRequest { get; set; }
    /// <summary>The percentile distribution (HdrHistogram, 5 ticks per half distance) for the curves.</summary>
    public List<PercentilePoint> Percentiles { get; set; } = [];
    public Dictionary<string, long> Statuses { get; set; } = [];
}

/// <summary>Milliseconds. Open loop: from each request's intended send time (coordinated omission corrected).</summary>
public sealed class LatencySummary
{
    public double P50Ms { get; set; }
    public double P90Ms { get; set; }
    public double P99Ms { get; set; }
    public double P999Ms { get; set; }
    public double MaxMs { get; set; }
    public double MeanMs { get; set; }
}

public sealed class PercentilePoint
{
    public double Percentile { get; set; }
    public double Ms { get; set; }
}

public sealed class KneeResult
{
    public double OfferedRps { get; set; }
    public double AcceptedRps { get; set; }
    public double P99Ms { get; set; }
    public string Rule { get; set; } = "";
}

/// <summary>One second of the run (warm-up, funding and checks included).</summary>
public sealed class TimelineSample
{
    public double Seconds { get; set; }
    public double OkPerSecond { get; set; }
    public double EntriesPerSecond { get; set; }
    /// <summary>The server's resident set (MiB), when its pid was given.</summary>
    public double? ServerRssMiB { get; set; }
    public double BenchRssMiB { get; set; }
}

/// <summary>The bench's own counts held against the server's balances after the run.</summary>
public sealed class CheckResult
{
    public CheckLevel Level { get; set; }
    public bool Passed { get; set; }
    public long RequestsSent { get; set; }
    public long RequestsOk { get; set; }
    public long RequestsDeclined { get; set; }
    public long RequestsFailed { get; set; }
    public long EntriesSent { get; set; }
    public long EntriesOk { get; set; }
    public long EntriesDeclined { get; set; }
    public long EntriesFailed { get; set; }
    /// <summary>Requests whose first outcome was unknown (5xx, transport error), sent again after the run.</summary>
    public long Resent { get; set; }
    public long Unresolved { get; set; }
    /// <summary>Acknowledged requests sent again that did not answer 2xx.</summary>
    public long ReplayMismatches { get; set; }
    public int AccountsChecked { get; set; }
    public long ExpectedAvailableMovedMinor { get; set; }
    public long ObservedAvailableMovedMinor { get; set; }
    public long ExpectedHeldMovedMinor { get; set; }
    public long ObservedHeldMovedMinor { get; set; }
    /// <summary>Sentences, one per failed rule (the first few accounts that disagree are named).</summary>
    public List<string> Failures { get; set; } = [];
}
