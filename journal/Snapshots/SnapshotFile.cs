using System.Buffers.Binary;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Ledger.Engine;
using Ledger.Engine.Catalog;
using Ledger.Engine.Domain;
using Ledger.Engine.State;
using Ledger.Journal.Format;
using Ledger.Journal.Storage;
using MessagePack;

namespace Ledger.Journal.Snapshots;

/// <summary>What a snapshot file's header says, and where it is.</summary>
public sealed record SnapshotInfo(string Path, long RecordNumber, long NextAddress, long LastSequence, long ClockTicks, ulong StateHash)
{
    public string FileName => System.IO.Path.GetFileName(Path);
}

/// <summary>A snapshot that failed its checks; the message says which and where.</summary>
public sealed class SnapshotCorruptException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The snapshot file: the engine's whole state (<see cref="LedgerSnapshot"/>) plus the journal position it covers.
/// <code>
/// header (72 bytes, little-endian):
///  0      4      6      8              16             24             32             40             48             56             64      68     72
///  +------+------+------+--------------+--------------+--------------+--------------+--------------+--------------+--------------+-------+------+
///  |"LSNP"|ver=1 | 0    | record number| next address | last sequence| clock ticks  | state hash   | layout print | body length  | crc32c| 0    |
///  +------+------+------+--------------+--------------+--------------+--------------+--------------+--------------+--------------+-------+------+
/// body: u32 manifest length, manifest (MessagePack: [clockTicks, catalog, accounts, entries, arenaBytes, keys, expiries
///       (as [[record, expiresAtTicks]...])]), then the raw sections: accounts, entries, key arena, key items.
/// crc32c covers the whole body, then header bytes [0, 64).
/// </code>
/// The raw sections are the engine's own blittable structs (AccountState, EntryRecord, KeyIndex.Item) copied as
/// bytes, so a 10-million-entry ledger loads at disk speed instead of field by field. Their layout is pinned by the
/// "layout print" (a hash of every field's name, type and order and each struct's size, plus endianness): a snapshot
/// written by a build whose structs differ is refused and recovery falls back to an older snapshot or the journal,
/// which is the record of truth. Snapshots are a cache of the journal, never the only copy of anything.
/// Usage: <c>SnapshotFile.Write(path, engine.CaptureSnapshot(), record, next); var s = SnapshotFile.Load(path);</c>
/// </summary>
public static class SnapshotFile
{
    public const uint Magic = 0x504E534C; // "LSNP"
    public const ushort CurrentVersion = 1;
    public const int HeaderSize = 72;
    private const int ChecksummedPrefix = 64;
    private const int ChunkElements = 1 << 16;

    /// <summary>The fingerprint of the struct layouts this build writes raw.</summary>
    public static readonly ulong LayoutPrint = ComputeLayoutPrint();

    /// <summary>Writes a snapshot atomically (temp file, fsync, rename, directory fsync).</summary>
    public static SnapshotInfo Write(string path, LedgerSnapshot snapshot, long recordNumber, long nextAddress, CancellationToken cancellationToken = default)
    {
        DurableFiles.WriteAtomically(path, stream => WriteTo(stream, snapshot, recordNumber, nextAddress, cancellationToken));
        return new SnapshotInfo(path, recordNumber, nextAddress, snapshot.LastSequence, snapshot.ClockTicks, snapshot.StateHash);
    }

    private static void WriteTo(Stream stream, LedgerSnapshot s, long recordNumber, long nextAddress, CancellationToken cancellationToken)
    {
        var manifest = new RecordBuffer();
        var w = new MessagePackWriter(manifest);
        w.WriteArrayHeader(7);
        w.Write(s.ClockTicks);
        CatalogCodec.Write(ref w, s.Catalog);
        w.Write(s.Accounts.Length);
        w.Write(s.Entries.Length);
        w.Write(s.KeyArena.Length);
        w.Write(s.Keys.Length);
        w.WriteArrayHeader(s.Expiries.Length);
        foreach (var (record, expiresAt) in s.Expiries)
        {
            w.WriteArrayHeader(2);
            w.Write(record);
            w.Write(expiresAt);
        }
        w.Flush();

        var header = new byte[HeaderSize];
        stream.Write(header); // placeholder: written last, with the checksum
        long bodyLength = 0;
        uint crc = 0;
        void Body(ReadOnlySpan<byte> bytes)
        {
            stream.Write(bytes);
            crc = Crc32C.Append(crc, bytes);
            bodyLength += bytes.Length;
        }
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, manifest.Length);
        Body(length);
        Body(manifest.Written);
        WriteRaw<AccountState>(s.Accounts, Body, cancellationToken);
        WriteRaw<EntryRecord>(s.Entries, Body, cancellationToken);
        WriteRaw<byte>(s.KeyArena, Body, cancellationToken);
        WriteRaw<KeyIndex.Item>(s.Keys, Body, cancellationToken);

        var h = header.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(h, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], CurrentVersion);
        BinaryPrimitives.WriteInt64LittleEndian(h[8..], recordNumber);
        BinaryPrimitives.WriteInt64LittleEndian(h[16..], nextAddress);
        BinaryPrimitives.WriteInt64LittleEndian(h[24..], s.LastSequence);
        BinaryPrimitives.WriteInt64LittleEndian(h[32..], s.ClockTicks);
        BinaryPrimitives.WriteUInt64LittleEndian(h[40..], s.StateHash);
        BinaryPrimitives.WriteUInt64LittleEndian(h[48..], LayoutPrint);
        BinaryPrimitives.WriteInt64LittleEndian(h[56..], bodyLength);
        // The checksum covers the body, then the header prefix (the header is written last, once the body is known).
        BinaryPrimitives.WriteUInt32LittleEndian(h[ChecksummedPrefix..], Crc32C.Append(crc, h[..ChecksummedPrefix]));
        stream.Position = 0;
        stream.Write(header);
    }

    private delegate void BodyWriter(ReadOnlySpan<byte> bytes);

    private static void WriteRaw<T>(T[] items, BodyWriter body, CancellationToken cancellationToken) where T : unmanaged
    {
        for (int i = 0; i < items.Length; i += ChunkElements)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int n = Math.Min(ChunkElements, items.Length - i);
            body(MemoryMarshal.AsBytes(items.AsSpan(i, n)));
        }
    }

    /// <summary>Reads only the header (cheap: for listing and choosing). Throws <see cref="SnapshotCorruptException"/> if it is not a snapshot header.</summary>
    public static SnapshotInfo ReadInfo(string path)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var header = new byte[HeaderSize];
        if (RandomAccess.Read(file, header, 0) != HeaderSize) throw new SnapshotCorruptException($"Snapshot '{path}' is shorter than its {HeaderSize}-byte header.");
        return ParseHeader(path, header, RandomAccess.GetLength(file), out _, out _);
    }

    private static SnapshotInfo ParseHeader(string path, ReadOnlySpan<byte> h, long fileLength, out long bodyLength, out uint storedCrc)
    {
        if (BinaryPrimitives.ReadUInt32LittleEndian(h) != Magic) throw new SnapshotCorruptException($"Snapshot '{path}' does not start with the snapshot magic bytes.");
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(h[4..]);
        if (version != CurrentVersion)
            throw new SnapshotCorruptException($"Snapshot '{path}' has format version {version}; this build reads version {CurrentVersion}.");
        ulong print = BinaryPrimitives.ReadUInt64LittleEndian(h[48..]);
        if (print != LayoutPrint)
            throw new SnapshotCorruptException($"Snapshot '{path}' was written by a build whose state layout differs (layout {print:x16}, this build {LayoutPrint:x16}).");
        bodyLength = BinaryPrimitives.ReadInt64LittleEndian(h[56..]);
        if (bodyLength != fileLength - HeaderSize)
            throw new SnapshotCorruptException($"Snapshot '{path}' announces {bodyLength} body bytes but holds {fileLength - HeaderSize} (torn or truncated).");
        storedCrc = BinaryPrimitives.ReadUInt32LittleEndian(h[ChecksummedPrefix..]);
        return new SnapshotInfo(path,
            BinaryPrimitives.ReadInt64LittleEndian(h[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(h[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(h[24..]),
            BinaryPrimitives.ReadInt64LittleEndian(h[32..]),
            BinaryPrimitives.ReadUInt64LittleEndian(h[40..]));
    }

    /// <summary>
    /// Reads and checks a whole snapshot (header, checksum, layout, then the engine's own state-hash check) and returns
    /// the engine it describes. Throws <see cref="SnapshotCorruptException"/> naming the file and the failed check.
    /// </summary>
    public static (SnapshotInfo Info, LedgerEngine Engine) Load(string path, EngineSettings? settings = null)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        var header = new byte[HeaderSize];
        ReadExactly(stream, header, path);
        var info = ParseHeader(path, header, stream.Length, out _, out uint storedCrc);
        uint crc = 0;
        void Read(Span<byte> into)
        {
            ReadExactly(stream, into, path);
            crc = Crc32C.Append(crc, into);
        }
        try
        {
            var lengthBytes = new byte[4];
            Read(lengthBytes);
            int manifestLength = BinaryPrimitives.ReadInt32LittleEndian(lengthBytes);
            if (manifestLength <= 0 || manifestLength > stream.Length) throw new SnapshotCorruptException($"Snapshot '{path}' has a manifest length of {manifestLength}.");
            var manifest = new byte[manifestLength];
            Read(manifest);
            var r = new MessagePackReader(manifest);
            if (r.ReadArrayHeader() != 7) throw new SnapshotCorruptException($"Snapshot '{path}' has a malformed manifest.");
            long clock = r.ReadInt64();
            var catalog = CatalogCodec.Read(ref r);
            var accounts = ReadRaw<AccountState>(r.ReadInt32(), Read);
            var entries = ReadRaw<EntryRecord>(r.ReadInt32(), Read);
            var arena = ReadRaw<byte>(r.ReadInt32(), Read);
            var keys = ReadRaw<KeyIndex.Item>(r.ReadInt32(), Read);
            var expiries = new (int, long)[r.ReadArrayHeader()];
            for (int i = 0; i < expiries.Length; i++)
            {
                if (r.ReadArrayHeader() != 2) throw new SnapshotCorruptException($"Snapshot '{path}' has a malformed expiry.");
                expiries[i] = (r.ReadInt32(), r.ReadInt64());
            }
            if (stream.Position != stream.Length) throw new SnapshotCorruptException($"Snapshot '{path}' has {stream.Length - stream.Position} bytes after its last section.");
            uint full = Crc32C.Append(crc, header.AsSpan(0, ChecksummedPrefix));
            if (full != storedCrc) throw new SnapshotCorruptException($"Snapshot '{path}' fails its checksum (stored {storedCrc:x8}, computed {full:x8}).");
            var snapshot = new LedgerSnapshot
            {
                LastSequence = info.LastSequence,
                ClockTicks = clock,
                StateHash = info.StateHash,
                Catalog = catalog,
                Accounts = accounts,
                Entries = entries,
                KeyArena = arena,
                Keys = keys,
                Expiries = expiries,
            };
            try
            {
                return (info, LedgerEngine.FromSnapshot(snapshot, settings));
            }
            catch (Exception ex) when (ex is InvalidDataException or CatalogException or ArgumentException or IndexOutOfRangeException or InvalidOperationException)
            {
                throw new SnapshotCorruptException($"Snapshot '{path}' does not restore: {ex.Message}", ex);
            }
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or OverflowException or OutOfMemoryException or CatalogException)
        {
            throw new SnapshotCorruptException($"Snapshot '{path}' is unreadable ({ex.Message}).", ex);
        }
    }

    private delegate void BodyReader(Span<byte> into);

    private static T[] ReadRaw<T>(int count, BodyReader read) where T : unmanaged
    {
        if (count < 0) throw new OverflowException($"negative section length {count}");
        var items = new T[count];
        for (int i = 0; i < count; i += ChunkElements)
        {
            int n = Math.Min(ChunkElements, count - i);
            read(MemoryMarshal.AsBytes(items.AsSpan(i, n)));
        }
        return items;
    }

    private static void ReadExactly(Stream stream, Span<byte> into, string path)
    {
        try
        {
            stream.ReadExactly(into);
        }
        catch (EndOfStreamException)
        {
            throw new SnapshotCorruptException($"Snapshot '{path}' ends early (torn or truncated).");
        }
    }

    private static ulong ComputeLayoutPrint()
    {
        var text = new StringBuilder(BitConverter.IsLittleEndian ? "LE;" : "BE;");
        Describe(typeof(AccountState), text);
        Describe(typeof(EntryRecord), text);
        Describe(typeof(KeyIndex.Item), text);
        return KeyIndex.Hash(0, Encoding.UTF8.GetBytes(text.ToString()));
    }

    private static void Describe(Type type, StringBuilder text)
    {
        if (!type.IsLayoutSequential && !type.IsPrimitive && !type.IsEnum)
            throw new InvalidOperationException($"Invariant: {type.Name} must have sequential layout to be snapshotted raw.");
        int size = (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(type).Invoke(null, null)!;
        text.Append(type.FullName).Append(':').Append(size).Append('{');
        foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).OrderBy(f => f.MetadataToken))
        {
            text.Append(field.Name).Append(' ');
            var ft = field.FieldType;
            if (ft.IsPrimitive || ft.IsEnum) text.Append(ft.FullName).Append(';');
            else Describe(ft, text);
        }
        text.Append('}');
    }
}
