using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Ledger.Journal.Format;
using Ledger.Journal.Storage;

namespace Ledger.Journal.Entries;

/// <summary>
/// A fixed-size, cache-line-blocked Bloom filter over every key the entry store holds, in RAM, in front of it: a
/// lookup of a correlation id the ledger never saw (every new entry) is answered here in two cache misses, without
/// RocksDB. Its RAM is fixed by configuration; what grows with history is its false-positive rate (a false positive
/// only costs the RocksDB lookup that would have happened anyway): about 0.05 % at 20 bits per key, 1 % at 10, 10 % at 5.
/// <para>Correctness: a key the store holds must never be reported absent. The store writer sets a key's bits before
/// it publishes the watermark that covers it, and the prefetcher reads the watermark before the filter, so everything
/// up to a stamped watermark is in the filter. Bits are only ever set, so a filter that is "ahead" is merely less
/// precise. On disk (<c>key-filter.bin</c>, written at each checkpoint while complete) it records the record it covers; a
/// restart brings it to the store's checkpoint from its log (<see cref="KeyFilterLog"/>: the hashes appended since), and
/// tops up from the journal only what the log lacks (<see cref="Recovery.FilterTopUp"/>).</para>
/// <code>
/// file: magic "LKF1" | version u32 | blocks i64 | covered record i64 | next journal address i64 | crc32c of the bits u32 | reserved u32 | bits (blocks x 64 bytes)
/// </code>
/// Threads: the store thread and the start-up top-up set bits (atomic OR), the prefetch thread reads, the checkpointer copies to disk.
/// </summary>
public sealed class KeyFilter
{
    public const string FileName = "key-filter.bin";
    private const int HeaderBytes = 48;
    private const uint Magic = 0x31464B4C; // "LKF1"
    private const int Version = 1;
    private const int BitsPerKey = 8; // bits set per key, within one 512-bit block

    private readonly ulong[] _words;
    private readonly long _blockMask;

    /// <param name="bytes">RAM for the filter, rounded down to a power of two (at least 64 KiB).</param>
    /// <param name="hugePages">Its bits on 2 MiB pages where the kernel allows (<see cref="Engine.State.HugePages"/>): every key reads or sets one random block.</param>
    public KeyFilter(long bytes, bool hugePages = false)
    {
        long blocks = (long)BitOperations.RoundUpToPowerOf2((ulong)Math.Max(1024, bytes / 64 + 1)) / 2;
        if (blocks * 8 > Array.MaxLength) throw new ArgumentException($"A key filter of {bytes} bytes is larger than one array holds.");
        _words = Engine.State.HugePages.NewArray<ulong>((int)(blocks * 8), hugePages);
        _blockMask = blocks - 1;
    }

    public long Bytes => (long)_words.Length * sizeof(ulong);

    private long _added;

    /// <summary>
    /// Keys added since it was created or loaded (for the false-positive estimate). Exact: the store writer, the
    /// background top-up and a refill each count what they added with <see cref="Count"/> (one atomic add per command
    /// or per run, not per key), so two threads adding at once lose nothing.
    /// </summary>
    public long Added => Interlocked.Read(ref _added);

    /// <summary>Adds <paramref name="keys"/> to <see cref="Added"/> (thread-safe).</summary>
    public void Count(long keys) => Interlocked.Add(ref _added, keys);

    /// <summary>The journal record up to which every key of the store is in the filter (as loaded or last saved).</summary>
    public long Covered { get; internal set; }

    /// <summary>The hash a store key is filtered by (the store key: prefix, account, id).</summary>
    public static ulong HashOf(ReadOnlySpan<byte> storeKey)
    {
        ulong h = 0xC3A5C85C97CB3127UL ^ (ulong)storeKey.Length;
        int i = 0;
        for (; i + 8 <= storeKey.Length; i += 8) h = Mix(h ^ BinaryPrimitives.ReadUInt64LittleEndian(storeKey[i..]));
        ulong tail = 0;
        for (int shift = 0; i < storeKey.Length; i++, shift += 8) tail |= (ulong)storeKey[i] << shift;
        return Mix(h ^ tail);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong x)
    {
        x ^= x >> 33;
        x *= 0xFF51AFD7ED558CCDUL;
        x ^= x >> 33;
        x *= 0xC4CEB9FE1A85EC53UL;
        return x ^ (x >> 33);
    }

    /// <summary>Asks the CPU to bring the key's block into its cache (a hint: work done before <see cref="Add"/> then overlaps the miss).</summary>
    public unsafe void Prefetch(ulong hash)
    {
        if (Sse.IsSupported) Sse.Prefetch0(Unsafe.AsPointer(ref BlockOf(hash)));
    }

    /// <summary>Sets the key's bits (atomic OR: any number of threads may add at once). Not counted: see <see cref="Count"/>.</summary>
    public void Add(ulong hash)
    {
        ref ulong block = ref BlockOf(hash);
        ulong h = hash;
        for (int i = 0; i < BitsPerKey; i++)
        {
            int bit = (int)(h & 511);
            Interlocked.Or(ref Unsafe.Add(ref block, bit >> 6), 1UL << (bit & 63));
            h = (h >> 9) | (h << 55);
        }
    }

    /// <summary>
    /// Sets the key's bits with plain writes: only while no other thread can reach the filter (applying its log at open),
    /// where it is about three times faster than <see cref="Add"/>. Not counted: see <see cref="Count"/>.
    /// Compiled optimized at once: it runs millions of times in the first second of a start, before tiered compilation
    /// has promoted anything (as tier-0 code it was 8 % of a restart's samples; docs/decisions.md, "Start-up code runs unoptimized").
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void AddUnshared(ulong hash)
    {
        ref ulong block = ref BlockOf(hash);
        ulong h = hash;
        for (int i = 0; i < BitsPerKey; i++)
        {
            int bit = (int)(h & 511);
            Unsafe.Add(ref block, bit >> 6) |= 1UL << (bit & 63);
            h = (h >> 9) | (h << 55);
        }
    }

    public bool MayContain(ulong hash)
    {
        ref ulong block = ref BlockOf(hash);
        ulong h = hash;
        for (int i = 0; i < BitsPerKey; i++)
        {
            int bit = (int)(h & 511);
            if ((Volatile.Read(ref Unsafe.Add(ref block, bit >> 6)) & (1UL << (bit & 63))) == 0) return false;
            h = (h >> 9) | (h << 55);
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref ulong BlockOf(ulong hash)
    {
        long block = (long)((hash * 0x9E3779B97F4A7C15UL) >> 20) & _blockMask; // other bits than the in-block positions
        return ref _words[block * 8];
    }

    /// <summary>Writes the filter atomically (temp, fsync, rename, fsync directory) as covering journal records up to <paramref name="covered"/>.</summary>
    public void Save(string path, long covered, long nextAddress)
    {
        // The writer thread may still set bits while they are written: what reaches the file is a superset of what
        // "covered" needs, which is all a filter must be. The checksum is therefore taken over each chunk as it is
        // copied out and written (never over the live array, which may change between the two), and the header that
        // holds it is written last, over a placeholder.
        long blocks = _words.Length / 8;
        DurableFiles.WriteAtomically(path, file =>
        {
            var words = MemoryMarshal.AsBytes(_words.AsSpan());
            Span<byte> header = stackalloc byte[HeaderBytes];
            header.Clear();
            file.Write(header);
            var behind = new WriteBehind(file); // the 128 MiB reach the disk a window at a time, not in one fsync
            byte[] chunk = new byte[1 << 20];
            uint crc = 0;
            for (int offset = 0; offset < words.Length; offset += chunk.Length)
            {
                int length = Math.Min(chunk.Length, words.Length - offset);
                words.Slice(offset, length).CopyTo(chunk);
                crc = Crc32C.Append(crc, chunk.AsSpan(0, length));
                file.Write(chunk, 0, length);
                behind.Written();
            }
            BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
            BinaryPrimitives.WriteInt32LittleEndian(header[4..], Version);
            BinaryPrimitives.WriteInt64LittleEndian(header[8..], blocks);
            BinaryPrimitives.WriteInt64LittleEndian(header[16..], covered);
            BinaryPrimitives.WriteInt64LittleEndian(header[24..], nextAddress);
            BinaryPrimitives.WriteUInt32LittleEndian(header[32..], crc);
            file.Position = 0;
            file.Write(header);
        });
        Covered = covered;
    }

    /// <summary>
    /// A filter saved by <see cref="Save"/>, in the size it was saved with (a changed setting applies to a new filter:
    /// delete the file and it is refilled from the store), or null when absent or damaged (then it is refilled).
    /// </summary>
    public static KeyFilter? Load(string path, out long nextAddress, bool hugePages = false)
    {
        nextAddress = 0;
        if (!File.Exists(path)) return null;
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        Span<byte> header = stackalloc byte[HeaderBytes];
        if (file.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false) != HeaderBytes) return null;
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != Magic || BinaryPrimitives.ReadInt32LittleEndian(header[4..]) != Version) return null;
        long blocks = BinaryPrimitives.ReadInt64LittleEndian(header[8..]);
        if (blocks < 1024 || !BitOperations.IsPow2(blocks) || blocks * 64 + HeaderBytes != file.Length) return null;
        var probe = new KeyFilter(blocks * 64, hugePages);
        var bits = MemoryMarshal.AsBytes(probe._words.AsSpan());
        if (file.ReadAtLeast(bits, bits.Length, throwOnEndOfStream: false) != bits.Length) return null;
        if (Crc32C.Compute(bits) != BinaryPrimitives.ReadUInt32LittleEndian(header[32..])) return null;
        probe.Covered = BinaryPrimitives.ReadInt64LittleEndian(header[16..]);
        nextAddress = BinaryPrimitives.ReadInt64LittleEndian(header[24..]);
        return probe;
    }
}
