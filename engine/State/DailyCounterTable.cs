using System.Numerics;

namespace Ledger.Engine.State;

/// <summary>
/// What a daily rule's scope counted on one account on one business day: the sum and number of its debits.
/// <see cref="Scope"/> is a history code (0..<see cref="Limits.HistoryCodeMax"/>) or <see cref="DomainScopeBase"/> + a
/// domain's mask bit (stable across catalogs: a replacing catalog keeps the bits of the domains it shares).
/// </summary>
public struct DailyCounter
{
    /// <summary>Scopes from here on are domains: <c>DomainScopeBase + bit</c>.</summary>
    public const int DomainScopeBase = 10_000;

    public long AccountPacked;
    public int Scope;
    /// <summary>Business day (UTC days since 0001-01-01, by the ledger's clock) the sum and count are of.</summary>
    public int Day;
    public int Count;
    public long SumMinor;

    public override readonly string ToString() => $"account {AccountPacked} scope {Scope} day {Day}: {Count} debits, {SumMinor}";
}

/// <summary>
/// The daily counters of the live state, one per (account, scope) that ever had a counted debit: bounded by accounts ×
/// the scopes with a daily rule. A counter of an older day is simply overwritten by the next debit (no clean-up pass).
/// Open addressing on (account, scope); grows by doubling past half full (like <see cref="AccountTable"/>, which grows
/// when accounts are opened), so steady posting allocates nothing. Engine thread only.
/// </summary>
public sealed class DailyCounterTable
{
    private DailyCounter[] _slots;
    private bool[] _used;
    private long[] _changedBy;
    private int _mask;

    public DailyCounterTable(int initialCapacity)
    {
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, initialCapacity * 2));
        _slots = new DailyCounter[size];
        _used = new bool[size];
        _changedBy = new long[size];
        _mask = size - 1;
    }

    public int Count { get; private set; }

    public ref DailyCounter this[int slot] => ref _slots[slot];

    /// <summary>The slot of (account, scope), or -1.</summary>
    public int Find(long account, int scope)
    {
        int slot = SlotOf(account, scope);
        while (_used[slot])
        {
            ref var c = ref _slots[slot];
            if (c.AccountPacked == account && c.Scope == scope) return slot;
            slot = (slot + 1) & _mask;
        }
        return -1;
    }

    /// <summary>The slot of (account, scope), added empty when new.</summary>
    public int FindOrAdd(long account, int scope)
    {
        int found = Find(account, scope);
        if (found >= 0) return found;
        if ((Count + 1) * 2 > _slots.Length) Grow();
        int slot = SlotOf(account, scope);
        while (_used[slot]) slot = (slot + 1) & _mask;
        _used[slot] = true;
        _slots[slot] = new DailyCounter { AccountPacked = account, Scope = scope };
        Count++;
        return slot;
    }

    /// <summary>Records that command <paramref name="recordNumber"/> changed the counter; true the first time it does.</summary>
    public bool MarkChanged(int slot, long recordNumber)
    {
        if (_changedBy[slot] == recordNumber) return false;
        _changedBy[slot] = recordNumber;
        return true;
    }

    /// <summary>Every counter (restore checks, the state hash, tests).</summary>
    public IEnumerable<DailyCounter> All()
    {
        for (int i = 0; i < _slots.Length; i++)
        {
            if (_used[i]) yield return _slots[i];
        }
    }

    /// <summary>Sum of a hash of every counter (order-independent), for the state hash.</summary>
    public ulong HashAll(Func<DailyCounter, ulong> hash)
    {
        ulong h = 0;
        for (int i = 0; i < _slots.Length; i++)
        {
            if (_used[i]) h += hash(_slots[i]);
        }
        return h;
    }

    private int SlotOf(long account, int scope)
    {
        ulong x = ((ulong)account * 0x9E3779B97F4A7C15UL) ^ ((ulong)(uint)scope * 0xC2B2AE3D27D4EB4FUL);
        return (int)(x >> 32) & _mask;
    }

    private void Grow()
    {
        var slots = _slots;
        var used = _used;
        var changedBy = _changedBy;
        _slots = new DailyCounter[slots.Length * 2];
        _used = new bool[slots.Length * 2];
        _changedBy = new long[slots.Length * 2];
        _mask = _slots.Length - 1;
        for (int i = 0; i < slots.Length; i++)
        {
            if (!used[i]) continue;
            int slot = SlotOf(slots[i].AccountPacked, slots[i].Scope);
            while (_used[slot]) slot = (slot + 1) & _mask;
            _used[slot] = true;
            _slots[slot] = slots[i];
            _changedBy[slot] = changedBy[i];
        }
    }
}
