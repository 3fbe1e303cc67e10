using System.Text;
using System.Text.Json;

namespace Ledger.Bench.Tests;

/// <summary>The generator's own pieces: bodies are the API's JSON with unique correlation ids, the mix and the distributions.</summary>
public class WorkloadTests
{
    [TestCase(OpKind.Deposit, "ledger", 100)]
    [TestCase(OpKind.Debit, "ledger", 998)]
    [TestCase(OpKind.Hold, "blocking", 998)]
    public void TemplatedBatchesShouldBeValidJsonWithOneIdPerEntry(OpKind kind, string entryKind, int code)
    {
        var bodies = new Bodies("run1", new BenchOptions { BatchSize = 3 });
        var p = new PlannedRequest(kind, 4, -1, 1234567, 0, 0, kind, 3, false);
        var buffer = new byte[bodies.SizeMax(p)];

        using var json = JsonDocument.Parse(buffer.AsMemory(0, bodies.Write(p, buffer)));

        var entries = json.RootElement.GetProperty("entries").EnumerateArray().ToList();
        Assert.That(entries.Select(e => e.GetProperty("correlationId").GetString()), Is.EqualTo(new[] { "run1-0001234567-000", "run1-0001234567-001", "run1-0001234567-002" }));
        Assert.That(entries.Select(e => e.GetProperty("entryKind").GetString()), Is.All.EqualTo(entryKind));
        Assert.That(entries.Select(e => e.GetProperty("entryType").GetInt32()), Is.All.EqualTo(code));
        Assert.That(bodies.PathOf(p), Is.EqualTo("/v1/accounts/1/5/batches"));
    }

    [Test]
    public void FollowUpsShouldReferenceTheEntryTheyFollow()
    {
        var bodies = new Bodies("run1", new BenchOptions());
        var release = new PlannedRequest(OpKind.Release, 0, -1, 9, 7, 2, OpKind.Hold, 1, false);
        var buffer = new byte[bodies.SizeMax(release)];

        string text = Encoding.ASCII.GetString(buffer, 0, bodies.Write(release, buffer));

        Assert.That(text, Is.EqualTo("{\"entries\":[{\"entryKind\":\"unblocking\",\"correlationId\":\"run1-0000000009-000\",\"unblocks\":\"run1-0000000007-002\"}]}"));
    }

    [Test]
    public void BundlesShouldMoveTheSameAmountOutOfOneAccountAndIntoAnother()
    {
        var bodies = new Bodies("run1", new BenchOptions());
        var bundle = new PlannedRequest(OpKind.Bundle, 0, 1, 5, 0, 0, OpKind.Bundle, 2, false);
        var buffer = new byte[bodies.SizeMax(bundle)];

        using var json = JsonDocument.Parse(buffer.AsMemory(0, bodies.Write(bundle, buffer)));

        var legs = json.RootElement.GetProperty("legs").EnumerateArray().ToList();
        Assert.That(legs.Select(l => l.GetProperty("account").GetInt64()), Is.EqualTo(new long[] { 1, 2 }));
        Assert.That(legs.Select(l => l.GetProperty("entries")[0].GetProperty("entryType").GetInt32()), Is.EqualTo(new[] { 200, 201 }));
    }

    [Test]
    public void TheMixShouldPickByWeight()
    {
        var mix = WorkloadMix.Parse("deposit=3,balance=1");

        Assert.That(mix.Pick(0.0), Is.EqualTo(OpKind.Deposit));
        Assert.That(mix.Pick(0.74), Is.EqualTo(OpKind.Deposit));
        Assert.That(mix.Pick(0.76), Is.EqualTo(OpKind.Balance));
        Assert.That(mix.MovesMoneyOut, Is.False);
    }

    [Test]
    public void ZipfShouldFavourTheFirstAccounts()
    {
        var options = new BenchOptions { Accounts = 1000, Distribution = AccountDistribution.Zipf };
        var picker = new AccountPicker(options, AccountPicker.BuildZipfCdf(options));
        var random = new Random(1);

        var picks = Enumerable.Range(0, 10_000).Select(_ => picker.Next(random)).ToList();

        Assert.That(picks, Is.All.InRange(0, 999));
        Assert.That(picks.Count(p => p < 10), Is.GreaterThan(picks.Count(p => p >= 990) * 10));
    }

    [Test]
    public void TheKneeShouldBeTheHighestStepThatKeptUp()
    {
        StepResult Step(double offered, double accepted, double p99) => new() { OfferedRps = offered, AcceptedRps = accepted, Latency = new LatencySummary { P99Ms = p99 } };

        var knee = BenchRunner.FindKnee([Step(100, 100, 80), Step(200, 199, 3), Step(400, 300, 50), Step(800, 310, 900)], p99MsMax: 50);

        Assert.That(knee!.OfferedRps, Is.EqualTo(200), "a warm-up outlier in the first step does not hide the knee");
    }
}
