namespace Ledger.Engine.State;

/// <summary>The remembered entries, in the order they were decided. Grows by doubling; presize it.</summary>
public sealed class EntryTable(int initialCapacity)
{
    private EntryRecord[] _records = new EntryRecord[Math.Max(16, initialCapacity)];

    public int Count { get; private set; }

    public ref EntryRecord this[int index] => ref _records[index];

    public ReadOnlySpan<EntryRecord> All => _records.AsSpan(0, Count);

    public long FootprintBytes => (long)_records.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<EntryRecord>();

    /// <summary>Rebuilds a table from a snapshot's records.</summary>
    public static EntryTable Restore(EntryRecord[] records, int capacity)
    {
        var table = new EntryTable(Math.Max(capacity, records.Length));
        records.CopyTo(table._records, 0);
        table.Count = records.Length;
        return table;
    }

    /// <summary>Writes one zeroed record per page of the unused capacity so the OS maps it now, not on the engine's hot path.</summary>
    internal void Prefault()
    {
        int stride = Math.Max(1, Environment.SystemPageSize / System.Runtime.CompilerServices.Unsafe.SizeOf<EntryRecord>());
        for (int i = Count; i < _records.Length; i += stride) _records[i] = default;
    }

    /// <summary>Appends a zeroed record and returns its index.</summary>
    public int Add()
    {
        if (Count == _records.Length) Array.Resize(ref _records, _records.Length * 2);
        int index = Count++;
        _records[index] = default;
        return index;
    }
}
