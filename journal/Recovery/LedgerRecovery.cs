using System.Diagnostics;
using Ledger.Engine;
using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Journal.Entries;
using Ledger.Journal.Recovery;
using Microsoft.Extensions.Logging;

namespace Ledger.Journal.Recovery;

/// <summary>
/// The one recovery path, used by the service (<see cref="LedgerStore.Open"/>), <c>rebuild-store</c> and the
/// replay-tool: the live state at the entry store's checkpoint (accounts, open holds; O(live state)), then the journal after
/// it, each command prefetched from the store, re-applied through the same <see cref="LedgerEngine"/>, checked against
/// what the journal recorded, and (a writable store) written to the store; a damaged tail is detected, reported and
/// (read-write only) cut. A key filter whose file lags the store's checkpoint is topped up from the journal first
/// (<see cref="FilterTopUp.Run"/>), or, with <see cref="RecoverySettings.FilterTopUpLater"/> (the service), left to the
/// caller to run in the background (<see cref="RecoveryResult.FilterTopUpUntil"/>). Without a store checkpoint (a new or
/// rebuilt store, or no store) it replays the whole journal.
/// Usage: <c>var result = LedgerRecovery.Recover(log, store, new RecoverySettings { CutDamage = true });</c>
/// </summary>
public static class LedgerRecovery
{
    private const int ProgressEvery = 1 << 14;
    /// <summary>Records prefetched and applied together (one batched store read).</summary>
    private const int RecordsPerBatch = 64;
    /// <summary>Changes written to the store per write (bounds the entries the cache holds above the store's watermark).</summary>
    private const int ChangesPerWrite = 65_536;

    /// <summary>
    /// Why <paramref name="store"/>'s checkpoint cannot be used with <paramref name="log"/>, or null when it can: the record it
    /// names must be in this journal, at its address, with its checksum, outside any cut region. A store that covers
    /// more than the journal is committed to is not a store to set aside: it proves acknowledged records existed that
    /// the journal has lost, so that throws (restore the journal, or move the store away to accept the loss).
    /// </summary>
    public static string? CheckStore(JournalLog log, EntryStore store)
    {
        var checkpoint = store.LastCheckpoint;
        if (checkpoint is null) return null;
        if (checkpoint.NextAddress > log.CommittedUntilAddress)
        {
            throw new JournalFormatException(
                $"The journal in '{log.Directory}' is committed only up to address {log.CommittedUntilAddress}, but the entry store in '{store.Directory}' covers " +
                $"records up to {checkpoint.RecordNumber} (address {checkpoint.NextAddress}): committed journal records are missing. Restore the journal from a copy " +
                "(the standby's), or move the store away to accept the loss, before starting.");
        }
        foreach (var journalCut in log.Cuts.All)
        {
            if (checkpoint.NextAddress > journalCut.CutAddress && checkpoint.RecordAddress < journalCut.ResumeAddress)
                return $"the entry store covers record {checkpoint.RecordNumber}, which the journal's {journalCut} discarded";
        }
        if (checkpoint.RecordAddress < log.StartAddress) return null; // archived: the record itself is gone, the checkpoint address still continues the journal
        using var probe = new JournalCursor(log, checkpoint.RecordAddress, checkpoint.RecordNumber, 0, follow: false);
        var record = new JournalRecord();
        var outcome = probe.TryRead(record);
        if (outcome != ReadOutcome.Record || record.Checksum != checkpoint.RecordChecksum || record.NextAddress != checkpoint.NextAddress)
            return $"the entry store's checkpoint names record {checkpoint.RecordNumber} at address {checkpoint.RecordAddress} (checksum {checkpoint.RecordChecksum:x8}), which is not in this journal";
        return null;
    }

    public static RecoveryResult Recover(JournalLog log, EntryStore? store, RecoverySettings options)
    {
        var clock = Stopwatch.StartNew();
        var checkpoint = store?.LastCheckpoint;
        CheckStart(log, store, checkpoint, options);
        bool filterLags = store is { FilterComplete: false } && checkpoint is not null;
        bool later = filterLags && options.FilterTopUpLater && !TopUpFirstPays(log, store!, checkpoint!);
        long firstTicks = filterLags && !later ? FilterTopUp.Run(log, store!, checkpoint!, options.Logger) : 0;
        var result = ReplayJournal(log, store, checkpoint, options, clock, firstTicks);
        if (later) result.FilterTopUpUntil = checkpoint;
        return result;
    }

    /// <summary>
    /// A lagging key filter is topped up before the replay when its gap in the journal is at most this many times the
    /// replay's. Until it is complete every lookup of the replay asks RocksDB, whose filter partitions are cold after a
    /// start. Measured on one crashed data directory restarted again and again (docs/perf.md, "Where a restart's replay
    /// goes"): the replay's lookups took 1–2.5 ms a record that way and under 0.3 ms with a complete filter, while the
    /// top-up before the replay (beside the read store's catch-up) read about 5 000 records a second: it pays up to a gap
    /// of about 12 times the replay. At 6 it costs at most about half of what it spares; past it, it runs after ready.
    /// </summary>
    public const int TopUpFirstRatio = 6;

    /// <summary>Whether topping the filter up before the replay costs less than the replay's lookups it spares (<see cref="TopUpFirstRatio"/>).</summary>
    private static bool TopUpFirstPays(JournalLog log, EntryStore store, StoreCheckpoint checkpoint)
    {
        if (store.FilterNextAddress < log.StartAddress) return false; // its gap is archived: the fallback refills from the store, O(history)
        long gap = checkpoint.NextAddress - store.FilterNextAddress;
        long replay = log.CommittedUntilAddress - checkpoint.NextAddress;
        return gap <= TopUpFirstRatio * replay;
    }

    private static RecoveryResult ReplayJournal(JournalLog log, EntryStore? store, StoreCheckpoint? checkpoint, RecoverySettings options, Stopwatch clock, long filterTopUpTicks)
    {
        var prefetcher = store?.Prefetcher();
        var writer = store is { ReadOnly: false } ? store.Writer() : null;
        long firstNumber = checkpoint is null ? log.Archive.FirstRecordNumber : checkpoint.RecordNumber + 1;
        long startAddress = checkpoint?.NextAddress ?? log.StartAddress;
        var cursor = new JournalCursor(log, startAddress, firstNumber, checkpoint?.LastSequence ?? log.Archive.LastSequenceBefore, follow: false);
        try
        {
            var engine = checkpoint is null ? null : LedgerEngine.Restore(store!.LoadState()!, options.EngineSettings);
            long total = Math.Max(0, log.CommittedUntilAddress - startAddress);
            var replay = new Replay(log, cursor, prefetcher, writer, options, startAddress, total) { Engine = engine };
            replay.Phases.FilterTopUp = filterTopUpTicks;
            var crossing = replay.Run();
            engine = replay.Engine ?? new LedgerEngine(options.InitialCatalog ??
                throw new JournalFormatException($"The journal in '{log.Directory}' has no readable record and no catalog was given to start a new ledger."), options.EngineSettings);
            if (writer is not null && replay.Replayed > 0)
            {
                long t = Stopwatch.GetTimestamp();
                // What was replayed need not be replayed again. The filter's file is rewritten only after a top-up from the
                // journal (its log has that gap); otherwise its log covers the replay until the checkpointer's next save.
                store!.Checkpoint(saveFilter: filterTopUpTicks > 0);
                replay.Phases.Checkpoint = Stopwatch.GetTimestamp() - t;
            }
            if (crossing is not null) return Finish(engine, checkpoint, replay, crossing.RecordNumber - 1, null, null, true, crossing.Address, clock);
            options.OnProgress?.Invoke(new RecoveryProgress(replay.Replayed, total, total));

            var journalCut = CutDamage(log, cursor, options, out long nextAddress);
            return Finish(engine, checkpoint, replay, cursor.ExpectedRecordNumber - 1, cursor.Damage, journalCut, false, nextAddress, clock);
        }
        finally
        {
            cursor.Dispose();
            prefetcher?.Dispose();
            writer?.Dispose();
        }
    }

    /// <summary>Refuses a start the journal and the store cannot give: an unusable store, a checkpoint past the bound, archived segments without a checkpoint.</summary>
    private static void CheckStart(JournalLog log, EntryStore? store, StoreCheckpoint? checkpoint, RecoverySettings options)
    {
        if (store is not null && CheckStore(log, store) is { } unusable)
            throw new StoreFormatException(unusable); // the service sets such a store aside before it gets here; tools refuse
        if (checkpoint is not null && (checkpoint.LastSequence > options.UntilSequence || checkpoint.ClockTicks > options.UntilTimestampTicks || checkpoint.RecordNumber > options.UntilRecordNumber))
            throw new ArgumentException($"The entry store's checkpoint ({checkpoint}) is past the bound asked for; replay from the journal's start instead.");
        long firstNumber = checkpoint is null ? log.Archive.FirstRecordNumber : checkpoint.RecordNumber + 1;
        if (checkpoint is null && firstNumber != 1)
            throw new JournalFormatException(
                $"The journal in '{log.Directory}' begins at record {firstNumber} (older segments were archived) and there is no entry store checkpoint to start from. " +
                "Restore the archived segments (replay-tool archive moved them) to rebuild the store, or restore the store.");
    }

    /// <summary>
    /// The replay proper: read a few records, prefetch them together, then apply them in order (as the live pipeline
    /// does), writing what they changed to the store as it goes. Stops at the journal's end, at damage, or at the first
    /// record past a bound (returned: read, not applied).
    /// </summary>
    private sealed class Replay(JournalLog log, JournalCursor cursor, StorePrefetcher? prefetcher, StoreWriter? writer, RecoverySettings options,
        long startAddress, long total)
    {
        private readonly JournalRecord[] _records = NewRecords();

        public LedgerEngine? Engine { get; set; }
        public long Replayed { get; private set; }
        /// <summary>Where the replay's time went, in <see cref="Stopwatch"/> ticks.</summary>
        public ReplayPhases Phases;

        private static JournalRecord[] NewRecords()
        {
            var records = new JournalRecord[RecordsPerBatch];
            for (int i = 0; i < records.Length; i++) records[i] = new JournalRecord();
            return records;
        }

        public JournalRecord? Run()
        {
            JournalRecord? crossing = null;
            var outcome = ReadOutcome.Record;
            while (outcome == ReadOutcome.Record && crossing is null)
            {
                int n = ReadBatch(ref outcome, ref crossing);
                for (int i = 0; i < n; i++) Apply(_records[i]);
                if (writer is null) continue;
                long t = Stopwatch.GetTimestamp();
                writer.EndOfBatch();
                Phases.Write += Stopwatch.GetTimestamp() - t;
            }
            return crossing;
        }

        private int ReadBatch(ref ReadOutcome outcome, ref JournalRecord? crossing)
        {
            int n = 0;
            long t = Stopwatch.GetTimestamp();
            while (n < _records.Length && (outcome = cursor.TryRead(_records[n])) == ReadOutcome.Record)
            {
                var record = _records[n];
                if (record.LastSequence > options.UntilSequence || record.TimestampTicks > options.UntilTimestampTicks || record.RecordNumber > options.UntilRecordNumber)
                {
                    crossing = record;
                    break;
                }
                var command = record.CommandAtItsAddress();
                prefetcher?.Add(command);
                n++;
            }
            long read = Stopwatch.GetTimestamp();
            Phases.Read += read - t;
            if (prefetcher is null) return n;
            prefetcher.EndOfBatch();
            Phases.Lookups += Stopwatch.GetTimestamp() - read;
            return n;
        }

        private void Apply(JournalRecord record)
        {
            var engine = Engine ??= new LedgerEngine(FirstCatalog(log, record, options), options.EngineSettings);
            long t = Stopwatch.GetTimestamp();
            ApplyChecked(engine, record);
            if (options.CompareEvents && DescribeEventDifference(record) is { } difference)
                throw new ReplayDivergenceException($"Replaying journal record {record.RecordNumber} ({record.Kind}) gives other events than the journal's: {difference}.");
            long applied = Stopwatch.GetTimestamp();
            Phases.Apply += applied - t;
            if (writer is not null)
            {
                // The command's changes stay in the engine's cache until the store has them, so write them
                // before the cache must hold more than a bounded number.
                writer.Add(record.Command);
                if (writer.Pending >= RecordsPerBatch * 16 || record.Command.ChangeCount >= ChangesPerWrite) writer.EndOfBatch();
                Phases.Write += Stopwatch.GetTimestamp() - applied;
            }
            options.OnRecord?.Invoke(record, engine);
            Replayed++;
            if ((Replayed & (ProgressEvery - 1)) == 0) options.OnProgress?.Invoke(new RecoveryProgress(Replayed, cursor.NextAddress - startAddress, total));
        }
    }

    /// <summary>Where the replay stopped on damage: cut it away (the service, <see cref="RecoverySettings.CutDamage"/>) or only say so.</summary>
    private static JournalCut? CutDamage(JournalLog log, JournalCursor cursor, RecoverySettings options, out long nextAddress)
    {
        nextAddress = cursor.NextAddress;
        if (cursor.Damage is not { } damage) return null;
        if (!options.CutDamage || log.ReadOnly)
        {
            options.Logger?.LogWarning("Journal damaged (not cut): {Damage}", damage);
            return null;
        }
        var journalCut = new JournalCut(cursor.NextAddress, log.TailAddress, cursor.ExpectedRecordNumber - 1, cursor.LastSequence, damage.ToString(), DateTime.UtcNow);
        log.Cuts.Add(journalCut);
        nextAddress = journalCut.ResumeAddress;
        options.Logger?.LogWarning("Journal damaged, cut after record {Record}: {Damage}", journalCut.LastGoodRecordNumber, damage);
        return journalCut;
    }

    private static HistoryCatalog FirstCatalog(JournalLog log, JournalRecord first, RecoverySettings options) =>
        first.Kind == CommandKind.LoadCatalog
            ? first.Command.Catalog!
            : options.InitialCatalog ?? throw new JournalFormatException($"Journal record {first.RecordNumber} in '{log.Directory}' is a {first.Kind}, not the catalog every journal starts with.");

    private static RecoveryResult Finish(LedgerEngine engine, StoreCheckpoint? checkpoint, Replay replay, long lastRecord,
        JournalDamage? damage, JournalCut? journalCut, bool stoppedAtBound, long nextAddress, Stopwatch clock)
    {
        var report = new RecoveryReport
        {
            StoreCheckpoint = checkpoint,
            RecordsReplayed = replay.Replayed,
            Phases = replay.Phases,
            LastRecordNumber = lastRecord,
            LastSequence = engine.LastSequence,
            Damage = damage,
            JournalCut = journalCut,
            StoppedAtBound = stoppedAtBound,
            StateHash = engine.ComputeStateHash(),
            Accounts = engine.Accounts.Count,
            OpenHolds = engine.OpenHoldCount,
            Elapsed = clock.Elapsed,
        };
        return new RecoveryResult(engine, report, lastRecord + 1, nextAddress);
    }

    /// <summary>Re-applies a journaled command and checks the engine decides it as the journal says.</summary>
    public static void ApplyChecked(LedgerEngine engine, JournalRecord record)
    {
        var command = record.Command;
        engine.Apply(command);
        if (command.Result.Code != record.Result.Code || engine.LastSequence != record.LastSequence || command.EventCount != record.EventCount ||
            command.RecordNumber != record.RecordNumber)
        {
            throw new ReplayDivergenceException(
                $"Replaying journal record {record.RecordNumber} ({record.Kind}) gave {command.Result.Code}, last sequence {engine.LastSequence}, " +
                $"{command.EventCount} events, record number {command.RecordNumber}; the journal recorded {record.Result.Code}, last sequence {record.LastSequence}, " +
                $"{record.EventCount} events. This engine does not decide as the one that wrote the journal.");
        }
    }

    /// <summary>
    /// After <see cref="ApplyChecked"/>: null when the engine's events (<c>record.Command.EventSpan</c>) equal the
    /// journaled ones (<c>record.EventSpan</c>) field by field, else the first difference as a phrase.
    /// </summary>
    public static string? DescribeEventDifference(JournalRecord record)
    {
        var replayed = record.Command.EventSpan;
        var journaled = record.EventSpan;
        if (replayed.Length != journaled.Length) return $"{replayed.Length} events instead of {journaled.Length}";
        for (int i = 0; i < replayed.Length; i++)
        {
            ref readonly var a = ref replayed[i];
            ref readonly var b = ref journaled[i];
            string? field =
                a.Kind != b.Kind ? nameof(a.Kind) :
                a.Sequence != b.Sequence ? nameof(a.Sequence) :
                a.CausedBySequence != b.CausedBySequence ? nameof(a.CausedBySequence) :
                a.TimestampTicks != b.TimestampTicks ? nameof(a.TimestampTicks) :
                a.Account != b.Account ? nameof(a.Account) :
                a.Currency != b.Currency ? nameof(a.Currency) :
                a.EntryKind != b.EntryKind ? nameof(a.EntryKind) :
                a.Status != b.Status ? nameof(a.Status) :
                a.EntryType != b.EntryType ? nameof(a.EntryType) :
                a.AmountMinor != b.AmountMinor ? nameof(a.AmountMinor) :
                !string.Equals(a.CorrelationId, b.CorrelationId, StringComparison.Ordinal) ? nameof(a.CorrelationId) :
                !string.Equals(a.Description, b.Description, StringComparison.Ordinal) ? nameof(a.Description) :
                a.ReferenceSequence != b.ReferenceSequence ? nameof(a.ReferenceSequence) :
                a.ExpiresAtTicks != b.ExpiresAtTicks ? nameof(a.ExpiresAtTicks) :
                a.BalancesAfter != b.BalancesAfter ? nameof(a.BalancesAfter) :
                a.FeeOfSequence != b.FeeOfSequence ? nameof(a.FeeOfSequence) : null;
            if (field is not null) return $"event {i} differs in {field}";
        }
        return null;
    }
}
