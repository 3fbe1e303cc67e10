using Ledger.Engine;
using Ledger.Engine.Commands;
using Ledger.Journal.Recovery;
using Ledger.Journal.Snapshots;
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
        Assert.That(reopened.Recovery.SnapshotUsed, Is.Null);
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
    public void ShouldGiveTheSameHashFromSnapshotPlusTailAsFromAFullReplay()
    {
        using var dir = new TempDataDir();
        var options = StoreHarness.Options(dir.Path);
        using (var store = LedgerStore.Open(options))
        {
            var workload = new RandomWorkload(3);
            StoreHarness.Run(store, workload.Take(1_500));
            TakeSnapshot(store);
            StoreHarness.Run(store, workload.Take(1_500));
        }
        using var log = JournalLog.Open(dir.Journal, options.Journal, readOnly: true);
        var snapshots = new SnapshotStore(dir.Snapshots);
        Assert.That(snapshots.List(), Has.Count.EqualTo(1));
        var fromSnapshot = LedgerRecovery.Recover(log, snapshots, new RecoveryOptions());
        var full = LedgerRecovery.Recover(log, snapshots, new RecoveryOptions { UseSnapshots = false });
        Assert.That(fromSnapshot.Report.SnapshotUsed, Is.Not.Null);
        Assert.That(fromSnapshot.Report.RecordsReplayed, Is.LessThan(full.Report.RecordsReplayed));
        Assert.That(fromSnapshot.Report.StateHash, Is.EqualTo(full.Report.StateHash));
        Assert.That(full.Report.StateHash, Is.EqualTo(RandomWorkload.Reference(3, 3_000).ComputeStateHash()));
        Assert.That(fromSnapshot.NextRecordNumber, Is.EqualTo(full.NextRecordNumber));
    }

    [Test]
    public void ShouldStartFromTheSnapshotWhenReopened()
    {
        using var dir = new TempDataDir();
        ulong hash;
        using (var store = LedgerStore.Open(StoreHarness.Options(dir.Path)))
        {
            var workload = new RandomWorkload(4);
            StoreHarness.Run(store, workload.Take(800));
            TakeSnapshot(store);
            StoreHarness.Run(store, workload.Take(200));
            hash = store.Engine.ComputeStateHash();
        }
        using var reopened = LedgerStore.Open(StoreHarness.Options(dir.Path));
        Assert.That(reopened.Recovery.SnapshotUsed, Is.Not.Null);
        Assert.That(reopened.Recovery.StateHash, Is.EqualTo(hash));
        Assert.That(reopened.Recovery.Summary(), Does.Contain(reopened.Recovery.SnapshotUsed!.FileName));
    }

    [Test]
    public void ShouldKeepOnlyTheNewestSnapshots()
    {
        using var dir = new TempDataDir();
        using var store = LedgerStore.Open(StoreHarness.Options(dir.Path) with { SnapshotsKept = 2 });
        var workload = new RandomWorkload(6);
        for (int i = 0; i < 4; i++)
        {
            StoreHarness.Run(store, workload.Take(100));
            TakeSnapshot(store);
        }
        var files = new SnapshotStore(dir.Snapshots).List();
        Assert.That(files, Has.Count.EqualTo(2));
        Assert.That(files[0].RecordNumber, Is.EqualTo(store.Journal.CommittedRecordNumber));
    }

    [Test]
    public void ShouldSnapshotEveryNEntriesFromTheShadowWithoutBeingAsked()
    {
        using var dir = new TempDataDir();
        using var store = LedgerStore.Open(StoreHarness.Options(dir.Path) with { SnapshotEveryEntries = 300, SnapshotsKept = 10 });
        var written = new List<SnapshotInfo>();
        using var done = new ManualResetEventSlim();
        store.Snapshots.SnapshotWritten += info =>
        {
            lock (written) written.Add(info);
            if (written.Count >= 3) done.Set();
        };
        store.Snapshots.Start();
        StoreHarness.Run(store, new RandomWorkload(8).Take(2_000));
        Assert.That(done.Wait(TimeSpan.FromSeconds(60)), Is.True, "no snapshot was written within 60 s");
        store.Snapshots.Stop();
        Assert.That(store.Snapshots.Stats.LastError, Is.Null);
        foreach (var info in written)
        {
            var (loaded, engine) = SnapshotFile.Load(info.Path);
            Assert.That(loaded.StateHash, Is.EqualTo(engine.ComputeStateHash()));
            Assert.That(engine.ComputeStateHash(), Is.EqualTo(ReplayUntil(dir, info.RecordNumber)));
        }
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
            Assert.That(store.CatalogDiffers(changed), Is.False);
            Assert.That(store.CatalogDiffers(DefaultCatalog), Is.True);
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

    internal static void TakeSnapshot(LedgerStore store)
    {
        using var done = new ManualResetEventSlim();
        void OnWritten(SnapshotInfo _) => done.Set();
        store.Snapshots.SnapshotWritten += OnWritten;
        bool started = store.Snapshots.IsRunning;
        if (!started) store.Snapshots.Start();
        store.Snapshots.RequestSnapshot();
        Assert.That(done.Wait(TimeSpan.FromSeconds(60)), Is.True, "no snapshot was written within 60 s");
        store.Snapshots.SnapshotWritten -= OnWritten;
        if (!started) store.Snapshots.Stop();
    }

    private static ulong ReplayUntil(TempDataDir dir, long recordNumber)
    {
        using var log = JournalLog.Open(dir.Journal, StoreHarness.Options(dir.Path).Journal, readOnly: true);
        LedgerEngine? engine = null;
        var record = new JournalRecord();
        using var cursor = new JournalCursor(log, log.BeginAddress, 1, 0, follow: false);
        while (cursor.TryRead(record) == ReadOutcome.Record && record.RecordNumber <= recordNumber)
        {
            engine ??= new LedgerEngine(record.Command.Catalog!);
            LedgerRecovery.ApplyChecked(engine, record);
        }
        return engine!.ComputeStateHash();
    }
}
