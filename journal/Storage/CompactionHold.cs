using RocksDbSharp;

namespace Ledger.Journal.Storage;

/// <summary>
/// A store opened for a start holds its automatic compactions until the start is done. A SIGKILL leaves a store with the
/// compaction it was running undone and more sorted runs than its trigger, so RocksDB starts that compaction (hundreds of
/// MB, 10–40 s of a core) the moment the store opens; on two cores it took what the replay and the read store's catch-up
/// needed and set the time to ready (docs/decisions.md, "Compactions wait for the start"). Flushes are not held.
/// <para>Bounded: the hold lets go by itself once the store has written <see cref="Budget"/> bytes since it opened (its
/// memtables' worth: a catch-up after a kill is at most what its memtables held), so a rebuild from the whole journal,
/// or a start nobody ends, never piles up sorted runs without end. Only the store's writer calls <see cref="Wrote"/>;
/// <see cref="Resume"/> may come from any thread, once or more.</para>
/// Usage: <c>if (hold) family.SetDisableAutoCompactions(1); ... _hold = new CompactionHold(db, budget, families); ... _hold.Wrote(batch); ... _hold.Resume();</c>
/// </summary>
public sealed class CompactionHold
{
    private readonly RocksDb _db;
    private readonly ColumnFamilyHandle[] _families;
    private long _written;
    private int _held = 1;

    /// <param name="db">The store, opened with automatic compactions off on every family in <paramref name="families"/>.</param>
    /// <param name="budget">Bytes written after which the hold lets go by itself.</param>
    /// <param name="families">The store's column families.</param>
    public CompactionHold(RocksDb db, long budget, params ColumnFamilyHandle[] families)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(budget);
        _db = db;
        Budget = budget;
        _families = families;
    }

    public long Budget { get; }

    /// <summary>True until <see cref="Resume"/> (or the budget) let go.</summary>
    public bool Held => Volatile.Read(ref _held) == 1;

    /// <summary>The writer wrote <paramref name="batch"/> to the store; past the budget, compactions resume. Once let go it costs a read.</summary>
    public void Wrote(WriteBatch batch)
    {
        if (!Held) return;
        _written += batch.AsSpan().Length; // a native call: only while held
        if (_written > Budget) Resume();
    }

    /// <summary>Turns automatic compactions back on (RocksDB schedules what is pending at once). Later calls do nothing.</summary>
    public void Resume()
    {
        if (Interlocked.Exchange(ref _held, 0) == 0) return;
        foreach (var family in _families)
            Native.Instance.rocksdb_set_options_cf(_db.Handle, family.Handle, 1, ["disable_auto_compactions"], ["false"]);
    }
}
