using System.Buffers;
using System.Text;

namespace Ledger.Gateway.Kafka;

/// <summary>
/// Reads Avro's binary encoding from a span, without a schema object or a record per value: zig-zag varints, strings,
/// union branch indexes, array blocks. Every length and count is checked against the bytes left, so hostile input
/// (negative or huge lengths, truncation) is an <see cref="AvroFormatException"/>, never an allocation of its size.
/// </summary>
internal ref struct AvroReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _at;

    public readonly int Remaining => _data.Length - _at;

    public long ReadLong()
    {
        ulong raw = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (_at >= _data.Length) throw new AvroFormatException("the message ends inside a number");
            byte b = _data[_at++];
            raw |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return (long)(raw >> 1) ^ -(long)(raw & 1);
        }
        throw new AvroFormatException("a number is longer than 10 bytes");
    }

    public int ReadInt()
    {
        long value = ReadLong();
        if (value is < int.MinValue or > int.MaxValue) throw new AvroFormatException($"{value} is out of an int's range");
        return (int)value;
    }

    public string ReadString()
    {
        long length = ReadLong();
        if (length < 0 || length > Remaining) throw new AvroFormatException($"a string claims {length} bytes, {Remaining} are left");
        string value = Encoding.UTF8.GetString(_data.Slice(_at, (int)length));
        _at += (int)length;
        return value;
    }

    /// <summary>A string's UTF-8 bytes, without making a string of them (bounds-checked like <see cref="ReadString"/>).</summary>
    public ReadOnlySpan<byte> ReadStringBytes()
    {
        long length = ReadLong();
        if (length < 0 || length > Remaining) throw new AvroFormatException($"a string claims {length} bytes, {Remaining} are left");
        var bytes = _data.Slice(_at, (int)length);
        _at += (int)length;
        return bytes;
    }

    /// <summary>An enum's symbol index, checked against its symbol count.</summary>
    public int ReadEnum(int symbols)
    {
        int index = ReadInt();
        if ((uint)index >= (uint)symbols) throw new AvroFormatException($"enum index {index} is not one of its {symbols} symbols");
        return index;
    }

    /// <summary>A <c>["null", T]</c> union: true when the value (T) follows, false for null.</summary>
    public bool ReadOptional()
    {
        long branch = ReadLong();
        if (branch is not (0 or 1)) throw new AvroFormatException($"union branch {branch} of a [null, T] union");
        return branch == 1;
    }

    public string? ReadOptionalString() => ReadOptional() ? ReadString() : null;
    public int? ReadOptionalInt() => ReadOptional() ? ReadInt() : null;
    public long? ReadOptionalLong() => ReadOptional() ? ReadLong() : null;

    /// <summary>The item count of the next array block (0: the array ended). A negative count is followed by the block's byte size, which is skipped over.</summary>
    public int ReadBlockCount(int itemBytesMin)
    {
        long count = ReadLong();
        if (count < 0)
        {
            if (count == long.MinValue) throw new AvroFormatException("an array block count of -2^63");
            count = -count;
            long bytes = ReadLong();
            if (bytes < 0 || bytes > Remaining) throw new AvroFormatException($"an array block claims {bytes} bytes, {Remaining} are left");
        }
        if (count > Remaining / Math.Max(1, itemBytesMin)) throw new AvroFormatException($"an array block claims {count} items, {Remaining} bytes are left");
        return (int)count;
    }
}

/// <summary>Writes Avro's binary encoding into a reusable buffer (one writer per thread).</summary>
internal sealed class AvroWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);

    public void Reset() => _buffer.ResetWrittenCount();

    public ReadOnlySpan<byte> Written => _buffer.WrittenSpan;

    public void WriteBytes(ReadOnlySpan<byte> bytes) => _buffer.Write(bytes);

    public void WriteLong(long value)
    {
        ulong raw = (ulong)((value << 1) ^ (value >> 63));
        var span = _buffer.GetSpan(10);
        int n = 0;
        while (raw >= 0x80)
        {
            span[n++] = (byte)(raw | 0x80);
            raw >>= 7;
        }
        span[n++] = (byte)raw;
        _buffer.Advance(n);
    }

    public void WriteInt(int value) => WriteLong(value);

    public void WriteString(string value)
    {
        int bytes = Encoding.UTF8.GetByteCount(value);
        WriteLong(bytes);
        Encoding.UTF8.GetBytes(value, _buffer.GetSpan(bytes));
        _buffer.Advance(bytes);
    }

    public void WriteNull() => WriteLong(0);

    public void WriteOptional(string? value)
    {
        if (value is null)
        {
            WriteLong(0);
            return;
        }
        WriteLong(1);
        WriteString(value);
    }

    public void WriteOptional(long? value)
    {
        if (value is not { } v)
        {
            WriteLong(0);
            return;
        }
        WriteLong(1);
        WriteLong(v);
    }

    /// <summary>A currency as the Avro string of its three letters (empty for none), without a string.</summary>
    public void WriteCurrency(Ledger.Engine.Domain.CurrencyCode currency)
    {
        if (currency.IsNone)
        {
            WriteLong(0);
            return;
        }
        WriteLong(3);
        currency.WriteLetters(_buffer.GetSpan(3));
        _buffer.Advance(3);
    }

    /// <summary>The bytes written so far as a new array (what a Kafka message value takes).</summary>
    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
}

/// <summary>Bytes that are not the Avro datum they claim to be.</summary>
internal sealed class AvroFormatException(string message) : Exception(message);
