using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;

namespace Ledger.Engine.State;

/// <summary>The bytes of a correlation id (or bundle id): ASCII, at most <see cref="EntryKeys.LengthMax"/>, stored inline.</summary>
[InlineArray(EntryKeys.LengthMax)]
public struct KeyBytes
{
    private byte _first;
}

/// <summary>Flags of an <see cref="EntryImage"/>. Values are stored: never renumber.</summary>
[Flags]
public enum EntryFlags : byte
{
    None = 0,
    /// <summary>The request carried an amount (an unblocking's amount is optional).</summary>
    HasRequestedAmount = 1,
    /// <summary>The entry came in a transaction bundle.</summary>
    InBundle = 2,
    /// <summary>This image is a bundle's own record (its key is the bundle id), not an entry.</summary>
    Bundle = 4,
    /// <summary>The entry carried a fee entry (its fee's id is its own followed by <c>:fee</c>): a replay answers it too, a reversal reverses it too.</summary>
    HasFee = 8,
    /// <summary>The entry is a fee the ledger posted (or the reversal of one), not one a partner asked for.</summary>
    Fee = 16,
}

/// <summary>
/// Everything the ledger remembers of one entry, independent of where it lives (the engine's cache, a command's
/// prefetched lookups, the entry store on disk): what was asked (to judge a replay), what was decided (to answer it,
/// and for later references: holds, reversals) and which command it came in. A declined entry is remembered too
/// (status None, the decline code set), so its decline is sticky. A bundle's id is remembered as an image with
/// <see cref="EntryFlags.Bundle"/> whose account is <see cref="EntryKeys.BundleAccount"/>.
/// </summary>
public struct EntryImage
{
    public long AccountPacked;
    public KeyBytes Key;
    public byte KeyLength;
    public EntryKind Kind;
    /// <summary>Current status (None for a declined entry).</summary>
    public EntryStatus Status;
    /// <summary>The status the first answer gave (a replay answers it again).</summary>
    public EntryStatus AnsweredStatus;
    public Direction Direction;
    public ResultCode Decline;
    public byte DeclineRuleId;
    public EntryFlags Flags;

    // what was asked
    public int RequestedEntryType;
    public long RequestedAmountMinor;
    public CurrencyCode RequestedCurrency;
    public long RequestedExpiresAtTicks;
    public ulong DescriptionHash;
    /// <summary><see cref="EntryKeys.Hash"/> of the referenced correlation id (namespace 0); 0 when the request named none.</summary>
    public ulong ReferenceHash;

    // what was decided
    public int EntryType;
    public CurrencyCode Currency;
    public long AmountMinor;
    public long Sequence;
    public long TimestampTicks;
    /// <summary>For a hold: what is still held.</summary>
    public long HeldRemainingMinor;
    public long ExpiresAtTicks;
    /// <summary>Sequence of the entry this one reverses, unblocks or removes; 0 if none.</summary>
    public long ReferenceSequence;
    /// <summary>For a reversed ledger entry: the reversal's sequence; 0 if not reversed.</summary>
    public long ReversedBySequence;
    /// <summary>The account's balances after the whole command (what the first answer said).</summary>
    public Balances BalancesAfter;

    // the command it came in
    /// <summary>Journal record number of the command that created the entry.</summary>
    public long RecordNumber;
    public int CommandPosition;
    public int CommandCount;
    public int DeclineEntryIndex;
    /// <summary>Journal record number of the command that last changed the entry (created it, or changed its status or hold).</summary>
    public long LastChange;

    public readonly bool HasRequestedAmount => (Flags & EntryFlags.HasRequestedAmount) != 0;
    public readonly bool InBundle => (Flags & EntryFlags.InBundle) != 0;
    public readonly bool IsBundle => (Flags & EntryFlags.Bundle) != 0;
    public readonly bool HasFee => (Flags & EntryFlags.HasFee) != 0;
    public readonly bool IsFee => (Flags & EntryFlags.Fee) != 0;
    /// <summary>A hold that still holds money: RAM keeps it (it can expire at any command), never only the store.</summary>
    public readonly bool IsOpenHold => Kind == EntryKind.Blocking && Status == EntryStatus.Pending;

    [UnscopedRef]
    public readonly ReadOnlySpan<byte> KeySpan => ((ReadOnlySpan<byte>)Key)[..KeyLength];

    public void SetKey(ReadOnlySpan<byte> key)
    {
        key.CopyTo(Key);
        KeyLength = (byte)key.Length;
    }
}
