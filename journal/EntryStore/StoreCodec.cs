using System.Buffers.Binary;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.State;

namespace Ledger.Journal.EntryStore;

/// <summary>
/// The entry store's keys and values, written and read by explicit code (all integers little-endian in values,
/// big-endian in keys so keys sort by number). Changing a layout means a new <see cref="FormatVersion"/>; a store of
/// another version is rebuilt from the journal (it is an index of the journal, never the only copy of anything).
/// <code>
/// key                                   value
/// 'E' account(i64 BE) correlationId     entry image (below)
/// 'B' bundleId                          entry image of the bundle (flag Bundle)
/// 'H' sequence(i64 BE)                  entry image of an open hold (kept while PENDING; with 'E')
/// 'A' account(i64 BE)                   account: key i64, currency i32, overdraft i64, available i64, held i64, openedAt i64
/// 'M'                                   the cut (see <see cref="StoreCut"/>)
/// 'C'                                   the catalog in force at the cut (MessagePack, as in the journal)
///
/// entry image, 169 + key bytes:
///  0 version u8 | 1 kind | 2 status | 3 answeredStatus | 4 direction | 5 decline | 6 declineRuleId | 7 flags
///  8 account i64 | 16 requestedEntryType i32 | 20 entryType i32 | 24 requestedCurrency i32 | 28 currency i32
/// 32 requestedAmount i64 | 40 amount i64 | 48 requestedExpiresAt i64 | 56 expiresAt i64 | 64 descriptionHash u64
/// 72 referenceHash u64 | 80 sequence i64 | 88 timestamp i64 | 96 heldRemaining i64 | 104 referenceSequence i64
/// 112 reversedBySequence i64 | 120 availableAfter i64 | 128 heldAfter i64 | 136 commandNumber i64
/// 144 commandPosition i32 | 148 commandCount i32 | 152 declineEntryIndex i32 | 156 reserved u32 | 160 lastChange i64
/// 168 keyLength u8 | 169 key bytes
/// </code>
/// </summary>
public static class StoreCodec
{
    public const byte FormatVersion = 1;
    public const byte EntryPrefix = (byte)'E';
    public const byte BundlePrefix = (byte)'B';
    public const byte HoldPrefix = (byte)'H';
    public const byte AccountPrefix = (byte)'A';
    public static ReadOnlySpan<byte> CutKey => "M"u8;
    public static ReadOnlySpan<byte> CatalogKey => "C"u8;

    public const int ImageFixedBytes = 169;
    public const int ImageBytesMax = ImageFixedBytes + EntryKeys.LengthMax;
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
        BinaryPrimitives.WriteInt64LittleEndian(into[8..], e.AccountPacked);
        BinaryPrimitives.WriteInt32LittleEndian(into[16..], e.RequestedEntryType);
        BinaryPrimitives.WriteInt32LittleEndian(into[20..], e.EntryType);
        BinaryPrimitives.WriteInt32LittleEndian(into[24..], e.RequestedCurrency.Packed);
        BinaryPrimitives.WriteInt32LittleEndian(into[28..], e.Currency.Packed);
        BinaryPrimitives.WriteInt64LittleEndian(into[32..], e.RequestedAmountMinor);
        BinaryPrimitives.WriteInt64LittleEndian(into[40..], e.AmountMinor);
        BinaryPrimitives.WriteInt64LittleEndian(into[48..], e.RequestedExpiresAtTicks);
        BinaryPrimitives.WriteInt64LittleEndian(into[56..], e.ExpiresAtTicks);
        BinaryPrimitives.WriteUInt64LittleEndian(into[64..], e.DescriptionHash);
        BinaryPrimitives.WriteUInt64LittleEndian(into[72..], e.ReferenceHash);
        BinaryPrimitives.WriteInt64LittleEndian(into[80..], e.Sequence);
        BinaryPrimitives.WriteInt64LittleEndian(into[88..], e.TimestampTicks);
        BinaryPrimitives.WriteInt64LittleEndian(into[96..], e.HeldRemainingMinor);
        BinaryPrimitives.WriteInt64LittleEndian(into[104..], e.ReferenceSequence);
        BinaryPrimitives.WriteInt64LittleEndian(into[112..], e.ReversedBySequence);
        BinaryPrimitives.WriteInt64LittleEndian(into[120..], e.BalancesAfter.AvailableMinor);
        BinaryPrimitives.WriteInt64LittleEndian(into[128..], e.BalancesAfter.HeldMinor);
        BinaryPrimitives.WriteInt64LittleEndian(into[136..], e.CommandNumber);
        BinaryPrimitives.WriteInt32LittleEndian(into[144..], e.CommandPosition);
        BinaryPrimitives.WriteInt32LittleEndian(into[148..], e.CommandCount);
        BinaryPrimitives.WriteInt32LittleEndian(into[152..], e.DeclineEntryIndex);
        BinaryPrimitives.WriteUInt32LittleEndian(into[156..], 0);
        BinaryPrimitives.WriteInt64LittleEndian(into[160..], e.LastChange);
        into[168] = e.KeyLength;
        e.KeySpan.CopyTo(into[ImageFixedBytes..]);
        return ImageFixedBytes + e.KeyLength;
    }

    /// <summary>Reads an image; throws <see cref="StoreFormatException"/> for another version or a value of the wrong size.</summary>
    public static void ReadImage(ReadOnlySpan<byte> from, out EntryImage e)
    {
        if (from.Length < ImageFixedBytes || from[0] != FormatVersion || from.Length != ImageFixedBytes + from[168] || from[168] is 0 or > EntryKeys.LengthMax)
            throw new StoreFormatException($"an entry value of {from.Length} bytes (version {(from.Length > 0 ? from[0] : 0)}) is not an entry image of format {FormatVersion}");
        e = default;
        e.Kind = (EntryKind)from[1];
        e.Status = (EntryStatus)from[2];
        e.AnsweredStatus = (EntryStatus)from[3];
        e.Direction = (Direction)from[4];
        e.Decline = (ResultCode)from[5];
        e.DeclineRuleId = from[6];
        e.Flags = (EntryFlags)from[7];
        e.AccountPacked = BinaryPrimitives.ReadInt64LittleEndian(from[8..]);
        e.RequestedEntryType = BinaryPrimitives.ReadInt32LittleEndian(from[16..]);
        e.EntryType = BinaryPrimitives.ReadInt32LittleEndian(from[20..]);
        e.RequestedCurrency = new CurrencyCode(BinaryPrimitives.ReadInt32LittleEndian(from[24..]));
        e.Currency = new CurrencyCode(BinaryPrimitives.ReadInt32LittleEndian(from[28..]));
        e.RequestedAmountMinor = BinaryPrimitives.ReadInt64LittleEndian(from[32..]);
        e.AmountMinor = BinaryPrimitives.ReadInt64LittleEndian(from[40..]);
        e.RequestedExpiresAtTicks = BinaryPrimitives.ReadInt64LittleEndian(from[48..]);
        e.ExpiresAtTicks = BinaryPrimitives.ReadInt64LittleEndian(from[56..]);
        e.DescriptionHash = BinaryPrimitives.ReadUInt64LittleEndian(from[64..]);
        e.ReferenceHash = BinaryPrimitives.ReadUInt64LittleEndian(from[72..]);
        e.Sequence = BinaryPrimitives.ReadInt64LittleEndian(from[80..]);
        e.TimestampTicks = BinaryPrimitives.ReadInt64LittleEndian(from[88..]);
        e.HeldRemainingMinor = BinaryPrimitives.ReadInt64LittleEndian(from[96..]);
        e.ReferenceSequence = BinaryPrimitives.ReadInt64LittleEndian(from[104..]);
        e.ReversedBySequence = BinaryPrimitives.ReadInt64LittleEndian(from[112..]);
        e.BalancesAfter = new Balances(BinaryPrimitives.ReadInt64LittleEndian(from[120..]), BinaryPrimitives.ReadInt64LittleEndian(from[128..]));
        e.CommandNumber = BinaryPrimitives.ReadInt64LittleEndian(from[136..]);
        e.CommandPosition = BinaryPrimitives.ReadInt32LittleEndian(from[144..]);
        e.CommandCount = BinaryPrimitives.ReadInt32LittleEndian(from[148..]);
        e.DeclineEntryIndex = BinaryPrimitives.ReadInt32LittleEndian(from[152..]);
        e.LastChange = BinaryPrimitives.ReadInt64LittleEndian(from[160..]);
        e.SetKey(from.Slice(ImageFixedBytes, from[168]));
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
}

/// <summary>The entry store holds something this build cannot read (another format version, a damaged value).</summary>
public sealed class StoreFormatException(string message) : Exception($"The entry store is not readable: {message}. Rebuild it from the journal (replay-tool rebuild-store).");
