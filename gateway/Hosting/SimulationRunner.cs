using System.Diagnostics;
using Ledger.Engine.Catalog;
using Ledger.Journal.Recovery;
using Ledger.Journal.WhatIf;
using Microsoft.Extensions.Options;

namespace Ledger.Gateway.Hosting;

/// <summary>One what-if run of the service: its state, progress and, once done, its summary (the CLI's summary.json bytes).</summary>
public sealed class Simulation : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();

    internal Simulation(string id, DateTime startedAt, long untilRecord)
    {
        Id = id;
        StartedAt = startedAt;
        UntilRecord = untilRecord;
    }

    public string Id { get; }
    public DateTime StartedAt { get; }
    /// <summary>The last journal record it reads: the journal's committed end when it started.</summary>
    public long UntilRecord { get; }
    /// <summary>running, done, failed or cancelled.</summary>
    public string Status { get; internal set; } = "running";
    public DateTime? FinishedAt { get; internal set; }
    public string Phase { get; internal set; } = "baseline";
    public long Records { get; internal set; }
    public double Fraction { get; internal set; }
    public byte[]? SummaryJson { get; internal set; }
    public string? Error { get; internal set; }
    internal CancellationToken Token => _cancel.Token;

    internal void Cancel() => _cancel.Cancel();

    /// <summary>Called by the runner when a newer simulation replaces this finished one.</summary>
    public void Dispose() => _cancel.Dispose();
}

/// <summary>
/// Runs <c>POST /v1/simulations</c> what-ifs, one at a time, with the CLI's code (<see cref="WhatIfReplay"/>) on the
/// service's own journal: a thread of the lowest priority, paced to <see cref="SimulationOptions.CpuShare"/> of a core,
/// reading records up to the journal's committed end at its start, through scratch stores of its own (never the live
/// entry store, which the pipeline writes). The engine thread is never involved: posting goes on meanwhile.
/// </summary>
public sealed class SimulationRunner
{
    private readonly object _gate = new();
    private readonly LedgerRuntime _runtime;
    private readonly IOptions<LedgerOptions> _options;
    private readonly ILogger<SimulationRunner> _logger;
    private Simulation? _current;
    private Thread? _thread;

    public SimulationRunner(LedgerRuntime runtime, IOptions<LedgerOptions> options, ILogger<SimulationRunner> logger, IHostApplicationLifetime lifetime)
    {
        _runtime = runtime;
        _options = options;
        _logger = logger;
        // Before the runtime closes the journal: a simulation reading it stops first (it checks every 64 records).
        lifetime.ApplicationStopping.Register(StopRunning);
    }

    private void StopRunning()
    {
        Thread? thread;
        lock (_gate)
        {
            _current?.Cancel();
            thread = _thread;
        }
        if (thread is not null && !thread.Join(TimeSpan.FromSeconds(30)))
            _logger.LogWarning("A simulation did not stop within 30 s of shutdown; the journal closes under it.");
    }

    /// <summary>The simulation with this id (the last one started), or null.</summary>
    public Simulation? Find(string id)
    {
        var s = _current;
        return s is not null && string.Equals(s.Id, id, StringComparison.Ordinal) ? s : null;
    }

    /// <summary>Starts a simulation, or returns null when one is running (one at a time).</summary>
    public Simulation? TryStart(HistoryCatalog candidate, long fromTicks, long toTicks)
    {
        var store = _runtime.Store ?? throw new InvalidOperationException("Invariant: a simulation started before the ledger.");
        lock (_gate)
        {
            if (_current is { Status: "running" }) return null;
            var simulation = new Simulation(Guid.NewGuid().ToString("N"), DateTime.UtcNow, store.Journal.CommittedRecordNumber);
            _current?.Dispose(); // finished: nothing cancels it any more
            _current = simulation;
            var settings = _options.Value.Simulations;
            string scratch = Path.Combine(settings.ScratchDir ?? Path.GetTempPath(), $"ledger-simulation-{simulation.Id}");
            double share = Math.Clamp(settings.CpuShare, 0.05, 1.0);
            var thread = new Thread(() => Run(simulation, store.Log, candidate, fromTicks, toTicks, scratch, share))
            {
                IsBackground = true,
                Priority = ThreadPriority.Lowest,
                Name = "ledger-simulation",
            };
            thread.Start();
            _thread = thread;
            return simulation;
        }
    }

    /// <summary>Cancels the simulation; false when there is no such one.</summary>
    public bool Cancel(string id)
    {
        var s = Find(id);
        if (s is null) return false;
        s.Cancel();
        return true;
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031", Justification = "A failed simulation is reported on its resource, never brings the service down.")]
    private void Run(Simulation s, Journal.JournalLog log, HistoryCatalog candidate, long fromTicks, long toTicks, string scratch, double share)
    {
        long busyStart = Stopwatch.GetTimestamp();
        double sleepDebtMs = 0;
        try
        {
            var summary = WhatIfReplay.Run(log, new WhatIfSettings
            {
                Candidate = candidate,
                ScratchDirectory = scratch,
                FromTicks = fromTicks,
                ToTicks = toTicks,
                UntilRecordNumber = s.UntilRecord,
                Cancellation = s.Token,
                OnProgress = (phase, p) => Progress(s, phase, p),
                AfterBatch = () =>
                {
                    // Pace to the CPU share: after busy time b, rest b * (1 - share) / share (in steps of at least 5 ms).
                    long now = Stopwatch.GetTimestamp();
                    sleepDebtMs += Stopwatch.GetElapsedTime(busyStart, now).TotalMilliseconds * (1 - share) / share;
                    if (sleepDebtMs >= 5)
                    {
                        Thread.Sleep((int)sleepDebtMs);
                        sleepDebtMs -= (int)sleepDebtMs;
                    }
                    busyStart = Stopwatch.GetTimestamp();
                    s.Token.ThrowIfCancellationRequested();
                },
            });
            s.SummaryJson = WhatIfSummaryJson.ToUtf8(summary, indented: false);
            s.Fraction = 1;
            s.Status = "done";
            if (_logger.IsEnabled(LogLevel.Information))
                _logger.LogInformation("Simulation {Id} done: {Entries} entries compared, {Changed} changed, {Seconds:0.0} s.", s.Id, summary.EntriesCompared, summary.EntriesChanged, summary.ElapsedSeconds);
        }
        catch (OperationCanceledException)
        {
            s.Status = "cancelled";
        }
        catch (Exception ex)
        {
            s.Status = "failed";
            s.Error = ex.Message;
            _logger.LogWarning(ex, "Simulation {Id} failed.", s.Id);
        }
        finally
        {
            s.FinishedAt = DateTime.UtcNow;
        }
    }

    private static void Progress(Simulation s, string phase, RecoveryProgress p)
    {
        s.Phase = phase;
        s.Records = p.RecordsReplayed;
        double fraction = p.BytesTotal > 0 ? (double)p.BytesDone / p.BytesTotal : 0;
        s.Fraction = phase == "baseline" ? fraction / 2 : 0.5 + fraction / 2; // two replays of the same journal
    }
}
