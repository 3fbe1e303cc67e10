namespace Ledger.Engine.State;

/// <summary>
/// Holds with an expiry, earliest first. The order is total (expiry, then the hold's sequence), so it is the same
/// whatever order holds were added in and wherever they sit in the cache: replay and a restart from the store expire
/// holds in the same order. Each item names the hold's cache slot (stable while the hold is pending: open holds are
/// pinned) and its sequence; a hold released or removed before it lapsed is skipped when it comes up.
/// <para>A binary heap in arrays sized once, at start, for <see cref="EngineSettings.OpenHoldsMax"/> holds: it never
/// grows, so adding a hold allocates nothing on the engine thread however many expire. Items of holds released or
/// removed early stay until they come up; when the heap is full they are dropped all at once (<see cref="Purge"/>),
/// which always makes room, because the engine refuses a hold past <see cref="EngineSettings.OpenHoldsMax"/> open ones
/// (only a journal replayed with a lower limit than it was written under can need more: then, and only then, it grows).</para>
/// </summary>
public sealed class HoldExpiryQueue
{
    private readonly EntryCache _cache;
    private long[] _expires;
    private long[] _sequences;
    private int[] _slots;

    /// <param name="capacity">The most open holds the engine keeps (<see cref="EngineSettings.OpenHoldsMax"/>).</param>
    /// <param name="cache">Where the holds live: an item whose slot no longer holds its pending hold is stale.</param>
    public HoldExpiryQueue(int capacity, EntryCache cache)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _cache = cache;
        _expires = new long[capacity];
        _sequences = new long[capacity];
        _slots = new int[capacity];
    }

    public int Count { get; private set; }

    public int Capacity => _slots.Length;

    public void Add(int slot, long sequence, long expiresAtTicks)
    {
        if (Count == Capacity) Purge();
        if (Count == Capacity) Grow(); // only a journal replayed under a lower OpenHoldsMax than it was written with gets here
        int i = Count++;
        Set(i, slot, sequence, expiresAtTicks);
        SiftUp(i);
    }

    /// <summary>Takes the next hold whose expiry is at or before <paramref name="nowTicks"/>.</summary>
    public bool TryTakeDue(long nowTicks, out int slot, out long sequence)
    {
        if (Count > 0 && _expires[0] <= nowTicks)
        {
            slot = _slots[0];
            sequence = _sequences[0];
            int last = --Count;
            if (last > 0)
            {
                Set(0, _slots[last], _sequences[last], _expires[last]);
                SiftDown(0);
            }
            return true;
        }
        slot = -1;
        sequence = 0;
        return false;
    }

    /// <summary>Drops the items of holds that are no longer pending (released, removed, or their slot reused), then restores the heap.</summary>
    private void Purge()
    {
        int kept = 0;
        for (int i = 0; i < Count; i++)
        {
            ref var hold = ref _cache[_slots[i]];
            if (hold.Sequence != _sequences[i] || !hold.IsOpenHold) continue;
            Set(kept++, _slots[i], _sequences[i], _expires[i]);
        }
        Count = kept;
        for (int i = Count / 2 - 1; i >= 0; i--) SiftDown(i);
    }

    private void Grow()
    {
        int capacity = Capacity * 2;
        Array.Resize(ref _slots, capacity);
        Array.Resize(ref _sequences, capacity);
        Array.Resize(ref _expires, capacity);
    }

    private void Set(int i, int slot, long sequence, long expires)
    {
        _slots[i] = slot;
        _sequences[i] = sequence;
        _expires[i] = expires;
    }

    private bool Before(int a, int b) =>
        _expires[a] < _expires[b] || (_expires[a] == _expires[b] && _sequences[a] < _sequences[b]);

    private void Swap(int a, int b)
    {
        (_slots[a], _slots[b]) = (_slots[b], _slots[a]);
        (_sequences[a], _sequences[b]) = (_sequences[b], _sequences[a]);
        (_expires[a], _expires[b]) = (_expires[b], _expires[a]);
    }

    private void SiftUp(int i)
    {
        while (i > 0)
        {
            int parent = (i - 1) / 2;
            if (!Before(i, parent)) return;
            Swap(i, parent);
            i = parent;
        }
    }

    private void SiftDown(int i)
    {
        while (true)
        {
            int left = 2 * i + 1, smallest = i;
            if (left < Count && Before(left, smallest)) smallest = left;
            if (left + 1 < Count && Before(left + 1, smallest)) smallest = left + 1;
            if (smallest == i) return;
            Swap(i, smallest);
            i = smallest;
        }
    }
}
