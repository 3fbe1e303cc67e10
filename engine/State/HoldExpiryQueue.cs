namespace Ledger.Engine.State;

/// <summary>
/// Holds with an expiry, earliest first. The order is total (expiry, then the hold's sequence), so it is the same
/// whatever order holds were added in and wherever they sit in the cache: replay and a restart from the store expire
/// holds in the same order. Each item names the hold's cache slot (stable while the hold is pending: open holds are
/// pinned) and its sequence; a hold released or removed before it lapsed is skipped when it comes up.
/// </summary>
public sealed class HoldExpiryQueue(int initialCapacity)
{
    private readonly PriorityQueue<int, HoldExpiry> _queue = new(initialCapacity);

    public int Count => _queue.Count;

    public void Add(int slot, long sequence, long expiresAtTicks) => _queue.Enqueue(slot, new HoldExpiry(expiresAtTicks, sequence));

    /// <summary>Takes the next hold whose expiry is at or before <paramref name="nowTicks"/>.</summary>
    public bool TryTakeDue(long nowTicks, out int slot, out long sequence)
    {
        if (_queue.TryPeek(out slot, out var due) && due.ExpiresAtTicks <= nowTicks)
        {
            _queue.Dequeue();
            sequence = due.Sequence;
            return true;
        }
        slot = -1;
        sequence = 0;
        return false;
    }

    private readonly record struct HoldExpiry(long ExpiresAtTicks, long Sequence) : IComparable<HoldExpiry>
    {
        public int CompareTo(HoldExpiry other)
        {
            int c = ExpiresAtTicks.CompareTo(other.ExpiresAtTicks);
            return c != 0 ? c : Sequence.CompareTo(other.Sequence);
        }
    }
}
