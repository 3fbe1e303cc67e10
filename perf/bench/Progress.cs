using System.Globalization;
using Spectre.Console;

namespace Ledger.Bench;

/// <summary>What a run tells the person watching it.</summary>
public interface IBenchProgress
{
    void Note(string line);
    void StepStarted(string name, double seconds);
    void StepFinished(StepResult step, bool measured);
    /// <summary>Once a second, from the timeline sampler.</summary>
    void Tick(double seconds, double okPerSecond, double entriesPerSecond);
}

/// <summary>Plain lines, for logs and CI (Spectre's bars draw only on a terminal).</summary>
public sealed class PlainProgress(TextWriter output) : IBenchProgress
{
    public void Note(string line) => output.WriteLine(line);

    public void StepStarted(string name, double seconds) =>
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"step {name}: {seconds:0.#} s"));

    public void StepFinished(StepResult step, bool measured) => output.WriteLine(Describe(step, measured));

    public void Tick(double seconds, double okPerSecond, double entriesPerSecond)
    {
    }

    public static string Describe(StepResult s, bool measured) => string.Create(CultureInfo.InvariantCulture,
        $"{(measured ? "" : "(not measured) ")}{s.Name}: {s.AcceptedRps:0} req/s accepted{(s.OfferedRps is { } o ? $" of {o:0} offered" : "")}, " +
        $"{s.EntriesPerSecond:0} entries/s, p50 {s.Latency.P50Ms:0.###} ms, p99 {s.Latency.P99Ms:0.###} ms, p99.9 {s.Latency.P999Ms:0.###} ms, " +
        $"max {s.Latency.MaxMs:0.###} ms; {s.Requests} requests: {s.Ok} 2xx, {s.Declined} 4xx, {s.Failed} failed; " +
        $"generator {s.BenchCpuShare:0%} of the cores, {s.BenchAllocatedBytesPerRequest} B allocated per request");
}

/// <summary>A progress bar per step and a live rate, on an interactive terminal.</summary>
public sealed class SpectreProgress(ProgressContext context) : IBenchProgress
{
    private ProgressTask? _current;
    private double _stepStartedAt = double.NaN;
    private double _lastTick;

    public void Note(string line) => AnsiConsole.MarkupLine(Markup.Escape(line));

    public void StepStarted(string name, double seconds)
    {
        _current?.StopTask();
        _current = context.AddTask(Markup.Escape(name), maxValue: seconds);
        _stepStartedAt = double.NaN;
    }

    public void StepFinished(StepResult step, bool measured)
    {
        if (_current is not null)
        {
            _current.Value = _current.MaxValue;
            _current.StopTask();
        }
        AnsiConsole.MarkupLine(Markup.Escape(PlainProgress.Describe(step, measured)));
    }

    public void Tick(double seconds, double okPerSecond, double entriesPerSecond)
    {
        if (_current is null) return;
        if (double.IsNaN(_stepStartedAt)) _stepStartedAt = _lastTick;
        _lastTick = seconds;
        _current.Value = Math.Min(_current.MaxValue, seconds - _stepStartedAt);
        _current.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"{_current.Description.Split(" · ")[0]} · {okPerSecond:0} req/s · {entriesPerSecond:0} entries/s"));
    }
}
