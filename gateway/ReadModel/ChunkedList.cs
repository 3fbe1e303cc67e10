namespace Ledger.Gateway.ReadModel;

/// <summary>
/// An append-only list of structs in fixed chunks: growing never copies more than the first (small) chunk, so an
/// account with millions of entries neither re-copies them nor lands one huge array on the large-object heap.
/// Not thread-safe: the owner locks.
/// </summary>
internal sealed class ChunkedList<T> where T : struct
{
    private const int ChunkShift = 10;
    private const int ChunkSize = 1 << ChunkShift;
    private const int ChunkMask = ChunkSize - 1;
    private const int FirstCapacity = 4;

    private T[][] _chunks = [new T[FirstCapacity]];
    private int _chunkCount = 1;

    public int Count { get; private set; }

    public ref T this[int index] => ref _chunks[index >> ChunkShift][index & ChunkMask];

    public void Add(in T item)
    {
        int chunk = Count >> ChunkShift;
        int offset = Count & ChunkMask;
        if (chunk == 0)
        {
            // The first chunk starts small (most accounts have few entries) and doubles up to a full chunk.
            if (offset == _chunks[0].Length) Array.Resize(ref _chunks[0], _chunks[0].Length * 2);
        }
        else if (chunk == _chunkCount)
        {
            if (_chunkCount == _chunks.Length) Array.Resize(ref _chunks, _chunks.Length * 2);
            _chunks[_chunkCount++] = new T[ChunkSize];
        }
        _chunks[chunk][offset] = item;
        Count++;
    }

    /// <summary>Bytes held by the chunks (for the memory-per-entry figure).</summary>
    public long FootprintBytes(int itemBytes)
    {
        long bytes = (long)_chunks.Length * IntPtr.Size;
        for (int i = 0; i < _chunkCount; i++) bytes += (long)_chunks[i].Length * itemBytes;
        return bytes;
    }
}
