using System.Diagnostics;
using HdrHistogram;

namespace Ledger.Bench;

/// <summary>Counters and the latency histogram (microseconds) of one step; recorded from many completions at once.</summary>
public sealed class StepStats
{
    private const long LatencyUsMax = 120_000_000; // two minutes: anything longer is a timeout anyway
    private readonly LongConcurrentHistogram _latencyUs = new(1, LatencyUsMax, 3);
    private readonly long[] _statuses = new long[600]; // index 0: transport error or timeout
    private long _requests, _ok, _declined, _failed, _entriesOk;
    private long _lastAnswerTicks;
    // The generator's own cost over the step: is it the bottleneck? (allocation is process-wide, so it includes HttpClient's)
    private long _allocatedAtStart;
    private TimeSpan _cpuAtStart;

    public StepStats(string name, BenchMode mode, double? offeredRps, int connections, double durationSeconds)
    {
        Name = name;
        Mode = mode;
        OfferedRps = offeredRps;
        Connections = connections;
        DurationSeconds = durationSeconds;
        Restart();
    }

    public string Name { get; }
    public BenchMode Mode { get; }
    public double? OfferedRps { get; }
    public int Connections { get; }
    public double DurationSeconds { get; }
    public long StartTicks { get; private set; }
    public long Requests => Interlocked.Read(ref _requests);
    public long Ok => Interlocked.Read(ref _ok);
    public long EntriesOk => Interlocked.Read(ref _entriesOk);

    /// <summary>Starts the step's clock again (after its set-up, just before the first request).</summary>
    public void Restart()
    {
        StartTicks = Stopwatch.GetTimestamp();
        _lastAnswerTicks = StartTicks;
        _allocatedAtStart = GC.GetTotalAllocatedBytes(precise: false);
        _cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
    }

    public void Record(int status, int entries, long intendedTicks)
    {
        long now = Stopwatch.GetTimestamp();
        long us = Math.Clamp((now - intendedTicks) * 1_000_000 / Stopwatch.Frequency, 1, LatencyUsMax);
        _latencyUs.RecordValue(us);
        Interlocked.Increment(ref _requests);
        Interlocked.Increment(ref _statuses[Math.Clamp(status, 0, _statuses.Length - 1)]);
        if (status is >= 200 and < 300)
        {
            Interlocked.Increment(ref _ok);
            Interlocked.Add(ref _entriesOk, entries);
        }
        else if (status is >= 400 and < 500)
        {
            Interlocked.Increment(ref _declined);
        }
        else
        {
            Interlocked.Increment(ref _failed);
        }
        long last;
        do
        {
            last = Interlocked.Read(ref _lastAnswerTicks);
        }
        while (now > last && Interlocked.CompareExchange(ref _lastAnswerTicks, now, last) != last);
    }

    public StepResult ToResult()
    {
        double elapsed = Math.Max(1e-6, (Interlocked.Read(ref _lastAnswerTicks) - StartTicks) / (double)Stopwatch.Frequency);
        // Closed loop: the step lasted its duration at least (the last answer may come a little after it).
        if (Mode == BenchMode.Closed) elapsed = Math.Max(elapsed, DurationSeconds);
        var result = new StepResult
        {
            Name = Name, Mode = Mode, OfferedRps = OfferedRps, Connections = Connections, DurationSeconds = DurationSeconds,
            ElapsedSeconds = Math.Round(elapsed, 3), Requests = Requests, Ok = Ok, Declined = Interlocked.Read(ref _declined),
            Failed = Interlocked.Read(ref _failed), EntriesOk = EntriesOk,
            AcceptedRps = Math.Round(Ok / elapsed, 1), EntriesPerSecond = Math.Round(EntriesOk / elapsed, 1),
            BenchCpuShare = Math.Round((Process.GetCurrentProcess().TotalProcessorTime - _cpuAtStart).TotalSeconds / elapsed / Environment.ProcessorCount, 3),
            BenchAllocatedBytesPerRequest = Requests > 0 ? (GC.GetTotalAllocatedBytes(precise: false) - _allocatedAtStart) / Requests : 0,
        };
        if (_latencyUs.TotalCount > 0)
        {
            result.Latency = new LatencySummary
            {
                P50Ms = Ms(_latencyUs.GetValueAtPercentile(50)), P90Ms = Ms(_latencyUs.GetValueAtPercentile(90)),
                P99Ms = Ms(_latencyUs.GetValueAtPercentile(99)), P999Ms = Ms(_latencyUs.GetValueAtPercentile(99.9)),
                MaxMs = Ms(_latencyUs.GetMaxValue()), MeanMs = Math.Round(_latencyUs.GetMean() / 1000.0, 3),
            };
            foreach (var v in _latencyUs.Percentiles(5))
            {
                result.Percentiles.Add(new PercentilePoint { Percentile = Math.Round(v.Percentile, 5), Ms = Ms(v.ValueIteratedTo) });
                if (v.Percentile >= 100) break;
            }
        }
        for (int s = 0; s < _statuses.Length; s++)
        {
            long n = Interlocked.Read(ref _statuses[s]);
            if (n > 0) result.Statuses[s == 0 ? "transport" : s.ToString(System.Globalization.CultureInfo.InvariantCulture)] = n;
        }
        return result;
    }

    private static double Ms(long us) => Math.Round(us / 1000.0, 3);
}
