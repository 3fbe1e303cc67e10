using Ledger.Engine;
using Ledger.Engine.Commands;
using Ledger.Engine.Hosting;
using Ledger.Journal.Entries;
using Ledger.Journal.Recovery;
using Ledger.Testing;
using NUnit.Framework;
using static Ledger.Testing.Commands;

namespace Ledger.Journal.Tests;

public class RoundTripTests
{
    [TestCase(1, 3_000)]
    [TestCase(2, 1_500)]
    public void ShouldRecoverTheStateHashOfAReferenceEngineFromTheJournal(int seed, int count)
    {
        using var dir = new TempDataDir();
        var reference = RandomWorkload.Reference(seed, count);
        ulong live;
        using (var store = LedgerStore.Open(StoreHarness.Options(dir.Path)))
        {
            Assert.That(store.Recovery.JournalCreated, Is.True);
            StoreHarness.Run(store, new RandomWorkload(seed).Take(count));
            live = store.Engine.ComputeStateHash();
        }
        Assert.That(live, Is.EqualTo(reference.ComputeStateHash()));

        using var reopened = LedgerStore.Open(StoreHarness.Options(dir.Path));
        Assert.That(reopened.Recovery.StateHash, Is.EqualTo(live));
        Assert.That(reopened.Engine.ComputeStateHash(), Is.EqualTo(live));
        Assert.That(reopened.Recovery.Damage, Is.Null);
        Assert.That(reopened.Recovery.StoreCheckpoint, Is.Not.Null, "a clean stop leaves the store's checkpoint at the journal's end");
        Assert.That(reopened.Recovery.RecordsReplayed, Is.Zero);
        Assert.That(reopened.Engine.LastSequence, Is.EqualTo(reference.LastSequence));
    }

    [Test]
    public void ShouldNumberRecordsContiguouslyAndJournalOnlyWhatChangedState()
    {
        using var dir = new TempDataDir();
        int changed = 0;
        var engine = NewEngine();
        foreach (var c in new RandomWorkload(5).Take(1_000)) changed += c.ApplyTo(engine).ChangedState ? 1 : 0;
        using (var store = LedgerStore.Open(StoreHarness.Options(dir.Path))) StoreHarness.Run(store, new RandomWorkload(5).Take(1_000));

        using var log = JournalLog.Open(dir.Journal, StoreHarness.Options(dir.Path).Journal, readOnly: true);
        long expected = 1;
        var kinds = new List<CommandKind>();
        JournalReader.ReadAll(log, r =>
        {
            Assert.That(r.RecordNumber, Is.EqualTo(expected++));
            kinds.Add(r.Kind);
        });
        Assert.That(kinds[0], Is.EqualTo(CommandKind.LoadCatalog), "every journal starts with its catalog");
        Assert.That(kinds.Count - 1, Is.EqualTo(changed));
    }

    [Test]
    public void ShouldGiveTheSameHashFromTheStoresCheckpointPlusTailAsFromAFullReplay()
    {
        using var dir = new TempDataDir();
        using var older = new TempDataDir();
        var options = StoreHarness.Options(dir.Path);
        var workload = new RandomWorkload(3);
        using (var store = LedgerStore.Open(options)) StoreHarness.Run(store, workload.Take(1_500));
        JournalFiles.CopyDirectory(dir.Store, older.Store); // the store as it stood after 1 500 commands
        using (var store = LedgerStore.Open(options)) StoreHarness.Run(store, workload.Take(1_500));

        using var log = JournalLog.Open(dir.Journal, options.Journal, readOnly: true);
        using var olderStore = EntryStore.Open(older.Store, options.EntryStore, readOnly: true);
        var fromCheckpoint = LedgerRecovery.Recover(log, olderStore, new RecoverySettings { EngineSettings = options.Engine });
        var full = LedgerRecovery.Recover(log, null, new RecoverySettings());
        Assert.That(fromCheckpoint.Report.StoreCheckpoint, Is.Not.Null);
        Assert.That(fromCheckpoint.Report.RecordsReplayed, Is.GreaterThan(0).And.LessThan(full.Report.RecordsReplayed));
        Assert.That(fromCheckpoint.Report.StoreCheckpoint!.RecordNumber + fromCheckpoint.Report.RecordsReplayed, Is.EqualTo(full.Report.RecordsReplayed));
        Assert.That(fromCheckpoint.Report.StateHash, Is.EqualTo(full.Report.StateHash));
        Assert.That(full.Report.StateHash, Is.EqualTo(RandomWorkload.Reference(3, 3_000).ComputeStateHash()));
        Assert.That(fromCheckpoint.NextRecordNumber, Is.EqualTo(full.NextRecordNumber));

        // Where each replay's time went: a read-only store is looked up but never written; no store, neither.
        var phases = fromCheckpoint.Report.Phases;
        Assert.That(new[] { phases.Read, phases.Lookups, phases.Apply }, Is.All.GreaterThan(0));
        Assert.That(new[] { phases.Write, phases.Checkpoint, full.Report.Phases.Lookups, full.Report.Phases.Write }, Is.All.EqualTo(0));
        Assert.That(fromCheckpoint.Report.Summary(), Does.Contain("store lookups"));
    }

    [Test]
    public void ShouldStartFromTheStoresCheckpointWhenReopenedAndSayWhereItStarted()
    {
        using var dir = new TempDataDir();
        ulong hash;
        long records;
        using (var store = LedgerStore.Open(StoreHarness.Options(dir.Path)))
        {
            StoreHarness.Run(store, new RandomWorkload(4).Take(1_000));
            hash = store.Engine.ComputeStateHash();
            records = store.Journal.CommittedRecordNumber;
        }
        using var reopened = LedgerStore.Open(StoreHarness.Options(dir.Path));
        Assert.That(reopened.Recovery.StoreCheckpoint!.RecordNumber, Is.EqualTo(records));
        Assert.That(reopened.Recovery.RecordsReplayed, Is.Zero);
        Assert.That(reopened.Recovery.StateHash, Is.EqualTo(hash));
        Assert.That(reopened.Recovery.Summary(), Does.Contain($"entry store checkpoint at record {records}").And.Contain("0 journal records replayed"));
    }

    [Test]
    public void ShouldKeepEveryEntryInTheStoreWhileTheCacheHoldsFew()
    {
        using var dir = new TempDataDir();
        using var store = LedgerStore.Open(StoreHarness.Options(dir.Path));
        var commands = new RandomWorkload(6).Take(2_000).ToList();
        StoreHarness.Run(store, commands);
        Assert.That(store.Engine.Cache.Evictions, Is.GreaterThan(0), "the small cache evicted entries");
        Assert.That(store.Engine.Cache.Loads, Is.GreaterThan(0), "old entries were read back from the store");
        // Every entry the ledger remembered is in the store, as the engine decided it.
        int found = 0;
        Span<byte> key = stackalloc byte[Engine.State.EntryKeys.LengthMax];
        foreach (var c in commands.Where(c => c.Kind == CommandKind.PostEntries && !c.Result.Replayed && (c.Result.IsOk || c.Result.Code.IsLedgerDecline())))
        {
            for (int i = 0; i < c.EntryCount; i++)
            {
                var e = c.Entries[i];
                int length = Engine.State.EntryKeys.Normalize(e.CorrelationId, key);
                Assert.That(store.Entries.TryGet(e.Account.Packed, key[..length], out var image), Is.True, $"{e.Account}/{e.CorrelationId} is in the store");
                Assert.That(image.Decline, Is.EqualTo(c.Result.Code));
                Assert.That(image.Sequence, Is.EqualTo(c.Result.IsOk ? c.EntryResults[i].Sequence : 0));
                found++;
            }
        }
        Assert.That(found, Is.GreaterThan(1_000));
    }

    [Test]
    public async Task ShouldWriteEachAccountABatchChangedOnceWithItsLastImage()
    {
        using var dir = new TempDataDir();
        var workload = new RandomWorkload(7, accounts: 4); // four accounts: the commands of a batch change the same ones
        var options = StoreHarness.Options(dir.Path);
        ulong hash;
        using (var store = LedgerStore.Open(options))
        {
            // The store stage is held at its first batch's end until every command is journaled (answers come after the
            // journal), so the commands after that first batch reach the store in batches of many.
            using var gate = new ManualResetEventSlim();
            var writer = new HeldStoreWriter(store.StoreWriter, gate);
            using (var host = new EngineHost(store.Engine, store.Journal, [], StoreHarness.HostSettings, store.Prefetcher, writer))
            {
                host.Start();
                var acknowledged = workload.Take(600).Select(c => host.SubmitAsync(c).AsTask()).ToList(); // fewer than the ring holds
                await Task.WhenAll(acknowledged);
                gate.Set();
                host.Stop();
            }
            Assert.That(writer.LargestBatch, Is.GreaterThan(100), "the store took the held commands in batches of many");
            Assert.That(store.StoreWriter.AccountsWritten, Is.GreaterThan(0).And.LessThan(store.StoreWriter.AccountChanges / 10),
                "an account changed by many commands of a batch is written once");
            for (int i = 0; i < 4; i++)
            {
                var key = workload.AccountAt(i);
                Assert.That(store.Engine.TryGetAccount(key, out var live), Is.True);
                Assert.That(store.Entries.TryGetAccount(key, out var stored), Is.True);
                Assert.That((stored.AvailableMinor, stored.HeldMinor, stored.OverdraftLimitMinor), Is.EqualTo((live.AvailableMinor, live.HeldMinor, live.OverdraftLimitMinor)),
                    $"the store holds {key}'s last image");
                Assert.That(stored, Is.EqualTo(live));
            }
            hash = store.Engine.ComputeStateHash();
        }
        using var reopened = LedgerStore.Open(options);
        Assert.That(reopened.Recovery.RecordsReplayed, Is.Zero, "started from the store alone");
        Assert.That(reopened.Engine.ComputeStateHash(), Is.EqualTo(hash), "the accounts as the store holds them are the ledger's");
    }

    [Test]
    public void ShouldCheckpointOnItsOwnSoARestartReplaysLittle()
    {
        using var dir = new TempDataDir();
        var options = StoreHarness.Options(dir.Path) with { EntryStore = StoreHarness.Options(dir.Path).EntryStore with { CheckpointEvery = TimeSpan.FromMilliseconds(50) } };
        using var store = LedgerStore.Open(options);
        store.Checkpoints.Start();
        StoreHarness.Run(store, new RandomWorkload(8).Take(1_000));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (store.Entries.DurableWatermark < store.Journal.CommittedRecordNumber && DateTime.UtcNow < deadline) Thread.Sleep(20);
        Assert.That(store.Entries.DurableWatermark, Is.EqualTo(store.Journal.CommittedRecordNumber), "the checkpointer caught up within 30 s");
        Assert.That(store.Checkpoints.LastError, Is.Null);
        Assert.That(store.Entries.Stats.Checkpoints, Is.GreaterThan(0));
    }

    [Test]
    public void ShouldJournalAChangedCatalogOnceAtStart()
    {
        using var dir = new TempDataDir();
        using (var store = LedgerStore.Open(StoreHarness.Options(dir.Path))) StoreHarness.Run(store, new RandomWorkload(9).Take(50));
        var changed = Engine.Catalog.HistoryCatalog.Create(
            [.. DefaultCatalog.Definitions, new Engine.Catalog.HistoryCodeDefinition(300, "Interest", Engine.Domain.Direction.Credit, "deposits", [Engine.Domain.EntryKind.Ledger], false, [])]);
        using (var store = LedgerStore.Open(StoreHarness.Options(dir.Path) with { Catalog = changed }))
        {
            Assert.That(store.Recovery.CatalogChanged, Is.True);
            Assert.That(store.Entries.Catalog!.Find(300), Is.Not.Null, "the store's checkpoint keeps the catalog in force");
        }
        using (var store = LedgerStore.Open(StoreHarness.Options(dir.Path) with { Catalog = changed }))
        {
            Assert.That(store.Recovery.CatalogChanged, Is.False);
            Assert.That(store.Engine.Catalog.Find(300), Is.Not.Null);
        }
    }

    [Test]
    public void ShouldRefuseASecondProcessOnTheSameDataDirectory()
    {
        using var dir = new TempDataDir();
        using var store = LedgerStore.Open(StoreHarness.Options(dir.Path));
        var ex = Assert.Throws<IOException>(() => LedgerStore.Open(StoreHarness.Options(dir.Path)));
        Assert.That(ex!.Message, Does.Contain("in use by another ledger process"));
    }

    [Test]
    public void ShouldReplayCommittedEventsForAReadModel()
    {
        using var dir = new TempDataDir();
        using var store = LedgerStore.Open(StoreHarness.Options(dir.Path));
        var commands = new RandomWorkload(10).Take(500).ToList();
        StoreHarness.Run(store, commands);
        var expected = commands.Where(c => c.ChangedState).SelectMany(c => c.EventSpan.ToArray()).ToList();
        var replayed = new List<Engine.Events.LedgerEvent>();
        long n = store.ReplayCommitted(r => replayed.AddRange(r.EventSpan.ToArray()));
        Assert.That(n, Is.EqualTo(store.Journal.CommittedRecordNumber));
        Assert.That(replayed, Is.EqualTo(expected));
    }
}
