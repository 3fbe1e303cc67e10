using System.Diagnostics;
using Ledger.Engine;
using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Journal.Snapshots;
using Microsoft.Extensions.Logging;

namespace Ledger.Journal.Recovery;

/// <summary>Options of one recovery (the service uses the defaults plus <see cref="CutDamage"/>; tools add bounds and observers).</summary>
public sealed record RecoveryOptions
{
    /// <summary>The catalog of a new ledger (an empty journal). A journal's first record is always its catalog.</summary>
    public HistoryCatalog? InitialCatalog { get; init; }

    public EngineSettings? EngineSettings { get; init; }

    /// <summary>Cut a damaged tail (read-write journal only): record the cut, void snapshots beyond it.</summary>
    public bool CutDamage { get; init; }

    /// <summary>Start from the newest valid snapshot (default) or replay the whole journal.</summary>
    public bool UseSnapshots { get; init; } = true;

    /// <summary>Stop before the first command whose last sequence exceeds this.</summary>
    public long UntilSequence { get; init; } = long.MaxValue;

    /// <summary>Stop before the first command applied after this instant (UTC ticks).</summary>
    public long UntilTimestampTicks { get; init; } = long.MaxValue;

    /// <summary>Also compare every event the engine decides again with the journaled one, field by field (verify).</summary>
    public bool CompareEvents { get; init; }

    /// <summary>Called after each record is applied (the engine holds the state right after it).</summary>
    public Action<JournalRecord, LedgerEngine>? OnRecord { get; init; }

    /// <summary>Called every few thousand records.</summary>
    public Action<RecoveryProgress>? OnProgress { get; init; }

    public ILogger? Logger { get; init; }
}

/// <summary>The recovered ledger and where the journal continues.</summary>
public sealed class RecoveryResult
{
    internal RecoveryResult(LedgerEngine engine, RecoveryReport report, long nextRecordNumber, long nextAddress)
    {
        Engine = engine;
        Report = report;
        NextRecordNumber = nextRecordNumber;
        NextAddress = nextAddress;
    }

    public LedgerEngine Engine { get; }
    public RecoveryReport Report { get; }
    /// <summary>The number the next appended record must get.</summary>
    public long NextRecordNumber { get; }
    /// <summary>Where a reader continues after the last recovered record.</summary>
    public long NextAddress { get; }
}

/// <summary>
/// The one recovery path, used by the service (<see cref="LedgerStore.Open"/>), its shadow snapshotter and the
/// replay-tool: the newest snapshot that verifies (checksum, layout, state hash), falling back to older ones or a
/// full replay; then the journal after it, each command re-applied through the same <see cref="LedgerEngine"/> and
/// checked against what the journal recorded; a damaged tail is detected, reported and (read-write only) cut.
/// Usage: <c>var result = LedgerRecovery.Recover(log, snapshots, new RecoveryOptions { CutDamage = true });</c>
/// </summary>
public static class LedgerRecovery
{
    private const int ProgressEvery = 1 << 14;

    public static RecoveryResult Recover(JournalLog log, SnapshotStore? snapshots, RecoveryOptions options)
    {
        var clock = Stopwatch.StartNew();
        var logger = options.Logger;
        var rejected = new List<string>();
        var record = new JournalRecord();
        LedgerEngine? engine = null;
        SnapshotInfo? used = null;
        JournalCursor? cursor = null;
        ReadOutcome pending = ReadOutcome.End;
        bool hasPending = false;

        try
        {
            if (options.UseSnapshots && snapshots is not null)
            {
                foreach (var (path, number) in snapshots.List())
                {
                    if (IsBeyondCut(log, number, path, out string? why))
                    {
                        rejected.Add(why!);
                        continue;
                    }
                    SnapshotInfo info;
                    LedgerEngine candidate;
                    try
                    {
                        (info, candidate) = SnapshotFile.Load(path, options.EngineSettings);
                    }
                    catch (SnapshotCorruptException ex)
                    {
                        rejected.Add(ex.Message);
                        logger?.LogWarning("Snapshot rejected: {Reason}", ex.Message);
                        continue;
                    }
                    if (info.RecordNumber != number)
                    {
                        rejected.Add($"Snapshot '{path}' says it covers record {info.RecordNumber}, its name says {number}.");
                        continue;
                    }
                    if (info.LastSequence > options.UntilSequence || info.ClockTicks > options.UntilTimestampTicks) continue; // past the bound: not damage
                    if (info.NextAddress > log.CommittedUntilAddress)
                    {
                        throw new JournalFormatException(
                            $"The journal in '{log.Directory}' is committed only up to address {log.CommittedUntilAddress}, but snapshot '{path}' covers records up to " +
                            $"address {info.NextAddress} (record {info.RecordNumber}): committed journal records are missing. Restore the journal from a copy " +
                            "(the standby's), or move the snapshot away to accept the loss, before starting.");
                    }
                    // The journal must continue exactly where the snapshot ends.
                    var probe = new JournalCursor(log, info.NextAddress, info.RecordNumber + 1, info.LastSequence, follow: false);
                    var first = probe.TryRead(record);
                    if (first == ReadOutcome.Damage)
                    {
                        // The journal does not continue readably where the snapshot ends: a snapshot of another journal, or
                        // damage right there. Either way an older snapshot or a full replay decides (and cuts real damage).
                        probe.Dispose();
                        string reason = $"Snapshot '{path}' does not fit this journal: {probe.Damage}.";
                        rejected.Add(reason);
                        logger?.LogWarning("Snapshot rejected: {Reason}", reason);
                        continue;
                    }
                    engine = candidate;
                    used = info;
                    cursor = probe;
                    pending = first;
                    hasPending = true;
                    break;
                }
            }

            if (engine is null)
            {
                cursor = new JournalCursor(log, log.BeginAddress, 1, 0, follow: false);
                pending = cursor.TryRead(record);
                hasPending = true;
                HistoryCatalog catalog;
                if (pending == ReadOutcome.Record)
                {
                    catalog = record.Kind == CommandKind.LoadCatalog
                        ? record.Command.Catalog!
                        : options.InitialCatalog ?? throw new JournalFormatException($"Journal record 1 in '{log.Directory}' is a {record.Kind}, not the catalog every journal starts with.");
                }
                else
                {
                    catalog = options.InitialCatalog ?? throw new JournalFormatException($"The journal in '{log.Directory}' has no readable record and no catalog was given to start a new ledger.");
                }
                engine = new LedgerEngine(catalog, options.EngineSettings);
            }

            long startAddress = cursor!.NextAddress;
            long total = Math.Max(0, log.CommittedUntilAddress - startAddress);
            long replayed = 0;
            bool stoppedAtBound = false;
            while (true)
            {
                var outcome = hasPending ? pending : cursor.TryRead(record);
                hasPending = false;
                if (outcome != ReadOutcome.Record) break;
                if (record.LastSequence > options.UntilSequence || record.TimestampTicks > options.UntilTimestampTicks)
                {
                    stoppedAtBound = true;
                    break;
                }
                ApplyChecked(engine, record);
                if (options.CompareEvents && DescribeEventDifference(record) is { } difference)
                    throw new ReplayDivergenceException($"Replaying journal record {record.RecordNumber} ({record.Kind}) gives other events than the journal's: {difference}.");
                options.OnRecord?.Invoke(record, engine);
                replayed++;
                if ((replayed & (ProgressEvery - 1)) == 0) options.OnProgress?.Invoke(new RecoveryProgress(replayed, cursor.NextAddress - startAddress, total));
            }
            if (stoppedAtBound)
            {
                // the record that crossed the bound was read but not applied
                return Finish(engine, used, rejected, replayed, record.RecordNumber - 1, null, null, true, record.Address, clock);
            }
            options.OnProgress?.Invoke(new RecoveryProgress(replayed, total, total));

            JournalCut? cut = null;
            var damage = cursor.Damage;
            long nextAddress = cursor.NextAddress;
            if (damage is not null)
            {
                if (options.CutDamage && !log.ReadOnly)
                {
                    cut = new JournalCut(cursor.NextAddress, log.TailAddress, cursor.ExpectedRecordNumber - 1, cursor.LastSequence, damage.ToString(), DateTime.UtcNow);
                    log.Cuts.Add(cut);
                    nextAddress = cut.ResumeAddress;
                    if (snapshots is not null)
                    {
                        foreach (var (path, number) in snapshots.List())
                        {
                            if (number > cut.LastGoodRecordNumber) snapshots.Void(path);
                        }
                    }
                    logger?.LogWarning("Journal damaged, cut after record {Record}: {Damage}", cut.LastGoodRecordNumber, damage);
                }
                else
                {
                    logger?.LogWarning("Journal damaged (not cut): {Damage}", damage);
                }
            }
            return Finish(engine, used, rejected, replayed, cursor.ExpectedRecordNumber - 1, damage, cut, false, nextAddress, clock);
        }
        finally
        {
            cursor?.Dispose();
        }
    }

    private static RecoveryResult Finish(LedgerEngine engine, SnapshotInfo? used, List<string> rejected, long replayed, long lastRecord,
        JournalDamage? damage, JournalCut? cut, bool stoppedAtBound, long nextAddress, Stopwatch clock)
    {
        var report = new RecoveryReport
        {
            SnapshotUsed = used,
            SnapshotsRejected = rejected,
            RecordsReplayed = replayed,
            LastRecordNumber = lastRecord,
            LastSequence = engine.LastSequence,
            Damage = damage,
            Cut = cut,
            StoppedAtBound = stoppedAtBound,
            StateHash = engine.ComputeStateHash(),
            Elapsed = clock.Elapsed,
        };
        return new RecoveryResult(engine, report, lastRecord + 1, nextAddress);
    }

    /// <summary>Re-applies a journaled command and checks the engine decides it as the journal says.</summary>
    public static void ApplyChecked(LedgerEngine engine, JournalRecord record)
    {
        var command = record.Command;
        engine.Apply(command);
        if (command.Result.Code != record.Result.Code || engine.LastSequence != record.LastSequence || command.EventCount != record.EventCount)
        {
            throw new ReplayDivergenceException(
                $"Replaying journal record {record.RecordNumber} ({record.Kind}) gave {command.Result.Code}, last sequence {engine.LastSequence}, " +
                $"{command.EventCount} events; the journal recorded {record.Result.Code}, last sequence {record.LastSequence}, {record.EventCount} events. " +
                "This engine does not decide as the one that wrote the journal.");
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
                a.BalancesAfter != b.BalancesAfter ? nameof(a.BalancesAfter) : null;
            if (field is not null) return $"event {i} differs in {field}";
        }
        return null;
    }

    /// <summary>A snapshot taken of records that a later cut discarded (it lies in the damaged region).</summary>
    private static bool IsBeyondCut(JournalLog log, long number, string path, out string? why)
    {
        foreach (var cut in log.Cuts.All)
        {
            if (number <= cut.LastGoodRecordNumber) continue;
            SnapshotInfo info;
            try
            {
                info = SnapshotFile.ReadInfo(path);
            }
            catch (SnapshotCorruptException)
            {
                continue; // judged (and rejected) by the full load
            }
            if (info.NextAddress > cut.CutAddress && info.NextAddress <= cut.ResumeAddress)
            {
                why = $"Snapshot '{path}' covers records discarded by the {cut}.";
                return true;
            }
        }
        why = null;
        return false;
    }
}
