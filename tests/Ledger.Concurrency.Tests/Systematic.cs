using Microsoft.Coyote;
using Microsoft.Coyote.SystematicTesting;
using NUnit.Framework;

namespace Ledger.Concurrency.Tests;

/// <summary>
/// Runs a scenario under Coyote's systematic scheduler. The engine, the gateway and this assembly are rewritten after the
/// build (see the project file), so every thread start/join, lock, Monitor wait/pulse, Volatile and Interlocked access of
/// the real ring code is a point where Coyote picks which thread goes on; each iteration is one schedule, chosen from the
/// seed. A failure names the seed, and the same seed (and number of schedules) replays the same schedules:
/// <c>LEDGER_COYOTE_SEED=S LEDGER_COYOTE_ITERATIONS=N dotnet test tests/Ledger.Concurrency.Tests --filter Name</c>.
/// </summary>
internal static class Systematic
{
    /// <summary>The seed of CI's runs (fixed, so CI explores the same schedules every time; pass another to explore more).</summary>
    private const uint SeedDefault = 20_261_206;

    public static uint Seed => uint.TryParse(Environment.GetEnvironmentVariable("LEDGER_COYOTE_SEED"), out var seed) ? seed : SeedDefault;

    /// <summary>Iterations (schedules) per test: the test's own number, or LEDGER_COYOTE_ITERATIONS for a longer run.</summary>
    public static uint Iterations(uint ciIterations) =>
        uint.TryParse(Environment.GetEnvironmentVariable("LEDGER_COYOTE_ITERATIONS"), out var n) ? n : ciIterations;

    /// <summary>
    /// LEDGER_COYOTE_STRATEGY=pct: Coyote's priority-based strategy (fair, 5 priority changes) instead of the random walk.
    /// The random walk is CI's: at every scheduling point any enabled thread may go on, so a spin-wait costs a few steps;
    /// under priorities a spinning thread keeps the core until the fairness bound (docs/decisions.md has the figures).
    /// </summary>
    private static bool Prioritized => Environment.GetEnvironmentVariable("LEDGER_COYOTE_STRATEGY") == "pct";

    /// <summary>
    /// LEDGER_COYOTE_MEMORY=1: every plain field load and store is a scheduling point too (a slot read half-way through a
    /// producer's write, a handler's read racing a producer that overwrites its slot). 2 to 9 times the steps per schedule,
    /// so CI leaves it off: the ring's protocol steps (Volatile, Interlocked, locks) are the points that matter for it.
    /// </summary>
    private static bool PlainMemory => Environment.GetEnvironmentVariable("LEDGER_COYOTE_MEMORY") == "1";

    private static Configuration Configure(uint iterations) => (Prioritized
            ? Configuration.Create().WithPrioritizationStrategy(isFair: true, priorityChangeBound: 5)
            : Configuration.Create().WithRandomStrategy())
        .WithTestingIterations(Iterations(iterations))
        .WithRandomGeneratorSeed(Seed)
        // A schedule that spins past this many steps (ten times that under a fair strategy) is cut rather than left to hang
        // the test; ExpectNoBug fails if any was (it never reached the scenario's final checks).
        .WithMaxSchedulingSteps(20_000)
        // Interleave at every Volatile and Interlocked access (the ring's shared-memory steps) besides threads and locks.
        .WithVolatileOperationRaceCheckingEnabled(true)
        .WithAtomicOperationRaceCheckingEnabled(true)
        .WithLockAccessRaceCheckingEnabled(true)
        .WithMemoryAccessRaceCheckingEnabled(PlainMemory)
        // Anything Coyote does not control would make a schedule unreproducible: refuse it instead.
        .WithPartiallyControlledConcurrencyAllowed(false)
        .WithTelemetryEnabled(false)
        .WithConsoleLoggingEnabled(Verbose)
        .WithVerbosityEnabled(Verbose ? Microsoft.Coyote.Logging.VerbosityLevel.Exhaustive : Microsoft.Coyote.Logging.VerbosityLevel.None);

    /// <summary>LEDGER_COYOTE_VERBOSE=1: Coyote logs every scheduling decision (for reading one failing schedule).</summary>
    private static bool Verbose => Environment.GetEnvironmentVariable("LEDGER_COYOTE_VERBOSE") == "1";

    /// <summary>Explores the scenario; returns the report (bugs found, schedules explored).</summary>
    public static TestReport Explore(Action scenario, uint iterations)
    {
        var configuration = Configure(iterations);
        using var engine = TestingEngine.Create(configuration, scenario);
        engine.Run();
        var report = engine.TestReport;
        TestContext.Out.WriteLine($"seed {Seed}{(Prioritized ? " pct" : "")}{(PlainMemory ? " memory" : "")}: {report.NumOfExploredFairPaths + report.NumOfExploredUnfairPaths} schedules, " +
            $"{report.NumOfFoundBugs} bug(s), scheduling steps per schedule {report.MinExploredFairSteps}-{report.MaxExploredFairSteps} " +
            $"(total {report.TotalExploredFairSteps}), {report.MaxFairStepsHitInFairTests} schedules cut at the step bound, " +
            $"{report.UncontrolledInvocations.Count} uncontrolled invocations {string.Join(", ", report.UncontrolledInvocations)}");
        return report;
    }

    /// <summary>Explores the scenario and fails with Coyote's first bug report (and the seed that reproduces it) if any schedule broke it.</summary>
    public static TestReport ExpectNoBug(Action scenario, uint iterations)
    {
        var report = Explore(scenario, iterations);
        Assert.That(report.NumOfFoundBugs, Is.Zero,
            () => $"seed {Seed} found: {string.Join(" | ", report.BugReports)}");
        Assert.That(report.NumOfExploredFairPaths + report.NumOfExploredUnfairPaths, Is.EqualTo(Iterations(iterations)), "every schedule ran");
        // A schedule cut at the step bound never reached the scenario's final checks (and spins where it should finish).
        Assert.That(report.MaxFairStepsHitInFairTests + report.MaxUnfairStepsHitInUnfairTests, Is.Zero, "schedules cut at the step bound");
        return report;
    }

    /// <summary>Explores a scenario with a planted bug: passes only if some schedule exposes it (with the check's own message).</summary>
    public static void ExpectBug(Action scenario, uint iterations, string message)
    {
        var report = Explore(scenario, iterations);
        Assert.That(report.NumOfFoundBugs, Is.GreaterThan(0), $"no schedule of {Iterations(iterations)} exposed the planted bug");
        Assert.That(report.BugReports, Has.Some.Contains(message), "the bug found is the one planted");
    }

    /// <summary>Starts the bodies on threads of their own and joins them (thread start and join are scheduling points).</summary>
    public static void RunThreads(params Action[] bodies)
    {
        var threads = new Thread[bodies.Length];
        for (int i = 0; i < bodies.Length; i++)
        {
            threads[i] = new Thread(bodies[i].Invoke) { IsBackground = true };
            threads[i].Start();
        }
        foreach (var thread in threads) thread.Join();
    }
}
