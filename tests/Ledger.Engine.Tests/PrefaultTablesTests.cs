using Ledger.Engine.Commands;
using NUnit.Framework;
using static Ledger.Testing.Commands;

namespace Ledger.Engine.Tests;

/// <summary>EngineSettings.PrefaultTables only maps the cache's memory early: an engine with it decides exactly as one without.</summary>
public class PrefaultTablesTests
{
    [TestCase(16, TestName = "ShouldDecideAsWithoutPrefault_WhenTheTablesGrowPastTheirSize")]
    [TestCase(4096, TestName = "ShouldDecideAsWithoutPrefault_WhenTheTablesAreLargeEnough")]
    public void ShouldDecideAsWithoutPrefault(int entryCapacity)
    {
        var plain = NewEngine(new EngineSettings { AccountCapacity = 1_024, EntryCacheEntries = entryCapacity });
        var prefaulted = NewEngine(new EngineSettings { AccountCapacity = 1_024, EntryCacheEntries = entryCapacity, PrefaultTables = true });

        foreach (var (first, second) in Script().Zip(Script()))
        {
            first.ApplyTo(plain);
            second.ApplyTo(prefaulted);
            Assert.That(second.Result, Is.EqualTo(first.Result));
            Assert.That(second.EntryResults.AsSpan(0, second.EntryCount).ToArray(), Is.EqualTo(first.EntryResults.AsSpan(0, first.EntryCount).ToArray()));
        }
        Assert.That(prefaulted.LastSequence, Is.EqualTo(plain.LastSequence));
        Assert.That(prefaulted.ComputeStateHash(), Is.EqualTo(plain.ComputeStateHash()));
        // The cache itself: a prefault that left a phantom entry would show here, not in the hash.
        Assert.That(prefaulted.Cache.Count, Is.EqualTo(plain.Cache.Count));
    }

    private static IEnumerable<LedgerCommand> Script()
    {
        var a = Account(1);
        var b = Account(2);
        yield return Open(a);
        yield return Open(b);
        for (int i = 0; i < 40; i++) yield return Post(Posting(a, $"d{i}", 100, 1_000 + i), Posting(a, $"f{i}", 700, 10));
        yield return Post(Hold(b, "h1", 998, 500));
        yield return Post(Posting(b, "d1", 100, 2_000));
        yield return Post(Hold(b, "h2", 998, 500));
        yield return Post(Unblock(b, "u1", "h2", 200));
        yield return Post(Reverse(a, "r1", "f3"));
        yield return Post(Posting(a, "d7", 100, 1_007)); // replay
        yield return Post(Posting(a, "d8", 100, 1));     // conflict
    }
}
