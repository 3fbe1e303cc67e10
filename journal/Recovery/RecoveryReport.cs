using System.Globalization;
using System.Text;
using Ledger.Journal.Snapshots;

namespace Ledger.Journal.Recovery;

/// <summary>
/// What start-up recovery did: the snapshot it started from (and those it rejected, with why), the journal records it
/// replayed, where it cut a damaged tail, and the resulting state hash. <see cref="Summary"/> is the log line.
/// Usage: <c>var report = store.Recovery; logger.LogInformation("{Summary}", report.Summary()); if (report.Cut is not null) cuts.Inc();</c>
/// </summary>
public sealed record RecoveryReport
{
    /// <summary>The snapshot recovery started from, or null for a replay of the whole journal.</summary>
    public SnapshotInfo? SnapshotUsed { get; init; }

    /// <summary>Snapshots that failed their checks, each with the reason (newest first).</summary>
    public IReadOnlyList<string> SnapshotsRejected { get; init; } = [];

    /// <summary>Journal records applied after the snapshot (all of them without one).</summary>
    public long RecordsReplayed { get; init; }

    /// <summary>The last journal record now in the ledger (0 for an empty journal).</summary>
    public long LastRecordNumber { get; init; }

    /// <summary>The ledger's last entry sequence after recovery.</summary>
    public long LastSequence { get; init; }

    /// <summary>Damage found in the journal (torn or corrupt record, truncated tail), or null.</summary>
    public JournalDamage? Damage { get; init; }

    /// <summary>The cut recovery made at the damage (read-write journals only), or null.</summary>
    public JournalCut? Cut { get; init; }

    /// <summary>True when a bound (until sequence/time/record) stopped the replay before the journal's end.</summary>
    public bool StoppedAtBound { get; init; }

    public ulong StateHash { get; init; }

    public TimeSpan Elapsed { get; init; }

    /// <summary>True when the store journaled a new catalog after recovery (the catalog file changed).</summary>
    public bool CatalogChanged { get; init; }

    /// <summary>True when the journal was created by this start (a new data directory).</summary>
    public bool JournalCreated { get; init; }

    /// <summary>One line for the log.</summary>
    public string Summary()
    {
        var s = new StringBuilder("Ledger recovered: ");
        s.Append(SnapshotUsed is { } snap
            ? string.Create(CultureInfo.InvariantCulture, $"snapshot {snap.FileName} (record {snap.RecordNumber}) + ")
            : "no snapshot, ");
        s.Append(CultureInfo.InvariantCulture, $"{RecordsReplayed} journal records replayed to record {LastRecordNumber} (sequence {LastSequence}) in {Elapsed.TotalSeconds:0.000} s; state hash {StateHash:x16}");
        if (SnapshotsRejected.Count > 0) s.Append(CultureInfo.InvariantCulture, $"; {SnapshotsRejected.Count} snapshot(s) rejected: {string.Join(" | ", SnapshotsRejected)}");
        if (Cut is { } cut) s.Append("; JOURNAL CUT: ").Append(cut);
        else if (Damage is { } damage) s.Append("; JOURNAL DAMAGED (not cut, read-only): ").Append(damage);
        if (CatalogChanged) s.Append("; catalog changed and journaled");
        if (JournalCreated) s.Append("; new journal created");
        return s.ToString();
    }

    public override string ToString() => Summary();
}

/// <summary>How far a replay has come, for progress bars and readiness.</summary>
public readonly record struct RecoveryProgress(long RecordsReplayed, long BytesDone, long BytesTotal);
