using RocksDbSharp;

namespace Ledger.ReadSide;

// Query family: one entry row, by sequence or by correlation id.
public sealed partial class ReadStore
{
    private string? CorrelationIdOf(long account, long sequence) => TryGetRow(account, sequence, out var row) ? row.CorrelationId : null;

    internal bool TryGetRow(long account, long sequence, out RowData row)
    {
        Span<byte> key = stackalloc byte[17];
        ReadCodec.RowKey(account, sequence, key);
        var value = Db.Get(key.ToArray());
        row = value is null ? default : ReadCodec.ReadRow(value);
        return value is not null;
    }

    private bool TryGetSequence(long account, string correlationId, out long sequence)
    {
        Span<byte> key = stackalloc byte[ReadCodec.KeyBytesMax];
        var value = Db.Get(key[..ReadCodec.IdKey(account, correlationId, key)].ToArray());
        sequence = value is { Length: 8 } ? System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(value) : 0;
        return sequence > 0;
    }
}
