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

    private int[] _slotValue;      // value + 1; 0 = empty
    private ulong[] _slotHash;
    private int[] _slotNamespace;
    private int[] _slotKeyOffset;
    private byte[] _slotKeyLength;
    private byte[] _arena;
    private int _arenaUsed;
    private int _mask;

    public KeyIndex(int initialCapacity)
    {
        int slots = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, initialCapacity * 2));
        _slotValue = new int[slots];
        _slotHash = new ulong[slots];
        _slotNamespace = new int[slots];
        _slotKeyOffset = new int[slots];
        _slotKeyLength = new byte[slots];
        _arena = new byte[Math.Max(1024, initialCapacity * 40)];
        _mask = slots - 1;
    }

    public int Count { get; private set; }

    /// <summary>Bytes held by the index (slots and arena), for memory reporting.</summary>
    public long FootprintBytes => (long)_slotValue.Length * (4 + 8 + 4 + 4 + 1) + _arena.Length;

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
        int slot = (int)hash & _mask;
        while (true)
        {
            int stored = _slotValue[slot];
            if (stored == 0)
            {
                value = -1;
                return false;
            }
            if (_slotHash[slot] == hash && _slotNamespace[slot] == ns && _slotKeyLength[slot] == key.Length &&
                _arena.AsSpan(_slotKeyOffset[slot], key.Length).SequenceEqual(key))
            {
                value = stored - 1;
                return true;
            }
            slot = (slot + 1) & _mask;
        }
    }

    /// <summary>Adds a key that is not present; returns the arena offset of its bytes (see <see cref="KeyAt"/>).</summary>
    public int Add(int ns, ReadOnlySpan<byte> key, ulong hash, int value)
    {
        if (key.Length is 0 or > KeyLengthMax) throw new ArgumentOutOfRangeException(nameof(key), "Invariant: key length 1..64.");
        if ((Count + 1) * 2 > _slotValue.Length) Grow();
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
        for (int i = 0; i < _slotValue.Length; i += page / sizeof(int)) _slotValue[i] = 0;
        for (int i = 0; i < _slotHash.Length; i += page / sizeof(ulong)) _slotHash[i] = 0;
        for (int i = 0; i < _slotNamespace.Length; i += page / sizeof(int)) _slotNamespace[i] = 0;
        for (int i = 0; i < _slotKeyOffset.Length; i += page / sizeof(int)) _slotKeyOffset[i] = 0;
        for (int i = 0; i < _slotKeyLength.Length; i += page) _slotKeyLength[i] = 0;
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
        for (int i = 0; i < _slotValue.Length; i++)
        {
            if (_slotValue[i] != 0) items[n++] = new Item(_slotNamespace[i], _slotKeyOffset[i], _slotKeyLength[i], _slotValue[i] - 1);
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
        while (_slotValue[slot] != 0) slot = (slot + 1) & _mask;
        _slotValue[slot] = value + 1;
        _slotHash[slot] = hash;
        _slotNamespace[slot] = ns;
        _slotKeyOffset[slot] = offset;
        _slotKeyLength[slot] = length;
    }

    private void Grow()
    {
        var oldValue = _slotValue;
        var oldHash = _slotHash;
        var oldNs = _slotNamespace;
        var oldOffset = _slotKeyOffset;
        var oldLength = _slotKeyLength;
        int slots = oldValue.Length * 2;
        _slotValue = new int[slots];
        _slotHash = new ulong[slots];
        _slotNamespace = new int[slots];
        _slotKeyOffset = new int[slots];
        _slotKeyLength = new byte[slots];
        _mask = slots - 1;
        for (int i = 0; i < oldValue.Length; i++)
        {
            if (oldValue[i] != 0) Insert(oldNs[i], oldHash[i], oldOffset[i], oldLength[i], oldValue[i] - 1);
        }
    }
}
