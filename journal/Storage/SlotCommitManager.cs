using System.Buffers.Binary;
using FASTER.core;
using Ledger.Journal.Format;
using Microsoft.Win32.SafeHandles;

namespace Ledger.Journal.Storage;

/// <summary>
/// Keeps FasterLog's commit metadata in one preallocated file of two slots, overwritten in turn and fsynced, instead
/// of FasterLog's default of a new file per commit (which would need a directory fsync on every group commit to
/// survive a power loss). A torn slot fails its checksum and recovery uses the other one: the commit whose metadata
/// did not land never returned, so nothing it covered was acknowledged.
/// <code>
/// slot (4 096 bytes, slot i at offset i * 4 096):
///  0        4        6        8                16        20        24
///  +--------+--------+--------+----------------+---------+---------+------------------
///  | "LJCM" | ver u16| 0  u16 | commit number  | meta len| crc32c  | FasterLog metadata ...
///  +--------+--------+--------+----------------+---------+---------+------------------
/// crc32c over bytes [0, 20) and the metadata.
/// </code>
/// </summary>
internal sealed class SlotCommitManager : ILogCommitManager
{
    public const string FileName = "commit-slots";
    private const int SlotSize = 4096;
    private const int HeaderSize = 24;
    private const uint Magic = 0x4D434A4C; // "LJCM"
    private const ushort Version = 1;

    private readonly SafeFileHandle _file;
    private readonly bool _readOnly;
    private readonly byte[] _scratch = new byte[SlotSize];

    public SlotCommitManager(string directory, bool readOnly)
    {
        string path = Path.Combine(directory, FileName);
        _readOnly = readOnly;
        if (readOnly)
        {
            _file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return;
        }
        bool created = !File.Exists(path);
        _file = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        if (created)
        {
            RandomAccess.Write(_file, new byte[2 * SlotSize], 0);
            RandomAccess.FlushToDisk(_file);
            DurableFiles.SyncDirectory(directory);
        }
    }

    public void Commit(long beginAddress, long untilAddress, byte[] commitMetadata, long commitNum, bool forceWriteMetadata)
    {
        if (_readOnly) throw new InvalidOperationException("The journal is open read-only.");
        if (commitMetadata.Length > SlotSize - HeaderSize)
            throw new InvalidOperationException($"FasterLog commit metadata of {commitMetadata.Length} bytes does not fit a {SlotSize}-byte slot.");
        var slot = _scratch.AsSpan();
        slot.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(slot, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(slot[4..], Version);
        BinaryPrimitives.WriteInt64LittleEndian(slot[8..], commitNum);
        BinaryPrimitives.WriteInt32LittleEndian(slot[16..], commitMetadata.Length);
        commitMetadata.CopyTo(slot[HeaderSize..]);
        uint crc = Crc32C.Append(Crc32C.Compute(slot[..20]), commitMetadata);
        BinaryPrimitives.WriteUInt32LittleEndian(slot[20..], crc);
        RandomAccess.Write(_file, _scratch, (commitNum & 1) * SlotSize);
        RandomAccess.FlushToDisk(_file);
    }

    public IEnumerable<long> ListCommits()
    {
        var found = new List<long>(2);
        for (int i = 0; i < 2; i++)
        {
            if (TryReadSlot(i, out long commitNum, out _)) found.Add(commitNum);
        }
        found.Sort((a, b) => b.CompareTo(a)); // newest first: FasterLog tries them in this order
        return found;
    }

    public byte[] GetCommitMetadata(long commitNum)
    {
        for (int i = 0; i < 2; i++)
        {
            if (TryReadSlot(i, out long n, out var metadata) && n == commitNum) return metadata!;
        }
        return null!;
    }

    private bool TryReadSlot(int index, out long commitNum, out byte[]? metadata)
    {
        commitNum = -1;
        metadata = null;
        var slot = new byte[SlotSize];
        if (RandomAccess.Read(_file, slot, (long)index * SlotSize) < HeaderSize) return false;
        if (BinaryPrimitives.ReadUInt32LittleEndian(slot) != Magic || BinaryPrimitives.ReadUInt16LittleEndian(slot.AsSpan(4)) != Version) return false;
        int length = BinaryPrimitives.ReadInt32LittleEndian(slot.AsSpan(16));
        if (length is < 0 or > SlotSize - HeaderSize) return false;
        uint crc = Crc32C.Append(Crc32C.Compute(slot.AsSpan(0, 20)), slot.AsSpan(HeaderSize, length));
        if (crc != BinaryPrimitives.ReadUInt32LittleEndian(slot.AsSpan(20))) return false;
        commitNum = BinaryPrimitives.ReadInt64LittleEndian(slot.AsSpan(8));
        metadata = slot.AsSpan(HeaderSize, length).ToArray();
        return true;
    }

    // Slots are overwritten in turn: there is nothing to remove.
    public void RemoveCommit(long commitNum) { }

    public void RemoveAllCommits()
    {
        if (_readOnly) return;
        RandomAccess.Write(_file, new byte[2 * SlotSize], 0);
        RandomAccess.FlushToDisk(_file);
    }

    public void OnRecovery(long commitNum) { }

    public void Dispose() => _file.Dispose();
}
