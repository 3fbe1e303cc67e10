using System.Buffers;
using System.Buffers.Binary;
using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Encoding;
using Ledger.Engine.State;
using Ledger.Journal.Format;
using MessagePack;

namespace Ledger.Journal.Entries;

/// <summary>
/// The entry store's keys and values, written and read by explicit code (integers little-endian or LEB128 in values,
/// big-endian in keys so keys sort by number). Changing a layout means a new <see cref="FormatVersion"/>; a store of
/// another version is rebuilt from the journal (it is an index of the journal, never the only copy of anything).
/// <code>
/// key                                   value
/// 'E' account(i64 BE) correlationId     entry image (below)
/// 'B' bundleId                          entry image of the bundle (flag Bundle)
/// 'H' sequence(i64 BE)                  entry image of an open hold (kept while PENDING; with 'E')
/// 'A' account(i64 BE)                   account: key i64, currency i32, reserved i32, overdraft i64, available i64, held i64, openedAt i64
/// 'D' account(i64 BE) scope(i32 BE)     daily rule counter: account i64, scope i32, day i32, count i32, reserved i32, sum i64 (LE)
/// 'M'                                   the checkpoint (see <see cref="StoreCheckpoint"/>)
/// 'C'                                   the catalog in force at the checkpoint (MessagePack, as in the journal)
///
/// entry image, format 2 (typically 60-80 bytes; every byte is written, flushed and compacted, so it is compact):
///   0 version u8 = 2 | 1 kind | 2 status | 3 answeredStatus | 4 direction | 5 decline | 6 declineRuleId | 7 flags
///   8 present u16: which optional fields follow (bit n: field marked [n] below)
///  10 then, in this order (v = LEB128 unsigned, z = zigzag LEB128, 8 = 8 bytes LE):
///     account z | entryType z | [0] requestedEntryType z (when it differs) | currency v | [1] requestedCurrency v (differs)
///     | amount z | [2] requestedAmount z (differs) | [3] expiresAt z (not 0) | [4] requestedExpiresAt z (differs from
///     expiresAt) | [5] descriptionHash 8 (not 0) | [6] referenceHash 8 (not 0) | sequence v | timestamp 8
///     | [7] heldRemaining z (not 0) | [8] referenceSequence v (not 0) | [9] reversedBySequence v (not 0)
///     | availableAfter z | heldAfter z | recordNumber v | commandPosition v | commandCount v
///     | [10] declineEntryIndex z (not 0) | lastChange - recordNumber v | keyLength u8 | key bytes
/// </code>
/// </summary>
public static class StoreCodec
{
    public const byte FormatVersion = 2;
    public const byte EntryPrefix = (byte)'E';
    public const byte BundlePrefix = (byte)'B';
    public const byte HoldPrefix = (byte)'H';
    public const byte AccountPrefix = (byte)'A';
    public const byte DailyCounterPrefix = (byte)'D';
    /// <summary>A key's kind byte and account: what an account's keys of one kind share (the memtable's insert hints).</summary>
    public const int AccountPrefixBytes = 1 + 8;
    public const int DailyCounterBytes = 32;
    public static ReadOnlySpan<byte> CheckpointKey => "M"u8;
    public static ReadOnlySpan<byte> CatalogKey => "C"u8;

    private const int FixedBytes = 10;
    /// <summary>The largest image: every optional field present, every varint at its longest, the longest key.</summary>
    public const int ImageBytesMax = FixedBytes + 23 * 10 + 1 + EntryKeys.LengthMax;
    public const int KeyBytesMax = 1 + 8 + EntryKeys.LengthMax;
    public const int AccountBytes = 48;

    /// <summary>The store key of an entry (account, correlation id) or, in <see cref="EntryKeys.BundleAccount"/>, a bundle id.</summary>
    public static int EntryKey(long account, ReadOnlySpan<byte> key, Span<byte> into)
    {
        if (account == EntryKeys.BundleAccount)
        {
            into[0] = BundlePrefix;
            key.CopyTo(into[1..]);
            return 1 + key.Length;
        }
        into[0] = EntryPrefix;
        BinaryPrimitives.WriteInt64BigEndian(into[1..], account);
        key.CopyTo(into[9..]);
        return 9 + key.Length;
    }

    public static int HoldKey(long sequence, Span<byte> into)
    {
        into[0] = HoldPrefix;
        BinaryPrimitives.WriteInt64BigEndian(into[1..], sequence);
        return 9;
    }

    public static int AccountKey(long packed, Span<byte> into)
    {
        into[0] = AccountPrefix;
        BinaryPrimitives.WriteInt64BigEndian(into[1..], packed);
        return 9;
    }

    public static int DailyCounterKey(long account, int scope, Span<byte> into)
    {
        into[0] = DailyCounterPrefix;
        BinaryPrimitives.WriteInt64BigEndian(into[1..], account);
        BinaryPrimitives.WriteInt32BigEndian(into[9..], scope);
        return 13;
    }

    public static void WriteDailyCounter(in DailyCounter c, Span<byte> into)
    {
        BinaryPrimitives.WriteInt64LittleEndian(into, c.AccountPacked);
        BinaryPrimitives.WriteInt32LittleEndian(into[8..], c.Scope);
        BinaryPrimitives.WriteInt32LittleEndian(into[12..], c.Day);
        BinaryPrimitives.WriteInt32LittleEndian(into[16..], c.Count);
        BinaryPrimitives.WriteInt32LittleEndian(into[20..], 0);
        BinaryPrimitives.WriteInt64LittleEndian(into[24..], c.SumMinor);
    }

    public static DailyCounter ReadDailyCounter(ReadOnlySpan<byte> value)
    {
        if (value.Length != DailyCounterBytes) throw new StoreFormatException($"a daily counter row has {value.Length} bytes, not {DailyCounterBytes}");
        return new DailyCounter
        {
            AccountPacked = BinaryPrimitives.ReadInt64LittleEndian(value),
            Scope = BinaryPrimitives.ReadInt32LittleEndian(value[8..]),
            Day = BinaryPrimitives.ReadInt32LittleEndian(value[12..]),
            Count = BinaryPrimitives.ReadInt32LittleEndian(value[16..]),
            SumMinor = BinaryPrimitives.ReadInt64LittleEndian(value[24..]),
        };
    }

    public static int WriteImage(in EntryImage e, Span<byte> into)
    {
        into[0] = FormatVersion;
        into[1] = (byte)e.Kind;
        into[2] = (byte)e.Status;
        into[3] = (byte)e.AnsweredStatus;
        into[4] = (byte)e.Direction;
        into[5] = (byte)e.Decline;
        into[6] = e.DeclineRuleId;
        into[7] = (byte)e.Flags;
        int present =
            (e.RequestedEntryType != e.EntryType ? 1 << 0 : 0) |
            (e.RequestedCurrency != e.Currency ? 1 << 1 : 0) |
            (e.RequestedAmountMinor != e.AmountMinor ? 1 << 2 : 0) |
            (e.ExpiresAtTicks != 0 ? 1 << 3 : 0) |
            (e.RequestedExpiresAtTicks != e.ExpiresAtTicks ? 1 << 4 : 0) |
            (e.DescriptionHash != 0 ? 1 << 5 : 0) |
            (e.ReferenceHash != 0 ? 1 << 6 : 0) |
            (e.HeldRemainingMinor != 0 ? 1 << 7 : 0) |
            (e.ReferenceSequence != 0 ? 1 << 8 : 0) |
            (e.ReversedBySequence != 0 ? 1 << 9 : 0) |
            (e.DeclineEntryIndex != 0 ? 1 << 10 : 0);
        BinaryPrimitives.WriteUInt16LittleEndian(into[8..], (ushort)present);
        var w = new VarWriter(into, FixedBytes);
        w.Signed(e.AccountPacked);
        w.Signed(e.EntryType);
        if ((present & 1 << 0) != 0) w.Signed(e.RequestedEntryType);
        w.Unsigned((uint)e.Currency.Packed);
        if ((present & 1 << 1) != 0) w.Unsigned((uint)e.RequestedCurrency.Packed);
        w.Signed(e.AmountMinor);
        if ((present & 1 << 2) != 0) w.Signed(e.RequestedAmountMinor);
        if ((present & 1 << 3) != 0) w.Signed(e.ExpiresAtTicks);
        if ((present & 1 << 4) != 0) w.Signed(e.RequestedExpiresAtTicks);
        if ((present & 1 << 5) != 0) w.Fixed(e.DescriptionHash);
        if ((present & 1 << 6) != 0) w.Fixed(e.ReferenceHash);
        w.Unsigned((ulong)e.Sequence);
        w.Fixed((ulong)e.TimestampTicks);
        if ((present & 1 << 7) != 0) w.Signed(e.HeldRemainingMinor);
        if ((present & 1 << 8) != 0) w.Unsigned((ulong)e.ReferenceSequence);
        if ((present & 1 << 9) != 0) w.Unsigned((ulong)e.ReversedBySequence);
        w.Signed(e.BalancesAfter.AvailableMinor);
        w.Signed(e.BalancesAfter.HeldMinor);
        w.Unsigned((ulong)e.RecordNumber);
        w.Unsigned((uint)e.CommandPosition);
        w.Unsigned((uint)e.CommandCount);
        if ((present & 1 << 10) != 0) w.Signed(e.DeclineEntryIndex);
        w.Unsigned((ulong)(e.LastChange - e.RecordNumber));
        w.Byte(e.KeyLength);
        w.Bytes(e.KeySpan);
        return w.Position;
    }

    /// <summary>Reads an image; throws <see cref="StoreFormatException"/> for another version or a value that does not decode.</summary>
    public static void ReadImage(ReadOnlySpan<byte> from, out EntryImage e)
    {
        e = default;
        if (from.Length < FixedBytes || from[0] != FormatVersion)
            throw new StoreFormatException($"an entry value of {from.Length} bytes (version {(from.Length > 0 ? from[0] : 0)}) is not an entry image of format {FormatVersion}");
        try
        {
            e.Kind = (EntryKind)from[1];
            e.Status = (EntryStatus)from[2];
            e.AnsweredStatus = (EntryStatus)from[3];
            e.Direction = (Direction)from[4];
            e.Decline = (ResultCode)from[5];
            e.DeclineRuleId = from[6];
            e.Flags = (EntryFlags)from[7];
            int present = BinaryPrimitives.ReadUInt16LittleEndian(from[8..]);
            var r = new VarReader(from, FixedBytes);
            e.AccountPacked = r.Signed();
            e.EntryType = (int)r.Signed();
            e.RequestedEntryType = (present & 1 << 0) != 0 ? (int)r.Signed() : e.EntryType;
            e.Currency = new CurrencyCode((int)r.Unsigned());
            e.RequestedCurrency = (present & 1 << 1) != 0 ? new CurrencyCode((int)r.Unsigned()) : e.Currency;
            e.AmountMinor = r.Signed();
            e.RequestedAmountMinor = (present & 1 << 2) != 0 ? r.Signed() : e.AmountMinor;
            e.ExpiresAtTicks = (present & 1 << 3) != 0 ? r.Signed() : 0;
            e.RequestedExpiresAtTicks = (present & 1 << 4) != 0 ? r.Signed() : e.ExpiresAtTicks;
            e.DescriptionHash = (present & 1 << 5) != 0 ? r.Fixed() : 0;
            e.ReferenceHash = (present & 1 << 6) != 0 ? r.Fixed() : 0;
            e.Sequence = (long)r.Unsigned();
            e.TimestampTicks = (long)r.Fixed();
            e.HeldRemainingMinor = (present & 1 << 7) != 0 ? r.Signed() : 0;
            e.ReferenceSequence = (present & 1 << 8) != 0 ? (long)r.Unsigned() : 0;
            e.ReversedBySequence = (present & 1 << 9) != 0 ? (long)r.Unsigned() : 0;
            e.BalancesAfter = new Balances(r.Signed(), r.Signed());
            e.RecordNumber = (long)r.Unsigned();
            e.CommandPosition = (int)r.Unsigned();
            e.CommandCount = (int)r.Unsigned();
            e.DeclineEntryIndex = (present & 1 << 10) != 0 ? (int)r.Signed() : 0;
            e.LastChange = e.RecordNumber + (long)r.Unsigned();
            int keyLength = r.Byte();
            if (keyLength is 0 or > EntryKeys.LengthMax || r.Remaining != keyLength) throw new VarFormatException($"a key of {keyLength} bytes where {r.Remaining} remain");
            e.SetKey(r.Bytes(keyLength));
        }
        catch (Exception ex) when (ex is IndexOutOfRangeException or ArgumentOutOfRangeException or VarFormatException)
        {
            throw new StoreFormatException($"an entry value of {from.Length} bytes does not decode as an entry image of format {FormatVersion}");
        }
    }

    public static void WriteAccount(in AccountState a, Span<byte> into)
    {
        BinaryPrimitives.WriteInt64LittleEndian(into, a.Key.Packed);
        BinaryPrimitives.WriteInt32LittleEndian(into[8..], a.Currency.Packed);
        BinaryPrimitives.WriteInt32LittleEndian(into[12..], 0);
        BinaryPrimitives.WriteInt64LittleEndian(into[16..], a.OverdraftLimitMinor);
        BinaryPrimitives.WriteInt64LittleEndian(into[24..], a.AvailableMinor);
        BinaryPrimitives.WriteInt64LittleEndian(into[32..], a.HeldMinor);
        BinaryPrimitives.WriteInt64LittleEndian(into[40..], a.OpenedAtTicks);
    }

    public static AccountState ReadAccount(ReadOnlySpan<byte> from)
    {
        if (from.Length != AccountBytes) throw new StoreFormatException($"an account value of {from.Length} bytes, not {AccountBytes}");
        return new AccountState
        {
            Key = Engine.Domain.AccountKey.FromPacked(BinaryPrimitives.ReadInt64LittleEndian(from)),
            Currency = new CurrencyCode(BinaryPrimitives.ReadInt32LittleEndian(from[8..])),
            OverdraftLimitMinor = BinaryPrimitives.ReadInt64LittleEndian(from[16..]),
            AvailableMinor = BinaryPrimitives.ReadInt64LittleEndian(from[24..]),
            HeldMinor = BinaryPrimitives.ReadInt64LittleEndian(from[32..]),
            OpenedAtTicks = BinaryPrimitives.ReadInt64LittleEndian(from[40..]),
        };
    }
    /// <summary>The catalog row ('C'): the catalog in MessagePack, with its provenance, as the journal writes it.</summary>
    public static byte[] WriteCatalog(HistoryCatalog catalog)
    {
        var buffer = new ArrayBufferWriter<byte>(4096); // a catalog change, not the hot path
        var w = new MessagePackWriter(buffer);
        CatalogCodec.Write(ref w, catalog, provenance: true);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads the catalog row; throws <see cref="StoreFormatException"/> for a value that does not decode or does not build a catalog.</summary>
    public static HistoryCatalog ReadCatalog(ReadOnlyMemory<byte> from)
    {
        try
        {
            var reader = new MessagePackReader(from);
            return CatalogCodec.ReadCatalog(ref reader);
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or InvalidOperationException or CatalogException
                                   or OverflowException or ArgumentOutOfRangeException or IndexOutOfRangeException)
        {
            throw new StoreFormatException($"its catalog row of {from.Length} bytes does not decode ({ex.Message})");
        }
    }
}

/// <summary>The entry store holds something this build cannot read (another format version, a damaged value).</summary>
public sealed class StoreFormatException(string message) : Exception($"The entry store is not readable: {message}. Rebuild it from the journal (replay-tool rebuild-store).");
