using Ledger.Engine.Domain;
using RocksDbSharp;

namespace Ledger.ReadSide;

// Query family: one entry row, by sequence or by correlation id.
public sealed partial class ReadStore
{
    private string? CorrelationIdOf(long account, long sequence) => TryGetRow(account, sequence, out var row) ? row.CorrelationId : null;

    /// <summary>An account's entry: its timestamp from the account's index, then the row under (time, sequence).</summary>
    internal bool TryGetRow(long account, long sequence, out RowData row)
    {
        row = default;
        Span<byte> key = stackalloc byte[ReadCodec.IndexKeyBytes];
        var time = Db.Get(key[..ReadCodec.IndexKey(account, sequence, key)].ToArray());
        if (time is null) return false;
        row = RowOf(account, sequence, Db.Get(key[..ReadCodec.RowKey(ReadCodec.ReadIndex(time), sequence, key)].ToArray(), Rows));
        return true;
    }

    /// <summary>The row an account's index named: it must exist and be that account's (an invariant: one write put both).</summary>
    private static RowData RowOf(long account, long sequence, byte[]? value)
    {
        if (value is null)
            throw new Ledger.Engine.InvariantViolationException($"Invariant: the index of account {AccountKey.FromPacked(account)} names entry {sequence}, which has no row.");
        var (owner, row) = ReadCodec.ReadStoredRow(value);
        if (owner != account)
            throw new Ledger.Engine.InvariantViolationException($"Invariant: the index of account {AccountKey.FromPacked(account)} names entry {sequence}, a row of account {AccountKey.FromPacked(owner)}.");
        return row;
    }

    private bool TryGetSequence(long account, string correlationId, out long sequence)
    {
        Span<byte> key = stackalloc byte[ReadCodec.KeyBytesMax];
        var value = Db.Get(key[..ReadCodec.IdKey(account, correlationId, key)].ToArray());
        sequence = value is { Length: 8 } ? System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(value) : 0;
        return sequence > 0;
    }
}
