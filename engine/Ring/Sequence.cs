using System.Runtime.InteropServices;

namespace Ledger.Engine.Ring;

/// <summary>
/// A sequence counter shared between threads. Padded to its own cache lines on both sides so that the
/// producers' cursor and the consumers' sequences never false-share (LMAX's most measurable win).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal struct PaddedLong
{
    [FieldOffset(56)] public long Value;
}

/// <summary>A padded, volatile sequence number. Starts at -1 (nothing processed).</summary>
public sealed class Sequence(long initial = Sequence.Initial)
{
    public const long Initial = -1;
    private PaddedLong _value = new() { Value = initial };

    public long Value => Volatile.Read(ref _value.Value);

    public void SetValue(long value) => Volatile.Write(ref _value.Value, value);

    public bool CompareAndSet(long expected, long next) => Interlocked.CompareExchange(ref _value.Value, next, expected) == expected;

    /// <summary>The smallest of the sequences, or <paramref name="fallback"/> when there are none.</summary>
    public static long Minimum(Sequence[] sequences, long fallback)
    {
        long min = fallback;
        foreach (var s in sequences) min = Math.Min(min, s.Value);
        return min;
    }
}
