using System.Buffers.Binary;

namespace Ledger.Engine.Encoding;

/// <summary>
/// Reads what <see cref="VarWriter"/> wrote. Bytes that do not decode throw: <see cref="IndexOutOfRangeException"/> or
/// <see cref="ArgumentOutOfRangeException"/> past the end, <see cref="VarFormatException"/> for a varint over 64 bits.
/// </summary>
public ref struct VarReader(ReadOnlySpan<byte> from, int position = 0)
{
    private readonly ReadOnlySpan<byte> _from = from;
    private int _position = position;

    public readonly int Remaining => _from.Length - _position;

    public ulong Unsigned()
    {
        ulong v = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            byte b = _from[_position++];
            v |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return v;
        }
        throw new VarFormatException("a varint longer than 64 bits");
    }

    public long Signed()
    {
        ulong v = Unsigned();
        return (long)(v >> 1) ^ -(long)(v & 1);
    }

    public ulong Fixed()
    {
        ulong v = BinaryPrimitives.ReadUInt64LittleEndian(_from.Slice(_position, 8));
        _position += 8;
        return v;
    }

    public byte Byte() => _from[_position++];

    public ReadOnlySpan<byte> Bytes(int length)
    {
        var v = _from.Slice(_position, length);
        _position += length;
        return v;
    }

    public string Ascii()
    {
        int length = _from[_position++];
        return System.Text.Encoding.ASCII.GetString(Bytes(length));
    }

    public string? Text()
    {
        int length = (int)Unsigned();
        return length == 0 ? null : System.Text.Encoding.UTF8.GetString(Bytes(length - 1));
    }
}
