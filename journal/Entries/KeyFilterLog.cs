using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using Ledger.Journal.Format;
using Microsoft.Win32.SafeHandles;

namespace Ledger.Journal.Entries;

/// <summary>
/// The key filter's log: the hash of every key the store writer adds, appended beside the store once per store batch, so
/// that a start brings the filter from its saved file (<c>key-filter.bin</c>, rewritten by a checkpoint once this log is long enough) up to the
/// store's own checkpoint (which moves with every memtable flush, between two saves) by reading 8 bytes a key — instead
/// of topping it up from the journal's records, or asking RocksDB for every key of the replay while it is incomplete.
/// <para>Segments: <c>key-filter.&lt;n&gt;.log</c>. Each filter save first starts a new segment (<see cref="Rotate"/>),
/// saves the file as covering everything appended before, then deletes the older segments (<see cref="RetireBefore"/>),
/// so the log holds what came after the last save — at most about <see cref="EntryStoreSettings.KeyFilterSaveAfterLogBytes"/>
/// (8 bytes a key), as the periodic checkpoint saves once it holds that much — and a crash at any point leaves a file
/// plus a continuous chain of chunks after it.</para>
/// <para>Not fsynced: a SIGKILL leaves what was written in the page cache; a power cut may lose or tear the tail, which
/// the checksum finds; <see cref="Apply"/> stops at the first chunk that does not continue the coverage, and the journal
/// top-up fills what is left (correct, slower: as without the log). A failed append (a full disk) stops the segment
/// until the next rotation; it never fails the store writer.</para>
/// <code>
/// segment: chunk*
/// chunk:   first record i64 | last record i64 | next journal address i64 | hashes i32 | crc32c u32 (header's first 28 bytes, then the hashes) | hashes (u64 LE each)
/// </code>
/// A chunk covers records first..last: every key those records wrote is among its hashes. The writer appends one at
/// every store batch's end (with no hashes when the batch wrote no key), so the store's checkpoint, always a batch's
/// end, is always a chunk's end.
/// Threads: the store thread appends, the checkpointer rotates and retires; one lock, uncontended but at a save.
/// Usage: <c>var applied = KeyFilterLog.Apply(dir, filter, covered, next, checkpoint, trim: true); var log = new KeyFilterLog(dir, applied.NextSegment);</c>
/// </summary>
public sealed class KeyFilterLog : IDisposable
{
    private const string FilePrefix = "key-filter.";
    private const string FileSuffix = ".log";
    private const int ChunkHeaderBytes = 32;

    /// <summary>A segment's bound: past it appends stop until the next rotation (a save), and the journal covers the rest. About 33 M keys.</summary>
    public const long SegmentBytesMax = 256L << 20;

    private readonly string _directory;
    private readonly object _gate = new();
    private SafeFileHandle? _file; // the current segment, created at its first append
    private int _segment;
    private long _length;
    private long _earlierBytes;
    private long _lastRecord, _lastNextAddress;
    private long _chunks;
    private bool _disposed;

    /// <param name="nextSegment">The number of the first segment this log writes (<see cref="Applied.NextSegment"/>).</param>
    public KeyFilterLog(string directory, int nextSegment)
    {
        _directory = directory;
        _segment = nextSegment;
        foreach (var (number, path) in Segments(directory))
        {
            if (number < nextSegment) _earlierBytes += new FileInfo(path).Length; // a start's segments, until a save retires them
        }
    }

    /// <summary>
    /// Bytes the log holds after the filter's file: the segments found at the open (until the next rotation, which a save
    /// follows by retiring them) and the current one. A start reads about this much.
    /// </summary>
    public long Length
    {
        get
        {
            lock (_gate) return _earlierBytes + _length;
        }
    }

    /// <summary>Why the current segment stopped taking chunks (null: it takes them). Reset by the next rotation.</summary>
    public string? Stopped { get; private set; }

    /// <summary>Chunks written since open.</summary>
    public long Chunks => Interlocked.Read(ref _chunks);

    /// <summary>
    /// Appends a chunk: <paramref name="hashes"/>' keys cover records <paramref name="first"/>..<paramref name="last"/>,
    /// and the journal continues at <paramref name="nextAddress"/> after the last. Call it after the keys' bits are set in
    /// the filter (a save may then claim them covered) and before the store writes them. Never throws for the disk.
    /// </summary>
    public void Append(long first, long last, long nextAddress, Hashes hashes)
    {
        if (first <= 0 || first > last) throw new ArgumentException($"A chunk covers records first..last, not {first}..{last}.");
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (Stopped is not null) return; // later chunks would not continue this segment's coverage: none until the next segment
            var chunk = hashes.Seal(first, last, nextAddress);
            if (_length + chunk.Length > SegmentBytesMax)
            {
                Stopped = $"segment {_segment} reached its bound of {SegmentBytesMax} bytes";
                return;
            }
            try
            {
                _file ??= File.OpenHandle(SegmentPath(_directory, _segment), FileMode.Create, FileAccess.Write, FileShare.Read);
                RandomAccess.Write(_file, chunk.Span, _length);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Stopped = ex.Message;
                return;
            }
            _length += chunk.Length;
            _lastRecord = last;
            _lastNextAddress = nextAddress;
            Interlocked.Increment(ref _chunks);
        }
    }

    /// <summary>
    /// Starts a new segment for the appends after this call; returns the last record appended before it (0: none since
    /// open) with its next journal address, and the new segment's number (for <see cref="RetireBefore"/>). The filter's
    /// bits of every chunk appended before it are set, so a save made after this call may claim that record covered.
    /// </summary>
    public (long Record, long NextAddress, int Segment) Rotate()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_file is not null || Stopped is not null)
            {
                _file?.Dispose();
                _file = null;
                _segment++;
                _length = 0;
                _earlierBytes = 0;
                Stopped = null;
            }
            return (_lastRecord, _lastNextAddress, _segment);
        }
    }

    /// <summary>Deletes the segments numbered below <paramref name="segment"/>: a saved filter file covers all they hold.</summary>
    public void RetireBefore(int segment)
    {
        foreach (var (number, path) in Segments(_directory))
        {
            if (number < segment) Storage.DurableFiles.TryDelete(path); // one left over is retired at the next save, and only skipped at a start
        }
    }

    /// <summary>Deletes every segment (at open, when the filter was not loaded from its file: the log is of no use to it).</summary>
    public static void DeleteAll(string directory)
    {
        foreach (var (_, path) in Segments(directory)) Storage.DurableFiles.TryDelete(path);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _file?.Dispose();
            _file = null;
        }
    }

    /// <summary>What <see cref="Apply"/> added to a loaded filter.</summary>
    /// <param name="FileCovered">The record the filter's file covered.</param>
    /// <param name="Covered">The record the filter now covers (the file's, or the last chunk's that continued it).</param>
    /// <param name="NextAddress">Where the journal continues after <paramref name="Covered"/>.</param>
    /// <param name="Keys">Hashes added.</param>
    /// <param name="Segments">Segment files read.</param>
    /// <param name="NextSegment">The number for the first segment the store writes now (after every existing one).</param>
    /// <param name="Elapsed">Time taken.</param>
    public readonly record struct Applied(long FileCovered, long Covered, long NextAddress, long Keys, int Segments, int NextSegment, TimeSpan Elapsed)
    {
        /// <summary>For the recovery log line.</summary>
        public string Describe() => string.Create(CultureInfo.InvariantCulture,
            $"key filter's file at record {FileCovered}, its log to {Covered} ({Keys} keys from {Segments} segments in {Elapsed.TotalSeconds:0.000} s)");
    }

    /// <summary>
    /// Adds to <paramref name="filter"/> (loaded, not yet shared with any other thread) the keys of the chunks in
    /// <paramref name="directory"/>'s segments that continue its coverage from <paramref name="covered"/>, in order, up to
    /// the store's checkpoint <paramref name="upTo"/> (the replay re-adds every key after it); it stops applying at a gap
    /// (records no chunk covers: the journal top-up fills them).
    /// With <paramref name="trim"/> (a writable store) it then cuts the log at the first chunk that is damaged or ends
    /// after <paramref name="upTo"/>, and deletes the segments after it: what the store lost with its memtables is
    /// written again by the replay, and a chunk past the checkpoint may name records a journal cut is about to discard
    /// (their numbers are then reused), so none may outlive this start. The chunks left are all this journal's.
    /// </summary>
    public static Applied Apply(string directory, KeyFilter filter, long covered, long nextAddress, long upTo, bool trim)
    {
        var clock = Stopwatch.StartNew();
        long fileCovered = covered;
        var segments = Segments(directory);
        long keys = 0;
        int read = 0;
        byte[] header = new byte[ChunkHeaderBytes];
        byte[] body = new byte[1 << 16];
        bool gap = false;
        int cutSegment = -1;
        long cutAt = 0;
        for (int s = 0; s < segments.Count && cutSegment < 0; s++)
        {
            read++;
            using var file = new FileStream(segments[s].Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 20);
            long length = file.Length, at = 0;
            while (true)
            {
                if (at == length) break;
                if (length - at < ChunkHeaderBytes || !ReadChunk(file, length - at, header, ref body, out long first, out long last, out long next, out int count)
                    || last > upTo)
                {
                    cutSegment = s; // torn, damaged or past the checkpoint: nothing from here on is used, or kept
                    cutAt = at;
                    break;
                }
                at += ChunkHeaderBytes + count * 8L;
                if (gap || last <= covered) continue; // after a gap, or covered by the file already
                if (first > covered + 1)
                {
                    gap = true; // records covered+1..first-1 are in no chunk
                    continue;
                }
                for (int offset = 0; offset < count * 8; offset += 8) filter.AddUnshared(BinaryPrimitives.ReadUInt64LittleEndian(body.AsSpan(offset)));
                keys += count;
                covered = last;
                nextAddress = next;
            }
        }
        if (trim && cutSegment >= 0)
        {
            using (var file = File.OpenHandle(segments[cutSegment].Path, FileMode.Open, FileAccess.Write, FileShare.Read)) RandomAccess.SetLength(file, cutAt);
            for (int s = cutSegment + 1; s < segments.Count; s++) File.Delete(segments[s].Path);
        }
        filter.Count(keys);
        int nextSegment = segments.Count == 0 ? 1 : segments[^1].Number + 1;
        return new Applied(fileCovered, covered, nextAddress, keys, read, nextSegment, clock.Elapsed);
    }

    /// <summary>Reads the chunk at the file's position (<paramref name="remaining"/> bytes left in it); false when torn or damaged.</summary>
    private static bool ReadChunk(FileStream file, long remaining, byte[] header, ref byte[] body, out long first, out long last, out long next, out int count)
    {
        file.ReadExactly(header);
        first = BinaryPrimitives.ReadInt64LittleEndian(header);
        last = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(8));
        next = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(16));
        count = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(24));
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(28));
        if (count < 0 || first <= 0 || first > last || (long)count * 8 > remaining - ChunkHeaderBytes) return false;
        if (body.Length < count * 8) body = new byte[Math.Max(count * 8, body.Length * 2)];
        file.ReadExactly(body, 0, count * 8);
        return Crc32C.Append(Crc32C.Compute(header.AsSpan(0, 28)), body.AsSpan(0, count * 8)) == crc;
    }

    /// <summary>The segment files in <paramref name="directory"/>, in the order they were written.</summary>
    private static List<(int Number, string Path)> Segments(string directory)
    {
        var segments = new List<(int Number, string Path)>();
        if (!Directory.Exists(directory)) return segments;
        foreach (string path in Directory.EnumerateFiles(directory, FilePrefix + "*" + FileSuffix))
        {
            string name = Path.GetFileName(path);
            string number = name[FilePrefix.Length..^FileSuffix.Length];
            if (int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out int n)) segments.Add((n, path));
        }
        segments.Sort((a, b) => a.Number.CompareTo(b.Number));
        return segments;
    }

    private static string SegmentPath(string directory, int number) =>
        Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"{FilePrefix}{number:D8}{FileSuffix}"));

    /// <summary>
    /// The store writer's hashes for the next chunk (one per writer; grows to its largest chunk, never shrinks).
    /// Usage: <c>hashes.Add(KeyFilter.HashOf(key)); ... log.Append(first, last, next, hashes); hashes.Clear();</c>
    /// </summary>
    public sealed class Hashes
    {
        private byte[] _buffer = new byte[ChunkHeaderBytes + (1 << 16)];

        /// <summary>Hashes held.</summary>
        public int Count { get; private set; }

        /// <summary>Bytes of hashes held (a writer appends a chunk mid-batch past <see cref="ChunkBytes"/>).</summary>
        public int Bytes => Count * 8;

        /// <summary>Where a writer cuts a chunk at a command's end, so a long batch (a replay's) is not one large write.</summary>
        public const int ChunkBytes = 1 << 20;

        public void Add(ulong hash)
        {
            int at = ChunkHeaderBytes + Count * 8;
            if (at + 8 > _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
            BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(at), hash);
            Count++;
        }

        /// <summary>The <paramref name="index"/>-th hash held.</summary>
        public ulong At(int index)
        {
            System.Diagnostics.Debug.Assert(index < Count, "a hash held");
            return BinaryPrimitives.ReadUInt64LittleEndian(_buffer.AsSpan(ChunkHeaderBytes + index * 8));
        }

        public void Clear() => Count = 0;

        /// <summary>The chunk's bytes: its header (with the checksum) written in front of the hashes.</summary>
        internal ReadOnlyMemory<byte> Seal(long first, long last, long nextAddress)
        {
            var header = _buffer.AsSpan(0, ChunkHeaderBytes);
            BinaryPrimitives.WriteInt64LittleEndian(header, first);
            BinaryPrimitives.WriteInt64LittleEndian(header[8..], last);
            BinaryPrimitives.WriteInt64LittleEndian(header[16..], nextAddress);
            BinaryPrimitives.WriteInt32LittleEndian(header[24..], Count);
            uint crc = Crc32C.Append(Crc32C.Compute(header[..28]), _buffer.AsSpan(ChunkHeaderBytes, Count * 8));
            BinaryPrimitives.WriteUInt32LittleEndian(header[28..], crc);
            return _buffer.AsMemory(0, ChunkHeaderBytes + Count * 8);
        }
    }
}
