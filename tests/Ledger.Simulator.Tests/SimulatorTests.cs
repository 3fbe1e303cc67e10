using NUnit.Framework;

namespace Ledger.Simulator.Tests;

/// <summary>
/// The bounded CI set of ledger-sim (issue 17): a fixed list of seeds, each 400 steps with crashes and storage faults,
/// every answer and every recovery audited. A failure names seed and step; `ledger-sim --seed S --steps 400` reproduces it.
/// Long runs: `dotnet run -c Release --project tests/Ledger.Simulator -- --minutes 30` (docs/reliability.md).
/// </summary>
[Category("Property")]
public sealed class SimulatorTests
{
    public const int StepsPerSeed = 400;

    /// <summary>Seeds 1..12. Seeds 2 (chained journal cuts) and 13 (an unanswered command that survives) found bugs while the simulator was written.</summary>
    public static IEnumerable<int> Seeds => Enumerable.Range(1, 12).Append(13);

    private static string WorkDir => Path.Combine(Path.GetTempPath(), "ledger-sim-tests", TestContext.CurrentContext.Test.ID);

    [TestCaseSource(nameof(Seeds))]
    public async Task ShouldAgreeWithTheModelThroughCrashesAndStorageFaults(int seed)
    {
        var result = await Simulation.RunAsync(new SimulationSettings { Seed = seed, Steps = StepsPerSeed, WorkDir = WorkDir });
        TestContext.Out.WriteLine($"seed {seed}: {result.Commands} commands, {result.Reads} account reads, {result.Recoveries} recoveries, " +
                                  $"faults {string.Join(", ", result.Faults.Select(p => $"{p.Key} {p.Value}"))}, digest {result.Digest}");
        Assert.That(result.Recoveries, Is.GreaterThan(0), "the seed crashed the ledger at least once");
    }

    [Test]
    public async Task ShouldReplayTheSameCommandsFaultsAndAnswersFromTheSameSeed()
    {
        var first = await Simulation.RunAsync(new SimulationSettings { Seed = 3, Steps = 200, WorkDir = WorkDir });
        var second = await Simulation.RunAsync(new SimulationSettings { Seed = 3, Steps = 200, WorkDir = WorkDir });
        Assert.That(second.Digest, Is.EqualTo(first.Digest), "every answer, in order");
        Assert.That(second.Faults, Is.EquivalentTo(first.Faults));
        Assert.That(second.Commands, Is.EqualTo(first.Commands));
    }

    [Test]
    public async Task ShouldCoverEveryFaultKindAcrossTheCiSeeds()
    {
        // Guards the fault generator: a simulator that never tears a record proves nothing about tearing. Two seeds at a
        // fault rate four times the CI set's make every one of the 18 kinds (checked once: seed 11 makes all 18, seed 16
        // all but SlowFailingCommit; the same faults on every run, as a seed's faults do not depend on the stores' timing).
        var seen = new HashSet<FaultKind>();
        foreach (int seed in new[] { 11, 16 })
        {
            var result = await Simulation.RunAsync(new SimulationSettings { Seed = seed, Steps = 300, CrashRate = 0.12, WorkDir = WorkDir });
            seen.UnionWith(result.Faults.Keys);
        }
        Assert.That(seen, Is.EquivalentTo(Enum.GetValues<FaultKind>()));
    }

    [Test]
    public async Task ShouldReportSeedAndStepWhenAnAcknowledgedCommandIsLost()
    {
        // The auditor can fail: treat a command whose record a crash tore as answered (what acknowledging before the
        // commit would look like), and it must report the loss with its seed and step.
        var error = await Assert.ThrowsAsync<SimulationFailedException>(() =>
            Simulation.RunAsync(new SimulationSettings { Seed = 1, Steps = StepsPerSeed, WorkDir = WorkDir, PlantAcknowledgedLoss = true }));
        TestContext.Out.WriteLine(error!.Message);
        Assert.That(error.Message, Does.StartWith("seed 1 step "));
    }

    [Test]
    public async Task ShouldAgreeWithTheModelWithoutFaults()
    {
        var result = await Simulation.RunAsync(new SimulationSettings { Seed = 99, Steps = 1_000, Faults = false, WorkDir = WorkDir });
        Assert.That(result.Recoveries, Is.Zero);
        Assert.That(result.Reads, Is.GreaterThan(50));
    }
}
