using Ledger.Engine.Commands;
using Ledger.Journal.Entries;
using Ledger.Testing;
using NUnit.Framework;
using static Ledger.Testing.Commands;

namespace Ledger.Journal.Tests;

/// <summary>The key filter in front of the entry store: never says "absent" of a key the store holds, however it came back.</summary>
public class KeyFilterTests
{
    [Test]
    public void ShouldNeverReportAbsentAKeyItWasGivenAndRarelyReportPresentOneItWasNot()
    {
        var filter = new KeyFilter(1 << 20); // 8 Mbit
        var random = new Random(5);
        var keys = Enumerable.Range(0, 200_000).Select(_ => (ulong)random.NextInt64()).ToArray(); // 42 bits a key
        foreach (var k in keys) filter.Add(k);
        Assert.That(keys.All(filter.MayContain), Is.True, "no false negative");
        int falsePositives = Enumerable.Range(0, 200_000).Count(_ => filter.MayContain((ulong)random.NextInt64()));
        TestContext.Out.WriteLine($"false positives at 42 bits a key: {falsePositives / 2_000.0:0.000} %");
        Assert.That(falsePositives, Is.LessThan(200), "under 0.1 % at 42 bits a key");
    }

    [Test]
    public void ShouldComeBackFromItsFileAsSavedAndRefuseADamagedOne()
    {
        string dir = Directory.CreateTempSubdirectory("ledger-key-filter-").FullName;
        try
        {
            string path = Path.Combine(dir, KeyFilter.FileName);
            var filter = new KeyFilter(64 << 10);
            for (ulong k = 1; k < 5_000; k++) filter.Add(k * 0x9E3779B97F4A7C15UL);
            filter.Save(path, covered: 42, nextAddress: 4_242);
            var loaded = KeyFilter.Load(path, out long next);
            Assert.That(loaded, Is.Not.Null);
            Assert.That(loaded!.Covered, Is.EqualTo(42));
            Assert.That(next, Is.EqualTo(4_242));
            for (ulong k = 1; k < 5_000; k++) Assert.That(loaded.MayContain(k * 0x9E3779B97F4A7C15UL), Is.True);

            JournalFiles.FlipByte(path, 48 + 1_000);
            Assert.That(KeyFilter.Load(path, out _), Is.Null, "a flipped bit fails the checksum: the filter is refilled, never trusted");
            JournalFiles.Truncate(path, 100);
            Assert.That(KeyFilter.Load(path, out _), Is.Null, "a torn file is refused");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void ShouldSaveALoadableFilterWhileTheWriterKeepsAddingKeys()
    {
        // The store's writer thread adds keys while a checkpoint saves the filter: the file must still load (a checksum
        // over bits that changed between checksum and write would refill it from the whole store at every start).
        string dir = Directory.CreateTempSubdirectory("ledger-key-filter-").FullName;
        try
        {
            string path = Path.Combine(dir, KeyFilter.FileName);
            var filter = new KeyFilter(16 << 20);
            for (ulong k = 1; k < 10_000; k++) filter.Add(k * 0x9E3779B97F4A7C15UL);
            using var stop = new CancellationTokenSource();
            var writer = Task.Run(() =>
            {
                var random = new Random(7);
                while (!stop.IsCancellationRequested) filter.Add((ulong)random.NextInt64());
            });
            for (int i = 0; i < 5; i++)
            {
                filter.Save(path, covered: 10 + i, nextAddress: 100 + i);
                var loaded = KeyFilter.Load(path, out _);
                Assert.That(loaded, Is.Not.Null, $"save {i} under concurrent adds loads back");
                Assert.That(loaded!.Covered, Is.EqualTo(10 + i));
                for (ulong k = 1; k < 10_000; k++) Assert.That(loaded.MayContain(k * 0x9E3779B97F4A7C15UL), Is.True);
            }
            stop.Cancel();
            writer.Wait();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestCase(true, TestName = "ShouldRefillALostKeyFilterFromTheStoreAndStillAnswerOldIdsFromMemory")]
    [TestCase(false, TestName = "ShouldRefillADamagedKeyFilterFromTheStoreAndStillAnswerOldIdsFromMemory")]
    public void ShouldRefillTheKeyFilterFromTheStore(bool lost)
    {
        using var dir = new TempDataDir();
        var first = Post(Posting(Account(999_000), "old-1", 100, 500));
        using (var store = LedgerStore.Open(StoreHarness.Options(dir.Path)))
        {
            StoreHarness.Run(store, [Open(Account(999_000)), first]);
            StoreHarness.Run(store, new RandomWorkload(12).Take(500));
        }
        string path = Path.Combine(dir.Store, KeyFilter.FileName);
        if (lost) File.Delete(path);
        else JournalFiles.FlipByte(path, new FileInfo(path).Length - 3);
        using var reopened = LedgerStore.Open(StoreHarness.Options(dir.Path));
        TestContext.Out.WriteLine($"refilled with {reopened.Entries.FilterRebuiltKeys} keys");
        Assert.That(reopened.Entries.FilterRebuiltKeys, Is.GreaterThan(100), "refilled from every key of the store");
        Assert.That(reopened.Entries.FilterComplete, Is.True);
        var again = Post(Posting(Account(999_000), "old-1", 100, 500));
        StoreHarness.Run(reopened, [again]);
        Assert.That(again.Result.Replayed, Is.True, "an id from long ago is still known: the filter never hides a stored key");
        Assert.That(again.EntryResults[0].Sequence, Is.EqualTo(first.EntryResults[0].Sequence));
    }

    [Test]
    public void ShouldTopUpTheKeyFilterFromTheJournalAfterItsLastSave()
    {
        using var dir = new TempDataDir();
        string path = Path.Combine(dir.Store, KeyFilter.FileName);
        string saved = Path.Combine(dir.Path, "filter-at-first-save");
        LedgerCommand late;
        using (var store = LedgerStore.Open(StoreHarness.Options(dir.Path)))
        {
            StoreHarness.Run(store, [Open(Account(1000)), Post(Posting(Account(1000), "early", 100, 1))]);
            store.Entries.Checkpoint();
            File.Copy(path, saved); // the filter as it stood at this checkpoint
            late = Post(Posting(Account(1000), "late", 100, 2));
            StoreHarness.Run(store, [late]);
        }
        File.Copy(saved, path, overwrite: true); // the store's checkpoint is past the filter's save (as after a crash between checkpoints)
        using var reopened = LedgerStore.Open(StoreHarness.Options(dir.Path));
        Assert.That(reopened.Entries.FilterRebuiltKeys, Is.Zero, "topped up from the journal, not refilled from the store");
        Assert.That(reopened.FilterTopUp, Is.Not.Null, "the filter's file lagged the store's checkpoint: topped up in the background");
        Assert.That(reopened.FilterTopUp!.Completion.Wait(TimeSpan.FromMinutes(2)), Is.True, "the top-up ends");
        Assert.That(reopened.Entries.FilterComplete, Is.True);
        var again = Post(Posting(Account(1000), "late", 100, 2));
        StoreHarness.Run(reopened, [again]);
        Assert.That(again.Result.Replayed, Is.True, "the key journaled after the filter's save is in the filter");
        Assert.That(again.EntryResults[0].Sequence, Is.EqualTo(late.EntryResults[0].Sequence));
    }
}
