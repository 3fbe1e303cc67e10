using System.Numerics;
using System.Runtime.CompilerServices;
using Ledger.Engine.Domain;

namespace Ledger.Engine.State;

/// <summary>
/// Accounts in a dense array (index = opening order, stable forever: entries refer to it), found by key
/// through an open-addressing index of 16-byte slots: one cache miss to find the index, one to read the
/// account (a Dictionary costs two for the lookup alone).
/// </summary>
public sealed class AccountTable
{
    private AccountState[] _accounts;
    private long[] _changedBy; // the command that last changed each account (so a command lists it once)
    private Slot[] _slots;
    private int _mask;
    private readonly bool _hugePages;

    /// <param name="initialCapacity">Accounts before the table grows (by doubling).</param>
    /// <param name="hugePages">Its arrays on 2 MiB pages where the kernel allows (<see cref="HugePages"/>).</param>
    public AccountTable(int initialCapacity, bool hugePages = false)
    {
        _hugePages = hugePages;
        _accounts = HugePages.NewArray<AccountState>(Math.Max(16, initialCapacity), hugePages);
        _changedBy = HugePages.NewArray<long>(_accounts.Length, hugePages);
        _slots = HugePages.NewArray<Slot>((int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(32, initialCapacity * 2)), hugePages);
        _mask = _slots.Length - 1;
    }

    public int Count { get; private set; }

    public ref AccountState this[int index] => ref _accounts[index];

    public ReadOnlySpan<AccountState> All => _accounts.AsSpan(0, Count);

    /// <summary>Index of the account, or -1.</summary>
    public int Find(AccountKey key)
    {
        long packed = key.Packed;
        var slots = _slots;
        int slot = SlotOf(packed);
        while (true)
        {
            ref var s = ref slots[slot];
            if (s.IndexPlusOne == 0) return -1;
            if (s.Key == packed) return s.IndexPlusOne - 1;
            slot = (slot + 1) & _mask;
        }
    }

    /// <summary>Adds an account that does not exist yet and returns its index.</summary>
    public int Add(in AccountState account)
    {
        if (Find(account.Key) >= 0) throw new InvariantViolationException($"Invariant: account {account.Key} added twice.");
        if (Count == _accounts.Length)
        {
            _accounts = HugePages.Resize(_accounts, _accounts.Length * 2, _hugePages);
            _changedBy = HugePages.Resize(_changedBy, _accounts.Length, _hugePages);
        }
        if ((Count + 1) * 2 > _slots.Length) Grow();
        int index = Count++;
        _accounts[index] = account;
        Insert(account.Key.Packed, index);
        return index;
    }

    /// <summary>Records that command <paramref name="recordNumber"/> changed the account; true the first time it does.</summary>
    public bool MarkChanged(int index, long recordNumber)
    {
        if (_changedBy[index] == recordNumber) return false;
        _changedBy[index] = recordNumber;
        return true;
    }

    public long FootprintBytes => (long)_accounts.Length * (Unsafe.SizeOf<AccountState>() + sizeof(long)) + (long)_slots.Length * Unsafe.SizeOf<Slot>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int SlotOf(long packed)
    {
        ulong x = (ulong)packed * 0x9E3779B97F4A7C15UL; // Fibonacci hashing: packed keys are dense in the low bits
        return (int)(x >> 32) & _mask;
    }

    private void Insert(long packed, int index)
    {
        int slot = SlotOf(packed);
        while (_slots[slot].IndexPlusOne != 0) slot = (slot + 1) & _mask;
        _slots[slot] = new Slot { Key = packed, IndexPlusOne = index + 1 };
    }

    private void Grow()
    {
        var old = _slots;
        _slots = HugePages.NewArray<Slot>(old.Length * 2, _hugePages);
        _mask = _slots.Length - 1;
        foreach (ref readonly var s in old.AsSpan())
        {
            if (s.IndexPlusOne != 0) Insert(s.Key, s.IndexPlusOne - 1);
        }
    }

    private struct Slot
    {
        public long Key;
        public int IndexPlusOne;
    }
}
