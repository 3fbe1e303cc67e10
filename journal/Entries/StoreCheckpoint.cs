using System.Buffers.Binary;

namespace Ledger.Journal.Entries;

/// <summary>
/// Where the entry store stands: it holds every change of journal records 1..<see cref="RecordNumber"/> and the live
/// state (accounts, open holds, catalog) right after that record, all written in the same atomic write. Recovery
/// starts from it and replays the journal from <see cref="NextAddress"/>. <see cref="RecordAddress"/> and
/// <see cref="RecordChecksum"/> name the last record it covers, so a store is never used with another journal.
/// <code>
///  0 version u8 | 1 reserved (7) | 8 recordNumber i64 | 16 recordAddress i64 | 24 nextAddress i64 | 32 recordChecksum u32
/// 36 reserved u32 | 40 lastSequence i64 | 48 clockTicks i64 | 56 historyHash u64 | 64 accounts i64 | 72 openHolds i64   (80 bytes)
/// </code>
/// </summary>
public sealed record StoreCheckpoint(long RecordNumber, long RecordAddress, long NextAddress, uint RecordChecksum, long LastSequence,
    long ClockTicks, ulong HistoryHash, long Accounts, long OpenHolds)
{
    public const int Bytes = 80;

    public void Write(Span<byte> into)
    {
        into[..Bytes].Clear();
        into[0] = StoreCodec.FormatVersion;
        BinaryPrimitives.WriteInt64LittleEndian(into[8..], RecordNumber);
        BinaryPrimitives.WriteInt64LittleEndian(into[16..], RecordAddress);
        BinaryPrimitives.WriteInt64LittleEndian(into[24..], NextAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(into[32..], RecordChecksum);
        BinaryPrimitives.WriteInt64LittleEndian(into[40..], LastSequence);
        BinaryPrimitives.WriteInt64LittleEndian(into[48..], ClockTicks);
        BinaryPrimitives.WriteUInt64LittleEndian(into[56..], HistoryHash);
        BinaryPrimitives.WriteInt64LittleEndian(into[64..], Accounts);
        BinaryPrimitives.WriteInt64LittleEndian(into[72..], OpenHolds);
    }

    public static StoreCheckpoint Read(ReadOnlySpan<byte> from)
    {
        if (from.Length != Bytes || from[0] != StoreCodec.FormatVersion)
            throw new StoreFormatException($"its checkpoint record is {from.Length} bytes of version {(from.Length > 0 ? from[0] : 0)}, not {Bytes} of version {StoreCodec.FormatVersion}");
        return new StoreCheckpoint(
            BinaryPrimitives.ReadInt64LittleEndian(from[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(from[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(from[24..]),
            BinaryPrimitives.ReadUInt32LittleEndian(from[32..]),
            BinaryPrimitives.ReadInt64LittleEndian(from[40..]),
            BinaryPrimitives.ReadInt64LittleEndian(from[48..]),
            BinaryPrimitives.ReadUInt64LittleEndian(from[56..]),
            BinaryPrimitives.ReadInt64LittleEndian(from[64..]),
            BinaryPrimitives.ReadInt64LittleEndian(from[72..]));
    }

    public override string ToString() => $"record {RecordNumber} (sequence {LastSequence}, {Accounts} accounts, {OpenHolds} open holds)";
}
