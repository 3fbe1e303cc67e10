using System.Buffers;

namespace Ledger.Journal.Format;

/// <summary>A growable byte buffer the MessagePack writer writes into; reused for every record (no allocation per record).</summary>
internal sealed class RecordBuffer(int initialCapacity = 4096) : IBufferWriter<byte>
{
    private byte[] _buffer = new byte[initialCapacity];

    public int Length { get; private set; }

    public int Capacity => _buffer.Length;

    public Span<byte> Written => _buffer.AsSpan(0, Length);

    public void Clear() => Length = 0;

    public void Advance(int count) => Length += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(Length);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(Length);
    }

    private void Ensure(int sizeHint)
    {
        int needed = Length + Math.Max(sizeHint, 1);
        if (needed > _buffer.Length) Array.Resize(ref _buffer, Math.Max(needed, _buffer.Length * 2));
    }
}
