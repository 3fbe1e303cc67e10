using System.Globalization;
using System.Text;
using Ledger.Journal.Entries;

namespace Ledger.Journal.Recovery;

/// <summary>
/// What start-up recovery did: the entry store checkpoint it started from (or why it rebuilt the store), the journal records
/// it replayed after it, where it cut a damaged tail, and the resulting state hash. <see cref="Summary"/> is the log line.
/// Usage: <c>var report = store.Recovery; logger.LogInformation("{Summary}", report.Summary()); if (report.JournalCut is not null) cuts.Inc();</c>
/// </summary>
public sealed record RecoveryReport
{
    /// <summary>The entry store checkpoint recovery started from (the live state loaded there), or null for a replay of the whole journal.</summary>
    public StoreCheckpoint? StoreCheckpoint { get; init; }

    /// <summary>Why the entry store was set aside and rebuilt from the journal (it did not fit it, or could not be read), or null.</summary>
    public string? StoreRebuilt { get; init; }

    /// <summary>Journal records applied after the checkpoint (all of them without one).</summary>
    public long RecordsReplayed { get; init; }

    /// <summary>Accounts and open holds the recovered ledger holds in RAM.</summary>
    public long Accounts { get; init; }
    public long OpenHolds { get; init; }

    /// <summary>The last journal record now in the ledger (0 for an empty journal).</summary>
    public long LastRecordNumber { get; init; }

    /// <summary>The ledger's last entry sequence after recovery.</summary>
    public long LastSequence { get; init; }

    /// <summary>Damage found in the journal (torn or corrupt record, truncated tail), or null.</summary>
    public JournalDamage? Damage { get; init; }

    /// <summary>The cut recovery made at the damage (read-write journals only), or null.</summary>
    public JournalCut? JournalCut { get; init; }

    /// <summary>True when a bound (until sequence/time/record) stopped the replay before the journal's end.</summary>
    public bool StoppedAtBound { get; init; }

    public ulong StateHash { get; init; }

    public TimeSpan Elapsed { get; init; }

    /// <summary>Where the replay's time went: a key filter top-up before it, reading the journal, the store lookups, the engine, the store writes, the store's checkpoint after it.</summary>
    public ReplayPhases Phases { get; init; }

    /// <summary>Time to open the journal and the entry store before the replay (with a key filter refill, if one was needed).</summary>
    public TimeSpan OpenElapsed { get; init; }

    /// <summary>Keys the key filter was refilled with from the entry store at open because its file was missing or damaged (0 normally: O(history) otherwise).</summary>
    public long FilterRefilledKeys { get; init; }

    /// <summary>What the key filter's log added at open to its file's coverage (null: the filter was new or refilled).</summary>
    public KeyFilterLog.Applied? FilterLog { get; init; }

    /// <summary>Why the key filter's log could not be read at open (null: it was, or there was none); the journal top-up covered its part.</summary>
    public string? FilterLogUnreadable { get; init; }

    /// <summary>True when the store journaled a new catalog after recovery (the catalog file changed).</summary>
    public bool CatalogChanged { get; init; }

    /// <summary>True when the journal was created by this start (a new data directory).</summary>
    public bool JournalCreated { get; init; }

    /// <summary>One line for the log.</summary>
    public string Summary()
    {
        var s = new StringBuilder("Ledger recovered: ");
        s.Append(StoreCheckpoint is { } checkpoint
            ? string.Create(CultureInfo.InvariantCulture, $"entry store checkpoint at record {checkpoint.RecordNumber} + ")
            : "no entry store checkpoint, ");
        s.Append(CultureInfo.InvariantCulture, $"{RecordsReplayed} journal records replayed to record {LastRecordNumber} (sequence {LastSequence}) in {Elapsed.TotalSeconds:0.000} s ");
        if (RecordsReplayed > 0) s.Append('(').Append(Phases.Describe()).Append(") ");
        s.Append(CultureInfo.InvariantCulture, $"after opening the journal and the entry store in {OpenElapsed.TotalSeconds:0.000} s; ");
        s.Append(CultureInfo.InvariantCulture, $"{Accounts} accounts, {OpenHolds} open holds in RAM; state hash {StateHash:x16}");
        if (FilterLog is { } filterLog) s.Append("; ").Append(filterLog.Describe());
        if (FilterLogUnreadable is not null) s.Append("; KEY FILTER'S LOG UNREADABLE (").Append(FilterLogUnreadable).Append("): its part topped up from the journal");
        if (FilterRefilledKeys > 0) s.Append(CultureInfo.InvariantCulture, $"; KEY FILTER REFILLED from {FilterRefilledKeys} stored keys (its file was missing or damaged)");
        if (StoreRebuilt is not null) s.Append("; ENTRY STORE REBUILT from the journal: ").Append(StoreRebuilt);
        if (JournalCut is { } journalCut) s.Append("; JOURNAL CUT: ").Append(journalCut);
        else if (Damage is { } damage) s.Append("; JOURNAL DAMAGED (not cut, read-only): ").Append(damage);
        if (CatalogChanged) s.Append("; catalog changed and journaled");
        if (JournalCreated) s.Append("; new journal created");
        return s.ToString();
    }

    public override string ToString() => Summary();
}

/// <summary>Where a replay's time went, in <see cref="System.Diagnostics.Stopwatch"/> ticks (one thread: the parts add up to about its time).</summary>
public record struct ReplayPhases
{
    /// <summary>Topping up a lagging key filter from the journal before the replay (0: complete, or left to run after ready).</summary>
    public long FilterTopUp;
    /// <summary>Reading and decoding the journal's records.</summary>
    public long Read;
    /// <summary>The store lookups the commands need (the prefetch).</summary>
    public long Lookups;
    /// <summary>The engine re-applying the commands (and checking them against the journal).</summary>
    public long Apply;
    /// <summary>Writing what they changed to the store.</summary>
    public long Write;
    /// <summary>The store's checkpoint after the replay (its memtables flushed).</summary>
    public long Checkpoint;

    public readonly string Describe() =>
        (FilterTopUp > 0 ? string.Create(CultureInfo.InvariantCulture, $"key filter topped up first in {Seconds(FilterTopUp):0.000} s, ") : "") +
        string.Create(CultureInfo.InvariantCulture,
            $"journal read {Seconds(Read):0.000} s, store lookups {Seconds(Lookups):0.000} s, engine {Seconds(Apply):0.000} s, store writes {Seconds(Write):0.000} s, store checkpoint {Seconds(Checkpoint):0.000} s");

    private static double Seconds(long ticks) => (double)ticks / System.Diagnostics.Stopwatch.Frequency;
}

/// <summary>How far a replay has come, for progress bars and readiness.</summary>
public readonly record struct RecoveryProgress(long RecordsReplayed, long BytesDone, long BytesTotal);
