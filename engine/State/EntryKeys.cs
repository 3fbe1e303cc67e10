using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Ledger.Engine.State;

/// <summary>
/// Correlation ids and bundle ids as keys: ASCII bytes in a namespace (the account's packed key, or
/// <see cref="BundleAccount"/> for bundle ids), hashed 8 bytes at a time.
/// </summary>
public static class EntryKeys
{
    public const int LengthMax = 64;
    /// <summary>The namespace of bundle ids (no account packs to a negative number).</summary>
    public const long BundleAccount = -1;

    /// <summary>Copies an id as ASCII into <paramref name="into"/>; returns its length, or -1 if it is not 1..64 chars of [A-Za-z0-9._:-].</summary>
    public static int Normalize(string? id, Span<byte> into)
    {
        if (id is null || id.Length is 0 or > LengthMax) return -1;
        for (int i = 0; i < id.Length; i++)
        {
            char c = id[i];
            bool ok = c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '_' or ':' or '-';
            if (!ok) return -1;
            into[i] = (byte)c;
        }
        return id.Length;
    }

    /// <summary>Whether a correlation id (or bundle id) is well formed.</summary>
    public static bool IsValid(string? id)
    {
        Span<byte> scratch = stackalloc byte[LengthMax];
        return Normalize(id, scratch) > 0;
    }

    /// <summary>Hashes a key with its namespace (never 0, so 0 can mean "no key").</summary>
    public static ulong Hash(long ns, ReadOnlySpan<byte> key)
    {
        ulong h = 0x9E3779B97F4A7C15UL ^ (ulong)ns ^ ((ulong)key.Length << 56);
        int i = 0;
        for (; i + 8 <= key.Length; i += 8)
        {
            h = Mix(h ^ BinaryPrimitives.ReadUInt64LittleEndian(key.Slice(i)));
        }
        ulong tail = 0;
        for (int shift = 0; i < key.Length; i++, shift += 8) tail |= (ulong)key[i] << shift;
        h = Mix(h ^ tail);
        return h == 0 ? 1 : h;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong x)
    {
        x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 31;
        x *= 0x94D049BB133111EBUL;
        return x ^ (x >> 29);
    }
}
