using System.Buffers.Binary;

namespace Ledger.Engine.Encoding;

/// <summary>
/// Writes the compact value encodings of the stores (entry store, read store) into a span: LEB128 unsigned, zigzag
/// LEB128 signed, fixed little-endian, bytes, short ASCII (length byte) and optional UTF-8 text (length + 1; 0 = none).
/// The caller sizes the span for the worst case. Read back with <see cref="VarReader"/>.
/// Usage: <c>var w = new VarWriter(buffer, 0); w.Signed(amount); w.Ascii(id); int length = w.Position;</c>
/// </summary>
public ref struct VarWriter(Span<byte> into, int position)
{
    private readonly Span<byte> _into = into;
    public int Position = position;

    public void Unsigned(ulong v)
    {
        while (v >= 0x80)
        {
            _into[Position++] = (byte)(v | 0x80);
            v >>= 7;
        }
        _into[Position++] = (byte)v;
    }

    public void Signed(long v) => Unsigned((ulong)((v << 1) ^ (v >> 63)));

    public void Fixed(ulong v)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_into[Position..], v);
        Position += 8;
    }

    public void Byte(byte v) => _into[Position++] = v;

    public void Bytes(scoped ReadOnlySpan<byte> v)
    {
        v.CopyTo(_into[Position..]);
        Position += v.Length;
    }

    /// <summary>An ASCII string of at most 255 characters, after its length byte.</summary>
    public void Ascii(string s)
    {
        _into[Position++] = (byte)s.Length;
        Position += System.Text.Encoding.ASCII.GetBytes(s, _into[Position..]);
    }

    /// <summary>Optional UTF-8 text: its byte length + 1 (0 for none), then the bytes.</summary>
    public void Text(string? s)
    {
        if (s is null)
        {
            Unsigned(0);
            return;
        }
        int length = System.Text.Encoding.UTF8.GetByteCount(s);
        Unsigned((ulong)length + 1);
        Position += System.Text.Encoding.UTF8.GetBytes(s, _into[Position..]);
    }
}

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

/// <summary>Bytes that are not what <see cref="VarWriter"/> writes (the stores turn it into their own format error).</summary>
public sealed class VarFormatException(string message) : FormatException(message);
