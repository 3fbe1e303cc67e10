using System.Buffers.Binary;
using RocksDbSharp;

namespace Ledger.Testing;

/// <summary>
/// A read store as the builds before layout 3 wrote it (docs/decisions.md, "History written about once"): one column
/// family, rows by (account, sequence) under 's', the whole-ledger index under 'l', a version-2 watermark under 'w',
/// and a replica's partition position under 'p'. What a restart after the upgrade finds on disk.
/// </summary>
public static class OlderReadLayout
{
    public static void Write(string directory, long account, long record, long nextAddress, long lastSequence)
    {
        Directory.CreateDirectory(directory);
        var options = new DbOptions().SetCreateIfMissing(true);
        using var db = RocksDb.Open(options, directory);
        var key = new byte[17];
        key[0] = (byte)'a';
        BinaryPrimitives.WriteInt64BigEndian(key.AsSpan(1), account);
        db.Put(key[..9], new byte[20]);
        key[0] = (byte)'s';
        BinaryPrimitives.WriteInt64BigEndian(key.AsSpan(9), lastSequence);
        db.Put(key, new byte[] { 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 });
        key[0] = (byte)'l';
        BinaryPrimitives.WriteInt64BigEndian(key.AsSpan(1), 0);
        db.Put(key, BitConverter.GetBytes(account));
        db.Put(new byte[] { (byte)'p', 0, 0, 0, 0 }, new byte[20]);
        var watermark = new byte[25];
        watermark[0] = 2;
        BinaryPrimitives.WriteInt64LittleEndian(watermark.AsSpan(1), record);
        BinaryPrimitives.WriteInt64LittleEndian(watermark.AsSpan(9), nextAddress);
        BinaryPrimitives.WriteInt64LittleEndian(watermark.AsSpan(17), lastSequence);
        db.Put("w"u8.ToArray(), watermark);
    }
}
