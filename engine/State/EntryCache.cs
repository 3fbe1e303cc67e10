using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Ledger.Engine.State;

/// <summary>
/// The engine's bounded cache of remembered entries: slots of <see cref="EntryImage"/> found by (account, key)
/// through an open-addressing index, evicted least recently used first. Everything an entry ever was lives in the
/// entry store on disk; this cache holds what recent commands touched, every open hold (pinned: a hold can expire
/// at any command, and the engine does no I/O), and every entry changed by a command whose changes the store does
/// not hold yet.
/// <para><b>The invariant that makes a bounded cache correct.</b> The prefetch stage stamps on each command the
/// store's watermark (every change of commands up to that journal record number is in the store) before it reads the
/// entries the command names. The cache never evicts an entry whose <see cref="EntryImage.LastChange"/> is above the
/// watermark stamped on the command being decided, nor one that command touched. So an entry the cache lacks is one
/// whose latest image the store held when the command was prefetched: the prefetched image (or its absence) is the
/// truth. When no slot can be evicted the cache grows (counted in <see cref="Overflows"/>); the host's bound on
/// entries in flight keeps that from happening at the configured sizes.</para>
/// Slot numbers are stable while an entry stays cached (the hold-expiry queue keeps them for pinned holds).
/// Usage (engine thread only): <c>int slot = cache.Find(account, key, hash); if (slot &lt; 0) slot = cache.Insert(in image, hash, watermark, now);</c>
/// </summary>
public sealed class EntryCache
{
    private const int None = -1;
    private const int PinnedMark = -2;

    private EntryImage[] _images;
    private int[] _prev;
    private int[] _next;
    private long[] _touchedBy;
    private ulong[] _hashes; // each slot's index hash: an eviction finds its index slot without reading the image's key
    private IndexSlot[] _index;
    private int _indexMask;
    private int _head = None, _tail = None; // most recently touched at the head
    private int _freeHead = None;           // free slots, chained through _next
    private int _used;                       // slots [0, _used) were handed out at least once
    private readonly bool _hugePages;

    /// <param name="capacity">Slots before the cache must evict (at least 16).</param>
    /// <param name="hugePages">Its arrays on 2 MiB pages where the kernel allows (<see cref="HugePages"/>).</param>
    public EntryCache(int capacity, bool hugePages = false)
    {
        int slots = Math.Max(16, capacity);
        _hugePages = hugePages;
        _images = HugePages.NewArray<EntryImage>(slots, hugePages);
        _prev = HugePages.NewArray<int>(slots, hugePages);
        _next = HugePages.NewArray<int>(slots, hugePages);
        _touchedBy = HugePages.NewArray<long>(slots, hugePages);
        _hashes = HugePages.NewArray<ulong>(slots, hugePages);
        _index = HugePages.NewArray<IndexSlot>(IndexSizeFor(slots), hugePages);
        _indexMask = _index.Length - 1;
    }

    public int Capacity => _images.Length;
    /// <summary>Entries cached now.</summary>
    public int Count { get; private set; }
    /// <summary>Open holds (pinned: never evicted while pending).</summary>
    public int PinnedCount { get; private set; }

    // Counters (engine thread writes, metrics read approximately).
    public long Hits;
    public long Loads;
    public long Evictions;
    public long Overflows;

    public long FootprintBytes =>
        (long)_images.Length * (Unsafe.SizeOf<EntryImage>() + 2 * sizeof(int) + sizeof(long) + sizeof(ulong)) + (long)_index.Length * Unsafe.SizeOf<IndexSlot>();

    public ref EntryImage this[int slot] => ref _images[slot];

    /// <summary>Writes one zeroed element per page of every array now, so the OS maps them here and not on the engine's hot path.</summary>
    internal void Prefault()
    {
        int page = Environment.SystemPageSize;
        for (int i = 0; i < _images.Length; i += Math.Max(1, page / Unsafe.SizeOf<EntryImage>())) _images[i] = default;
        for (int i = 0; i < _prev.Length; i += page / sizeof(int))
        {
            _prev[i] = 0;
            _next[i] = 0;
        }
        for (int i = 0; i < _touchedBy.Length; i += page / sizeof(long)) _touchedBy[i] = 0;
        for (int i = 0; i < _hashes.Length; i += page / sizeof(ulong)) _hashes[i] = 0;
        for (int i = 0; i < _index.Length; i += Math.Max(1, page / Unsafe.SizeOf<IndexSlot>())) _index[i] = default;
    }

    /// <summary>The slot holding (account, key), or -1.</summary>
    public int Find(long account, ReadOnlySpan<byte> key, ulong hash)
    {
        var index = _index;
        int i = (int)hash & _indexMask;
        while (true)
        {
            ref var s = ref index[i];
            if (s.SlotPlusOne == 0) return None;
            if (s.Hash == hash)
            {
                ref var image = ref _images[s.SlotPlusOne - 1];
                if (image.AccountPacked == account && image.KeySpan.SequenceEqual(key)) return s.SlotPlusOne - 1;
            }
            i = (i + 1) & _indexMask;
        }
    }

    /// <summary>
    /// Asks the CPU to bring the index slot <paramref name="hash"/> starts at into its cache: a command's lookups, hinted
    /// first, then miss in parallel instead of one after another. A hint only: it changes no state and cannot fault.
    /// </summary>
    public unsafe void Prefetch(ulong hash)
    {
        if (Sse.IsSupported) Sse.Prefetch0(Unsafe.AsPointer(ref _index[(int)hash & _indexMask]));
    }

    /// <summary>
    /// Caches an entry that is not cached (a new one, or one loaded from the store), evicting if full, and marks it
    /// touched by command <paramref name="current"/>. An open hold is pinned.
    /// </summary>
    public int Insert(in EntryImage image, ulong hash, long watermark, long current)
    {
        int slot = TakeSlot(watermark, current);
        _images[slot] = image;
        _touchedBy[slot] = current;
        _hashes[slot] = hash;
        AddToIndex(hash, slot);
        Count++;
        if (image.IsOpenHold)
        {
            _prev[slot] = PinnedMark;
            PinnedCount++;
        }
        else
        {
            LinkAtHead(slot);
        }
        return slot;
    }

    /// <summary>Marks the slot used by command <paramref name="current"/> (not evictable by it; most recently used).</summary>
    public void Touch(int slot, long current)
    {
        _touchedBy[slot] = current;
        if (_prev[slot] == PinnedMark || _head == slot) return;
        Unlink(slot);
        LinkAtHead(slot);
    }

    /// <summary>After a status change: pins an entry that became an open hold, unpins one that stopped being one.</summary>
    public void UpdatePin(int slot)
    {
        bool pinned = _prev[slot] == PinnedMark;
        bool open = _images[slot].IsOpenHold;
        if (pinned == open) return;
        if (open)
        {
            Unlink(slot);
            _prev[slot] = PinnedMark;
            PinnedCount++;
        }
        else
        {
            PinnedCount--;
            LinkAtHead(slot);
        }
    }

    public bool IsPinned(int slot) => _prev[slot] == PinnedMark;

    /// <summary>Evicts every unpinned entry whose last change the store holds (<paramref name="watermark"/>); returns how many.</summary>
    public int Trim(long watermark)
    {
        int evicted = 0;
        int s = _tail;
        while (s != None)
        {
            int prev = _prev[s];
            if (_images[s].LastChange <= watermark)
            {
                Evict(s);
                _next[s] = _freeHead;
                _freeHead = s;
                evicted++;
            }
            s = prev;
        }
        Evictions += evicted;
        return evicted;
    }

    /// <summary>Every pinned slot (open holds), for the state hash and tests; any order.</summary>
    public IEnumerable<int> PinnedSlots()
    {
        for (int s = 0; s < _used; s++)
        {
            if (_prev[s] == PinnedMark) yield return s;
        }
    }

    private int TakeSlot(long watermark, long current)
    {
        if (_freeHead != None)
        {
            int free = _freeHead;
            _freeHead = _next[free];
            return free;
        }
        if (_used < _images.Length) return _used++;
        // Least recently used first; look a little past an entry the store does not hold yet.
        int s = _tail;
        for (int tries = 0; s != None && tries < 16; tries++, s = _prev[s])
        {
            if (_images[s].LastChange <= watermark && _touchedBy[s] != current)
            {
                Evict(s);
                Evictions++;
                return s;
            }
        }
        Grow();
        Overflows++;
        return _used++;
    }

    private void Evict(int slot)
    {
        Unlink(slot);
        ref var image = ref _images[slot];
        Debug.Assert(_hashes[slot] == EntryKeys.Hash(image.AccountPacked, image.KeySpan), "a slot's hash is its key's");
        RemoveFromIndex(_hashes[slot], slot);
        image = default;
        Count--;
        PrefetchNextVictim();
    }

    /// <summary>
    /// Asks the CPU for the next eviction's index slot and image now (the least recently used entry, at the tail): the
    /// index is far larger than the CPU's caches, so that miss would otherwise stall the next insert.
    /// </summary>
    private unsafe void PrefetchNextVictim()
    {
        if (!Sse.IsSupported || _tail == None) return;
        Sse.Prefetch0(Unsafe.AsPointer(ref _index[(int)_hashes[_tail] & _indexMask]));
        Sse.Prefetch0(Unsafe.AsPointer(ref _images[_tail]));
    }

    private void LinkAtHead(int slot)
    {
        _prev[slot] = None;
        _next[slot] = _head;
        if (_head != None) _prev[_head] = slot;
        _head = slot;
        if (_tail == None) _tail = slot;
    }

    private void Unlink(int slot)
    {
        int prev = _prev[slot], next = _next[slot];
        if (prev == PinnedMark) return;
        if (prev != None) _next[prev] = next;
        else _head = next;
        if (next != None) _prev[next] = prev;
        else _tail = prev;
        _prev[slot] = None;
        _next[slot] = None;
    }

    private void AddToIndex(ulong hash, int slot)
    {
        int i = (int)hash & _indexMask;
        while (_index[i].SlotPlusOne != 0) i = (i + 1) & _indexMask;
        _index[i] = new IndexSlot { Hash = hash, SlotPlusOne = slot + 1 };
    }

    /// <summary>Linear-probing delete by backward shift: no tombstones, so probes stay short however often entries are evicted.</summary>
    private void RemoveFromIndex(ulong hash, int slot)
    {
        int i = (int)hash & _indexMask;
        while (_index[i].SlotPlusOne != slot + 1)
        {
            if (_index[i].SlotPlusOne == 0) throw new InvariantViolationException("Invariant: an evicted cache slot was not indexed.");
            i = (i + 1) & _indexMask;
        }
        int hole = i;
        int j = i;
        while (true)
        {
            j = (j + 1) & _indexMask;
            if (_index[j].SlotPlusOne == 0) break;
            int home = (int)_index[j].Hash & _indexMask;
            // Move j into the hole unless its home lies cyclically in (hole, j].
            bool homeInRange = hole <= j ? home > hole && home <= j : home > hole || home <= j;
            if (!homeInRange)
            {
                _index[hole] = _index[j];
                hole = j;
            }
        }
        _index[hole] = default;
    }

    private void Grow()
    {
        int slots = _images.Length * 2;
        _images = HugePages.Resize(_images, slots, _hugePages);
        _prev = HugePages.Resize(_prev, slots, _hugePages);
        _next = HugePages.Resize(_next, slots, _hugePages);
        _touchedBy = HugePages.Resize(_touchedBy, slots, _hugePages);
        _hashes = HugePages.Resize(_hashes, slots, _hugePages);
        var old = _index;
        _index = HugePages.NewArray<IndexSlot>(IndexSizeFor(slots), _hugePages);
        _indexMask = _index.Length - 1;
        foreach (ref readonly var s in old.AsSpan())
        {
            if (s.SlotPlusOne != 0) AddToIndex(s.Hash, s.SlotPlusOne - 1);
        }
    }

    private static int IndexSizeFor(int slots) => (int)BitOperations.RoundUpToPowerOf2((uint)slots * 2);

    private struct IndexSlot
    {
        public ulong Hash;
        public int SlotPlusOne;
    }
}
