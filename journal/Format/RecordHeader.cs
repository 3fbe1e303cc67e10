using System.Buffers.Binary;

namespace Ledger.Journal.Format;

/// <summary>
/// The fixed header in front of every journal record's MessagePack payload (all fields little-endian).
/// FasterLog adds its own 4-byte length before it; this header is ours, so a torn or corrupt record is caught
/// even where FasterLog's framing does not notice (it has no checksum in the configuration we use).
/// <code>
///  0        4        6     7     8                16               24        28        32
///  +--------+--------+-----+-----+----------------+----------------+---------+---------+---------------
///  | magic  | version| kind|flags| record number  | last sequence  | payload | crc32c  | payload ...
///  | "LJRN" | u16 = 1| u8  | u8  | i64, from 1    | i64 after cmd  | len u32 | u32     | (MessagePack)
///  +--------+--------+-----+-----+----------------+----------------+---------+---------+---------------
/// </code>
/// The CRC-32C covers bytes [0, 28) of the header and then the payload. Record numbers are contiguous from 1.
/// A reader refuses versions and flags it does not know (it never guesses at a newer format).
/// <para>A record larger than a FasterLog page allows (a bulk account import) is written as consecutive fragments:
/// FasterLog entries with the same header fields, each with its own part of the payload and its own checksum, all but
/// the last flagged <see cref="MoreFragments"/>. Readers reassemble them; a record missing its last fragment is torn.</para>
/// Usage: <c>string? problem = RecordHeader.TryRead(bytes, out var header); // null: sound</c>
/// </summary>
public readonly record struct RecordHeader(ushort Version, byte Kind, byte Flags, long RecordNumber, long LastSequence, int PayloadLength, uint Checksum)
{
    /// <summary>Flag: more fragments of this record follow.</summary>
    public const byte MoreFragments = 1;

    public const int Size = 32;
    /// <summary>"LJRN" read as a little-endian u32.</summary>
    public const uint Magic = 0x4E524A4C;
    public const ushort CurrentVersion = 1;
    /// <summary>Bytes covered by the checksum before the payload.</summary>
    public const int ChecksummedPrefix = 28;
    /// <summary>A whole record's payload is at most this large (a 10-million-account import is about a fifth of it).</summary>
    public const int PayloadLengthMax = 1 << 30;

    /// <summary>Writes the header into <paramref name="record"/>[0..32) and the checksum over it and the payload after it.</summary>
    public static void Write(Span<byte> record, byte kind, long recordNumber, long lastSequence, byte flags = 0)
    {
        int payloadLength = record.Length - Size;
        BinaryPrimitives.WriteUInt32LittleEndian(record, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(record[4..], CurrentVersion);
        record[6] = kind;
        record[7] = flags;
        BinaryPrimitives.WriteInt64LittleEndian(record[8..], recordNumber);
        BinaryPrimitives.WriteInt64LittleEndian(record[16..], lastSequence);
        BinaryPrimitives.WriteInt32LittleEndian(record[24..], payloadLength);
        uint crc = Crc32C.Append(Crc32C.Compute(record[..ChecksummedPrefix]), record[Size..]);
        BinaryPrimitives.WriteUInt32LittleEndian(record[ChecksummedPrefix..], crc);
    }

    /// <summary>The checksum <see cref="Write"/> stored in a whole record (header + payload).</summary>
    public static uint ChecksumOf(ReadOnlySpan<byte> record) => BinaryPrimitives.ReadUInt32LittleEndian(record[ChecksummedPrefix..]);

    /// <summary>
    /// Checks framing and checksum of a whole record (header + payload) and reads the header.
    /// Returns null when the record is sound, else a sentence saying what is wrong. The version is not judged
    /// here: a sound record of an unknown version is refused by the caller, never taken for damage.
    /// </summary>
    public static string? TryRead(ReadOnlySpan<byte> record, out RecordHeader header)
    {
        header = default;
        if (record.Length < Size) return $"the record is {record.Length} bytes, shorter than its {Size}-byte header";
        if (BinaryPrimitives.ReadUInt32LittleEndian(record) != Magic) return "the record does not start with the journal's magic bytes";
        int payloadLength = BinaryPrimitives.ReadInt32LittleEndian(record[24..]);
        if (payloadLength != record.Length - Size)
            return $"the header announces {payloadLength} payload bytes but the record holds {record.Length - Size}";
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(record[ChecksummedPrefix..]);
        uint actual = Crc32C.Append(Crc32C.Compute(record[..ChecksummedPrefix]), record[Size..]);
        if (stored != actual) return $"checksum mismatch (stored {stored:x8}, computed {actual:x8})";
        header = new RecordHeader(
            BinaryPrimitives.ReadUInt16LittleEndian(record[4..]),
            record[6],
            record[7],
            BinaryPrimitives.ReadInt64LittleEndian(record[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(record[16..]),
            payloadLength,
            stored);
        return null;
    }
}
