namespace Ledger.Engine.State;

/// <summary>
/// Holds with an expiry, earliest first. The order is total (expiry, then record index), so it is the same
/// whatever order holds were added in: replay and snapshot restore expire holds in the same order.
/// Released or removed holds stay queued and are skipped when they come up.
/// </summary>
public sealed class HoldExpiryQueue(int initialCapacity)
{
    private readonly PriorityQueue<int, HoldExpiry> _queue = new(initialCapacity);

    public int Count => _queue.Count;

    /// <summary>Every queued hold (any order; the queue's order is total), for snapshots.</summary>
    public (int Record, long ExpiresAtTicks)[] Export()
    {
        var items = new (int, long)[_queue.Count];
        int n = 0;
        foreach (var (record, due) in _queue.UnorderedItems) items[n++] = (record, due.ExpiresAtTicks);
        return items;
    }

    public void Add(int record, long expiresAtTicks) => _queue.Enqueue(record, new HoldExpiry(expiresAtTicks, record));

    /// <summary>Takes the next hold whose expiry is at or before <paramref name="nowTicks"/>.</summary>
    public bool TryTakeDue(long nowTicks, out int record)
    {
        if (_queue.TryPeek(out record, out var due) && due.ExpiresAtTicks <= nowTicks)
        {
            _queue.Dequeue();
            return true;
        }
        record = -1;
        return false;
    }

    private readonly record struct HoldExpiry(long ExpiresAtTicks, int Record) : IComparable<HoldExpiry>
    {
        public int CompareTo(HoldExpiry other)
        {
            int c = ExpiresAtTicks.CompareTo(other.ExpiresAtTicks);
            return c != 0 ? c : Record.CompareTo(other.Record);
        }
    }
}
