using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Ledger.Engine.State;

/// <summary>
/// An open-addressing hash index from (namespace, ASCII key) to an int value, with the key bytes kept in one
/// byte arena: no object per key, so millions of correlation ids cost the GC nothing.
/// Namespaces: an account index (correlation ids are unique per account) or <see cref="BundleNamespace"/>.
/// Grows by doubling at half load; presize it to keep the hot path allocation-free.
/// </summary>
public sealed class KeyIndex
{
    public const int BundleNamespace = -1;
    public const int KeyLengthMax = 64;

    // One array of 24-byte slots, so a probe costs one cache miss, not one per field.
    private Slot[] _slots;
    private byte[] _arena;
    private int _arenaUsed;
    private int _mask;

    public KeyIndex(int initialCapacity)
    {
        int slots = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, initialCapacity * 2));
        _slots = new Slot[slots];
        _arena = new byte[Math.Max(1024, initialCapacity * 40)];
        _mask = slots - 1;
    }

    public int Count { get; private set; }

    /// <summary>Bytes held by the index (slots and arena), for memory reporting.</summary>
    public long FootprintBytes => (long)_slots.Length * Unsafe.SizeOf<Slot>() + _arena.Length;

    /// <summary>Hashes an ASCII key with its namespace (8 bytes at a time).</summary>
    public static ulong Hash(int ns, ReadOnlySpan<byte> key)
    {
        ulong h = 0x9E3779B97F4A7C15UL ^ (ulong)(uint)ns ^ ((ulong)key.Length << 32);
        int i = 0;
        for (; i + 8 <= key.Length; i += 8)
        {
            h = Mix(h ^ BinaryPrimitives.ReadUInt64LittleEndian(key.Slice(i)));
        }
        ulong tail = 0;
        for (int shift = 0; i < key.Length; i++, shift += 8) tail |= (ulong)key[i] << shift;
        return Mix(h ^ tail);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong x)
    {
        x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 31;
        x *= 0x94D049BB133111EBUL;
        return x ^ (x >> 29);
    }

    /// <summary>Finds the value stored for the key; false when absent.</summary>
    public bool TryGet(int ns, ReadOnlySpan<byte> key, ulong hash, out int value)
    {
        var slots = _slots;
        int slot = (int)hash & _mask;
        while (true)
        {
            ref var s = ref slots[slot];
            if (s.Value == 0)
            {
                value = -1;
                return false;
            }
            if (s.Hash == hash && s.Namespace == ns && s.KeyLength == key.Length &&
                _arena.AsSpan(s.KeyOffset, key.Length).SequenceEqual(key))
            {
                value = s.Value - 1;
                return true;
            }
            slot = (slot + 1) & _mask;
        }
    }

    /// <summary>Adds a key that is not present; returns the arena offset of its bytes (see <see cref="KeyAt"/>).</summary>
    public int Add(int ns, ReadOnlySpan<byte> key, ulong hash, int value)
    {
        if (key.Length is 0 or > KeyLengthMax) throw new ArgumentOutOfRangeException(nameof(key), "Invariant: key length 1..64.");
        if ((Count + 1) * 2 > _slots.Length) Grow();
        int offset = StoreBytes(key);
        Insert(ns, hash, offset, (byte)key.Length, value);
        Count++;
        return offset;
    }

    /// <summary>
    /// Maps every page of an empty index now (slots and arena), not on the engine's hot path. Writes zeros, which
    /// is what an empty index holds, so it changes nothing; refuses a non-empty index.
    /// </summary>
    internal void Prefault()
    {
        if (Count != 0 || _arenaUsed != 0) throw new InvalidOperationException("Invariant: prefault an empty index only.");
        int page = Environment.SystemPageSize;
        int slotsPerPage = Math.Max(1, page / Unsafe.SizeOf<Slot>());
        for (int i = 0; i < _slots.Length; i += slotsPerPage) _slots[i] = default;
        for (int i = 0; i < _arena.Length; i += page) _arena[i] = 0;
    }

    /// <summary>Stores bytes in the arena without indexing them (a reference an entry names); returns the offset.</summary>
    public int StoreBytes(ReadOnlySpan<byte> bytes)
    {
        if (_arenaUsed + bytes.Length > _arena.Length) Array.Resize(ref _arena, Math.Max(_arena.Length * 2, _arenaUsed + bytes.Length));
        int offset = _arenaUsed;
        bytes.CopyTo(_arena.AsSpan(offset));
        _arenaUsed += bytes.Length;
        return offset;
    }

    public ReadOnlySpan<byte> KeyAt(int offset, int length) => _arena.AsSpan(offset, length);

    /// <summary>The used part of the arena (for snapshots).</summary>
    public ReadOnlySpan<byte> Arena => _arena.AsSpan(0, _arenaUsed);

    /// <summary>One indexed key, for snapshots.</summary>
    public readonly record struct Item(int Namespace, int KeyOffset, byte KeyLength, int Value);

    /// <summary>Every indexed key (slot order), for snapshots.</summary>
    public Item[] ExportItems()
    {
        var items = new Item[Count];
        int n = 0;
        foreach (ref readonly var s in _slots.AsSpan())
        {
            if (s.Value != 0) items[n++] = new Item(s.Namespace, s.KeyOffset, s.KeyLength, s.Value - 1);
        }
        return items;
    }

    /// <summary>Rebuilds an index from a snapshot's arena and items.</summary>
    public static KeyIndex Restore(byte[] arena, int arenaUsed, IReadOnlyList<Item> items, int capacity)
    {
        var index = new KeyIndex(Math.Max(capacity, items.Count));
        if (index._arena.Length < arenaUsed) index._arena = new byte[arenaUsed * 2];
        arena.AsSpan(0, arenaUsed).CopyTo(index._arena);
        index._arenaUsed = arenaUsed;
        foreach (var item in items)
        {
            var key = index._arena.AsSpan(item.KeyOffset, item.KeyLength);
            index.Insert(item.Namespace, Hash(item.Namespace, key), item.KeyOffset, item.KeyLength, item.Value);
            index.Count++;
        }
        return index;
    }

    private void Insert(int ns, ulong hash, int offset, byte length, int value)
    {
        int slot = (int)hash & _mask;
        while (_slots[slot].Value != 0) slot = (slot + 1) & _mask;
        _slots[slot] = new Slot { Hash = hash, Value = value + 1, Namespace = ns, KeyOffset = offset, KeyLength = length };
    }

    private void Grow()
    {
        var old = _slots;
        _slots = new Slot[old.Length * 2];
        _mask = _slots.Length - 1;
        foreach (ref readonly var s in old.AsSpan())
        {
            if (s.Value != 0) Insert(s.Namespace, s.Hash, s.KeyOffset, s.KeyLength, s.Value - 1);
        }
    }

    private struct Slot
    {
        public ulong Hash;
        /// <summary>Value + 1; 0 marks an empty slot.</summary>
        public int Value;
        public int Namespace;
        public int KeyOffset;
        public byte KeyLength;
    }
}
