using System.Buffers.Binary;
using System.Text;
using Ledger.Engine.Domain;
using Ledger.Engine.Encoding;

namespace Ledger.ReadSide;

/// <summary>
/// The read store's keys and values (explicit code; keys big-endian so they sort by account, then time or sequence).
/// Two column families: <c>rows</c> holds each entry's row once, under a key that appends (time, then the global
/// sequence), so its runs do not overlap and compaction moves them instead of rewriting them; the default family holds
/// the small keys by account (docs/decisions.md, "History written about once").
/// <code>
/// family   key                                               value
/// rows     timestamp(i64 BE) sequence(i64 BE)                account i64 | an entry row (below); also the whole-ledger statement's order
/// default  'a' account(i64 BE)                               currency i32 | overdraft i64 | openedAt i64                  (20 bytes)
/// default  's' account sequence(i64 BE)                      timestamp i64 (the row's key: an account's entries in sequence order)
/// default  'i' account correlationId                         sequence i64 (layout 3 only: ReadStoreSettings.IdKeys)
/// default  'h' account timestamp(i64 BE) record(i64 BE)      available z | held z | first sequence of the account in that record v (0: none)
/// default  'p' partition(i32 BE)                             next offset i64 of that ledger.events partition (a statements replica)
/// default  'f'                                               the layout: "rows by time and sequence" version u8 (3 with 'i' keys, 4 without)
/// default  'w'                                               the watermark: version u8 | record i64 | next journal address i64 | last sequence i64
///
/// entry row, version 2: version u8 | timestamp i64 | kind u8 | status u8 | entryType z | amount z | expiresAt z
///   | referenceSequence v | reversedBySequence v | available z | held z | correlationId (length u8, ASCII) | description (length v, UTF-8; 0 = none, else length + 1)
/// </code>
/// (v = LEB128, z = zigzag LEB128.) Another version is refused: the read store is rebuilt from the journal. Version 2
/// (rows by account and sequence in one family, and a separate whole-ledger index) has no <c>rows</c> family and is
/// refused at open.
/// </summary>
internal static class ReadCodec
{
    public const byte Version = 3; // 2: the whole-ledger index ('l'); 3: rows by (time, sequence) in their own family
    /// <summary>
    /// The layout marker of a store in layout 3 without the correlation-id keys ('i'): the entry store beside it answers
    /// by correlation id (the ledger's own read store). Rows and watermark are those of <see cref="Version"/>.
    /// </summary>
    public const byte LayoutWithoutIdKeys = 4;
    public const string RowsFamily = "rows";
    public const byte AccountPrefix = (byte)'a';
    public const byte RowPrefix = (byte)'s';
    /// <summary>A key's kind byte and account: what an account's keys of one kind share (the memtable's insert hints).</summary>
    public const int AccountPrefixBytes = 1 + 8;
    public const byte IdPrefix = (byte)'i';
    public const byte HistoryPrefix = (byte)'h';
    public const byte PartitionPrefix = (byte)'p';
    public static ReadOnlySpan<byte> WatermarkKey => "w"u8;
    public static ReadOnlySpan<byte> LayoutKey => "f"u8;

    public const int KeyBytesMax = 1 + 8 + 64;
    public const int HistoryKeyBytes = 1 + 8 + 8 + 8;
    public const int RowKeyBytes = 8 + 8;
    public const int IndexKeyBytes = 1 + 8 + 8;
    public const int RowBytesMax = 8 + 1 + 8 + 2 + 8 * 10 + 1 + 64 + 5 + 4 * 256;

    public static int AccountKey(long account, Span<byte> into)
    {
        into[0] = AccountPrefix;
        BinaryPrimitives.WriteInt64BigEndian(into[1..], account);
        return 9;
    }

    /// <summary>An account's entry in sequence order (default family): its value is the row's timestamp.</summary>
    public static int IndexKey(long account, long sequence, Span<byte> into)
    {
        into[0] = RowPrefix;
        BinaryPrimitives.WriteInt64BigEndian(into[1..], account);
        BinaryPrimitives.WriteInt64BigEndian(into[9..], sequence);
        return IndexKeyBytes;
    }

    /// <summary>A row (the <c>rows</c> family): time, then the global sequence, so keys append as the ledger writes.</summary>
    public static int RowKey(long timestampTicks, long sequence, Span<byte> into)
    {
        BinaryPrimitives.WriteInt64BigEndian(into, timestampTicks);
        BinaryPrimitives.WriteInt64BigEndian(into[8..], sequence);
        return RowKeyBytes;
    }

    public static int IdKey(long account, string correlationId, Span<byte> into)
    {
        into[0] = IdPrefix;
        BinaryPrimitives.WriteInt64BigEndian(into[1..], account);
        return 9 + Encoding.ASCII.GetBytes(correlationId, into[9..]);
    }

    public static int HistoryKey(long account, long timestampTicks, long record, Span<byte> into)
    {
        into[0] = HistoryPrefix;
        BinaryPrimitives.WriteInt64BigEndian(into[1..], account);
        BinaryPrimitives.WriteInt64BigEndian(into[9..], timestampTicks);
        BinaryPrimitives.WriteInt64BigEndian(into[17..], record);
        return HistoryKeyBytes;
    }

    public static int PartitionKey(int partition, Span<byte> into)
    {
        into[0] = PartitionPrefix;
        BinaryPrimitives.WriteInt32BigEndian(into[1..], partition);
        return 5;
    }

    /// <summary>A partition's position: next offset, last record, last index (20 bytes, little-endian). An older 8-byte value holds the offset alone.</summary>
    public static int WritePartition(PartitionPosition position, Span<byte> into)
    {
        BinaryPrimitives.WriteInt64LittleEndian(into, position.NextOffset);
        BinaryPrimitives.WriteInt64LittleEndian(into[8..], position.Record);
        BinaryPrimitives.WriteInt32LittleEndian(into[16..], position.Index);
        return 20;
    }

    public static PartitionPosition ReadPartition(ReadOnlySpan<byte> from) => from.Length switch
    {
        20 => new PartitionPosition(BinaryPrimitives.ReadInt64LittleEndian(from), BinaryPrimitives.ReadInt64LittleEndian(from[8..]), BinaryPrimitives.ReadInt32LittleEndian(from[16..])),
        8 => new PartitionPosition(BinaryPrimitives.ReadInt64LittleEndian(from), 0, -1),
        _ => throw new ReadStoreFormatException($"a partition position of {from.Length} bytes"),
    };

    public static (long TimestampTicks, long Sequence) OfRowKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != RowKeyBytes) throw new ReadStoreFormatException($"a row key of {key.Length} bytes");
        return (BinaryPrimitives.ReadInt64BigEndian(key), BinaryPrimitives.ReadInt64BigEndian(key[8..]));
    }

    public static long SequenceOfIndexKey(ReadOnlySpan<byte> key) => BinaryPrimitives.ReadInt64BigEndian(key[9..]);

    /// <summary>An index value: the row's timestamp.</summary>
    public static long ReadIndex(ReadOnlySpan<byte> from) => from.Length == 8
        ? BinaryPrimitives.ReadInt64LittleEndian(from)
        : throw new ReadStoreFormatException($"an account index value of {from.Length} bytes");

    /// <summary>A stored row: the account, then the row.</summary>
    public static int WriteStoredRow(long account, in RowData row, Span<byte> into)
    {
        BinaryPrimitives.WriteInt64LittleEndian(into, account);
        return 8 + WriteRow(in row, into[8..]);
    }

    public static (long Account, RowData Row) ReadStoredRow(ReadOnlySpan<byte> from) => from.Length < 8
        ? throw new ReadStoreFormatException($"a stored row of {from.Length} bytes")
        : (BinaryPrimitives.ReadInt64LittleEndian(from), ReadRow(from[8..]));

    public static void WriteAccount(CurrencyCode currency, long overdraft, long openedAt, Span<byte> into)
    {
        BinaryPrimitives.WriteInt32LittleEndian(into, currency.Packed);
        BinaryPrimitives.WriteInt64LittleEndian(into[4..], overdraft);
        BinaryPrimitives.WriteInt64LittleEndian(into[12..], openedAt);
    }

    public static (CurrencyCode Currency, long Overdraft, long OpenedAt) ReadAccount(ReadOnlySpan<byte> from)
    {
        if (from.Length != 20) throw new ReadStoreFormatException($"an account value of {from.Length} bytes");
        return (new CurrencyCode(BinaryPrimitives.ReadInt32LittleEndian(from)), BinaryPrimitives.ReadInt64LittleEndian(from[4..]), BinaryPrimitives.ReadInt64LittleEndian(from[12..]));
    }

    public static int WriteHistory(Balances balances, long firstSequence, Span<byte> into)
    {
        var w = new VarWriter(into, 0);
        w.Signed(balances.AvailableMinor);
        w.Signed(balances.HeldMinor);
        w.Unsigned((ulong)firstSequence);
        return w.Position;
    }

    public static (Balances Balances, long FirstSequence) ReadHistory(ReadOnlySpan<byte> from)
    {
        try
        {
            var r = new VarReader(from);
            var read = (new Balances(r.Signed(), r.Signed()), (long)r.Unsigned());
            if (r.Remaining != 0) throw new VarFormatException($"{r.Remaining} bytes after the values");
            return read;
        }
        catch (Exception ex) when (ex is IndexOutOfRangeException or ArgumentOutOfRangeException or VarFormatException)
        {
            throw new ReadStoreFormatException($"a balance history value of {from.Length} bytes that does not decode");
        }
    }

    public static int WriteRow(in RowData row, Span<byte> into)
    {
        into[0] = Version;
        BinaryPrimitives.WriteInt64LittleEndian(into[1..], row.TimestampTicks);
        into[9] = (byte)row.Kind;
        into[10] = (byte)row.Status;
        var w = new VarWriter(into, 11);
        w.Signed(row.EntryType);
        w.Signed(row.AmountMinor);
        w.Signed(row.ExpiresAtTicks);
        w.Unsigned((ulong)row.ReferenceSequence);
        w.Unsigned((ulong)row.ReversedBySequence);
        w.Signed(row.BalancesAfter.AvailableMinor);
        w.Signed(row.BalancesAfter.HeldMinor);
        w.Ascii(row.CorrelationId);
        w.Text(row.Description);
        return w.Position;
    }

    public static RowData ReadRow(ReadOnlySpan<byte> from)
    {
        if (from.Length < 12 || from[0] != Version) throw new ReadStoreFormatException($"an entry row of {from.Length} bytes (version {(from.Length > 0 ? from[0] : 0)})");
        try
        {
            var r = new VarReader(from, 11);
            return new RowData
            {
                TimestampTicks = BinaryPrimitives.ReadInt64LittleEndian(from[1..]),
                Kind = (EntryKind)from[9],
                Status = (EntryStatus)from[10],
                EntryType = (int)r.Signed(),
                AmountMinor = r.Signed(),
                ExpiresAtTicks = r.Signed(),
                ReferenceSequence = (long)r.Unsigned(),
                ReversedBySequence = (long)r.Unsigned(),
                BalancesAfter = new Balances(r.Signed(), r.Signed()),
                CorrelationId = r.Ascii(),
                Description = r.Text(),
            };
        }
        catch (Exception ex) when (ex is IndexOutOfRangeException or ArgumentOutOfRangeException or VarFormatException)
        {
            throw new ReadStoreFormatException($"an entry row of {from.Length} bytes that does not decode");
        }
    }

    public static void WriteWatermark(ReadWatermark w, Span<byte> into)
    {
        into[0] = Version;
        BinaryPrimitives.WriteInt64LittleEndian(into[1..], w.RecordNumber);
        BinaryPrimitives.WriteInt64LittleEndian(into[9..], w.NextAddress);
        BinaryPrimitives.WriteInt64LittleEndian(into[17..], w.LastSequence);
    }

    public static ReadWatermark ReadWatermark(ReadOnlySpan<byte> from)
    {
        if (from.Length != 25 || from[0] != Version) throw new ReadStoreFormatException($"a watermark of {from.Length} bytes");
        return new ReadWatermark(BinaryPrimitives.ReadInt64LittleEndian(from[1..]), BinaryPrimitives.ReadInt64LittleEndian(from[9..]), BinaryPrimitives.ReadInt64LittleEndian(from[17..]));
    }

}

/// <summary>An entry row as stored (references by sequence; the reader resolves them to correlation ids).</summary>
internal struct RowData
{
    public long TimestampTicks;
    public EntryKind Kind;
    public EntryStatus Status;
    public int EntryType;
    public long AmountMinor;
    public long ExpiresAtTicks;
    public long ReferenceSequence;
    public long ReversedBySequence;
    public Balances BalancesAfter;
    public string CorrelationId;
    public string? Description;
}

/// <summary>The read store holds something this build cannot read: it is rebuilt from the journal.</summary>
public sealed class ReadStoreFormatException(string what) : Exception($"The read store is not readable: {what}. It is rebuilt from the journal (delete its directory).");
