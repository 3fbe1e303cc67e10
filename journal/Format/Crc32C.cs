using System.Buffers.Binary;
using System.Numerics;

namespace Ledger.Journal.Format;

/// <summary>
/// CRC-32C (Castagnoli), the checksum of journal records and of the key filter's file. Uses the CPU's CRC32 instruction
/// through <see cref="BitOperations.Crc32C(uint, ulong)"/> (SSE4.2 / ARMv8), with the BCL's software fallback.
/// Usage: <c>uint crc = Crc32C.Compute(bytes); crc = Crc32C.Append(crc, more);</c>
/// </summary>
public static class Crc32C
{
    /// <summary>The checksum of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>Continues a checksum: <c>Append(Compute(a), b) == Compute(a ++ b)</c>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        int i = 0;
        for (; i + 8 <= data.Length; i += 8) c = BitOperations.Crc32C(c, BinaryPrimitives.ReadUInt64LittleEndian(data[i..]));
        for (; i < data.Length; i++) c = BitOperations.Crc32C(c, data[i]);
        return ~c;
    }
}
