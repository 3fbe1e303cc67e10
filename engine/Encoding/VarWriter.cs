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

