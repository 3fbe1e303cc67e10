using NUnit.Framework;
using Ledger.Engine.State;

namespace Ledger.Engine.Tests.StateMachine;

/// <summary>
/// The entry cache's index under eviction: a small cache (16 slots, a 32-slot index, so keys share index slots often)
/// takes thousands of entries, touched at random; afterwards, and all along, exactly the most recently used 16 are
/// found, each at the slot that holds its image, and every other one is not.
/// </summary>
public sealed class EntryCacheTests
{
    [Test]
    public void EvictionsShouldLeaveExactlyTheMostRecentlyUsedEntriesFindable()
    {
        var cache = new EntryCache(16);
        var random = new Random(20261208);
        var recent = new LinkedList<(long Account, string Key)>(); // most recently used first: the model
        var all = new List<(long Account, string Key)>();
        for (long command = 1; command <= 5_000; command++)
        {
            if (recent.Count > 0 && random.Next(3) == 0)
            {
                var touched = recent.ElementAt(random.Next(recent.Count));
                int slot = cache.Find(touched.Account, Key(touched.Key), Hash(touched));
                Assert.That(slot, Is.Not.EqualTo(-1), "a cached entry is found");
                cache.Touch(slot, command);
                recent.Remove(touched);
                recent.AddFirst(touched);
                continue;
            }
            var entry = (Account: (long)random.Next(1, 4), Key: $"c{command}");
            var image = new EntryImage { AccountPacked = entry.Account, LastChange = command };
            image.SetKey(Key(entry.Key));
            int inserted = cache.Insert(in image, Hash(entry), watermark: long.MaxValue, current: command);
            Assert.That(cache[inserted].KeySpan.SequenceEqual(Key(entry.Key)), Is.True);
            all.Add(entry);
            recent.AddFirst(entry);
            if (recent.Count > 16) recent.RemoveLast();
        }
        Assert.That(cache.Count, Is.EqualTo(16));
        Assert.That(cache.Overflows, Is.Zero);
        var cached = recent.ToHashSet();
        foreach (var entry in all)
        {
            int slot = cache.Find(entry.Account, Key(entry.Key), Hash(entry));
            if (cached.Contains(entry))
            {
                Assert.That(slot, Is.Not.EqualTo(-1), $"{entry} was used recently");
                Assert.That((cache[slot].AccountPacked, System.Text.Encoding.ASCII.GetString(cache[slot].KeySpan)), Is.EqualTo(entry), "found at its own slot");
            }
            else
            {
                Assert.That(slot, Is.EqualTo(-1), $"{entry} was evicted");
            }
        }
    }

    private static byte[] Key(string key) => System.Text.Encoding.ASCII.GetBytes(key);

    private static ulong Hash((long Account, string Key) entry) => EntryKeys.Hash(entry.Account, Key(entry.Key));
}
