namespace Ledger.Bench;

/// <summary>How requests are paced.</summary>
public enum BenchMode
{
    /// <summary>A target rate; latency from each request's intended send time (coordinated omission corrected).</summary>
    Open,
    /// <summary>N connections, each sending its next request when the previous answer arrives: the peak.</summary>
    Closed,
    /// <summary>Open-loop steps at rising rates: offered vs accepted and the percentiles per step; finds the knee.</summary>
    Sweep,
}

/// <summary>Which accounts requests go to.</summary>
public enum AccountDistribution
{
    Uniform,
    /// <summary>Zipf over the accounts (rank 0 = the first account), exponent <see cref="BenchOptions.ZipfExponent"/>.</summary>
    Zipf,
    /// <summary><see cref="BenchOptions.HotShare"/> of the requests go to the first <see cref="BenchOptions.HotAccounts"/> accounts.</summary>
    Hot,
}

/// <summary>What is checked against the server after the run.</summary>
public enum CheckLevel
{
    /// <summary>Counts, then every touched account's balances moved by exactly what was acknowledged.</summary>
    Full,
    /// <summary>Counts only (for the no-op baseline, which stores nothing).</summary>
    Counts,
    None,
}

/// <summary>Everything a run is given on the command line (defaults documented on the options in <see cref="Cli"/>).</summary>
public sealed class BenchOptions
{
    public Uri Url { get; set; } = new("http://127.0.0.1:8080");
    /// <summary>What is measured, e.g. <c>ledger</c>, <c>noop</c>, <c>postgres</c>: the report groups by it.</summary>
    public string Target { get; set; } = "ledger";
    /// <summary>The figure's name in the report, e.g. <c>batch-100</c>.</summary>
    public string Label { get; set; } = "run";
    /// <summary>The report's section (http, sweep, hot, soak, or anything else: it gets its own table).</summary>
    public string Section { get; set; } = "http";
    /// <summary>Which round of an interleaved comparison this run is (the report takes the median over rounds).</summary>
    public int Round { get; set; } = 1;
    public BenchMode Mode { get; set; } = BenchMode.Closed;
    /// <summary>Open loop: requests per second.</summary>
    public double RatePerSecond { get; set; } = 1_000;
    /// <summary>Sweep: the offered rates, or empty for automatic steps around a closed-loop probe's peak.</summary>
    public IReadOnlyList<double> SweepRates { get; set; } = [];
    /// <summary>Sweep, automatic: the fractions of the probed peak to offer.</summary>
    public IReadOnlyList<double> SweepFractions { get; set; } = [0.1, 0.25, 0.5, 0.8, 0.9, 1.0, 1.2];
    /// <summary>Sweep: the knee is the highest step with accepted ≥ 95 % of offered and p99 ≤ this (ms).</summary>
    public double KneeP99MsMax { get; set; } = 50;
    /// <summary>Keep-alive connections (closed loop: also the concurrency).</summary>
    public int Connections { get; set; } = 32;
    public double DurationSeconds { get; set; } = 10;
    public double WarmupSeconds { get; set; } = 2;
    /// <summary>Entries per batch for deposits, debits and holds.</summary>
    public int BatchSize { get; set; } = 1;
    public int Accounts { get; set; } = 1_000;
    public int Branch { get; set; } = 1;
    public long FirstAccount { get; set; } = 1;
    public AccountDistribution Distribution { get; set; } = AccountDistribution.Uniform;
    public double ZipfExponent { get; set; } = 0.99;
    public int HotAccounts { get; set; } = 10;
    public double HotShare { get; set; } = 0.9;
    public WorkloadMix Mix { get; set; } = WorkloadMix.Parse("deposit=100");
    public CheckLevel Check { get; set; } = CheckLevel.Full;
    /// <summary>Results JSON; null writes none.</summary>
    public string? OutputPath { get; set; }
    /// <summary>The server's process id, to sample its RSS once a second (Linux /proc).</summary>
    public int? ServerPid { get; set; }
    public int Seed { get; set; } = 42;
    /// <summary>Open the accounts (CSV import) before the run; off when they already exist.</summary>
    public bool OpenAccounts { get; set; } = true;
    /// <summary>Deposited into every account before the run when the mix moves money out.</summary>
    public long FundingMinor { get; set; } = 1_000_000_000;
    public double TimeoutSeconds { get; set; } = 30;
    /// <summary>Open loop: requests in flight at most; past it the dispatcher waits (the wait still counts as latency).</summary>
    public int InFlightMax { get; set; } = 20_000;
    public string WriterClient { get; set; } = "demo-partner";
    public string WriterSecret { get; set; } = "demo-secret";
    public string AdminClient { get; set; } = "ledger-admin";
    public string AdminSecret { get; set; } = "admin-secret";
    /// <summary>Progress bars (Spectre.Console) when the output is a terminal; plain lines otherwise.</summary>
    public bool Quiet { get; set; }
    /// <summary>
    /// Kafka brokers (<c>--kafka</c>): the load goes to <see cref="KafkaCommandsTopic"/> as Avro commands and its answers
    /// come from <see cref="KafkaResultsTopic"/> (<see cref="KafkaTransport"/>); set-up and the check stay on REST. Null: REST.
    /// </summary>
    public string? KafkaBootstrapServers { get; set; }
    public string KafkaCommandsTopic { get; set; } = "ledger.commands";
    public string KafkaResultsTopic { get; set; } = "ledger.results";

    /// <summary>rest or kafka.</summary>
    public string Transport => KafkaBootstrapServers is null ? "rest" : "kafka";

    /// <summary>A sentence naming what to fix, or null when the options are usable.</summary>
    public string? Validate()
    {
        if (Connections is < 1 or > 10_000) return "--connections must be 1..10000.";
        if (BatchSize is < 1 or > 1_000) return "--batch must be 1..1000 (the ledger's limit per batch).";
        if (Accounts < 1) return "--accounts must be at least 1.";
        if (DurationSeconds <= 0) return "--duration must be positive.";
        if (WarmupSeconds < 0) return "--warmup must be 0 or more.";
        if (Mode == BenchMode.Open && RatePerSecond <= 0) return "--rate must be positive in open mode.";
        if (HotAccounts < 1 || HotAccounts > Accounts) return "--hot-accounts must be 1..--accounts.";
        if (HotShare is < 0 or > 1) return "--hot-share must be 0..1.";
        if (Mix.TotalWeight <= 0) return "--mix names no operation with a positive weight.";
        if (KafkaBootstrapServers is not null && (Mix.Has(OpKind.Bundle) || Mix.Has(OpKind.Balance) || Mix.Has(OpKind.Statement)))
        {
            return "--kafka sends deposit, debit, hold, release, reversal and replay (POST_BATCH commands); bundle, balance and statement are REST only.";
        }
        return null;
    }
}
