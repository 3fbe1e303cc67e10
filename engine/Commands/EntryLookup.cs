using Ledger.Engine.State;

namespace Ledger.Engine.Commands;

/// <summary>One entry a command names, as the prefetch stage found it in the entry store (or did not).</summary>
public struct EntryLookup
{
    /// <summary><see cref="EntryKeys.Hash"/> of the key looked up (the engine checks it names the key it expects).</summary>
    public ulong KeyHash;
    public bool Found;
    public EntryImage Image;
}

/// <summary>
/// Which entries a command names, at which lookup position: the prefetch stage fills <see cref="LedgerCommand.Lookups"/>
/// in this order and the engine reads it in this order. A post of n entries has 4n + 1 positions: entry i's own
/// correlation id at 2i, its reference at 2i+1 when it has one, the bundle id at 2n for a bundle, then for a ledger or
/// reversal entry its fee id (<c>&lt;id&gt;:fee</c>) at 2n+1+2i and for a reversal the fee id of the entry it reverses
/// (<c>&lt;reference&gt;:fee</c>) at 2n+2+2i: the fee entry a replay answers again, a new fee must not collide with, and a
/// reversal reverses too. A DELETE has its target at 0; other commands name none.
/// <para>A ledger entry's fee key is needed only when the catalog the command is decided under has a fee
/// (<see cref="LedgerCommand.FeesInForce"/>: a new fee must not collide) or the entry already carried one (a replay answers
/// it again); without fees in force the prefetch <see cref="Deferred">defers</see> it and looks it up only if the entry's
/// own lookup found it with a fee. An entry the engine's cache holds but the store does not yet (above the watermark)
/// needs no lookup: its fee was created and is changed by the same commands as the entry (a reversal reverses both; a
/// posting is never removed), so it has the same last change and is in the cache too. A reversal's fee keys are always
/// named: whether the entry it reverses carried a fee is known only from that entry, which may be in the cache alone.</para>
/// </summary>
public static class LookupPlan
{
    public static int Count(LedgerCommand command) => command.Kind switch
    {
        CommandKind.PostEntries => CountOf(command.EntryCount),
        CommandKind.RemoveEntry => 1,
        _ => 0,
    };

    /// <summary>Positions of a post of <paramref name="entries"/> entries.</summary>
    public static int CountOf(int entries) => 4 * entries + 1;

    public static int Own(int i) => 2 * i;
    public static int Reference(int i) => 2 * i + 1;
    public static int Bundle(int n) => 2 * n;
    public static int Fee(int n, int i) => 2 * n + 1 + 2 * i;
    public static int ReferenceFee(int n, int i) => 2 * n + 2 + 2 * i;

    /// <summary>
    /// Whether the prefetch leaves <paramref name="position"/> out at first: the fee key of a ledger entry when no fee is in
    /// force. It looks it up afterwards only when <see cref="NeedsDeferred"/> says the entry carried a fee.
    /// </summary>
    public static bool Deferred(LedgerCommand command, int position)
    {
        if (command.FeesInForce || command.Kind != CommandKind.PostEntries) return false;
        int p = position - 2 * command.EntryCount - 1;
        return p >= 0 && (p & 1) == 0 && command.Entries[p >> 1].Kind == Domain.EntryKind.Ledger;
    }

    /// <summary>After the first lookups: whether entry <paramref name="i"/>'s deferred fee key must be read (its own lookup found it with a fee: a replay).</summary>
    public static bool NeedsDeferred(LedgerCommand command, int i)
    {
        ref readonly var own = ref command.Lookups[Own(i)];
        return command.Entries[i].Kind == Domain.EntryKind.Ledger && own.Found && own.Image.HasFee;
    }

    /// <summary>Writes the key of position <paramref name="position"/>; returns its length, or 0 when nothing is looked up there (no reference, or an id the engine will refuse).</summary>
    public static int KeyOf(LedgerCommand command, int position, Span<byte> key, out long account)
    {
        account = 0;
        string? id;
        int n = command.EntryCount;
        bool fee = false;
        if (command.Kind == CommandKind.RemoveEntry)
        {
            account = command.TargetAccount.Packed;
            id = command.TargetCorrelationId;
        }
        else if (position == 2 * n)
        {
            account = EntryKeys.BundleAccount;
            id = command.BundleId;
        }
        else if (position < 2 * n)
        {
            ref readonly var e = ref command.Entries[position >> 1];
            account = e.Account.Packed;
            id = (position & 1) == 0 ? e.CorrelationId : e.Reference;
        }
        else
        {
            int p = position - 2 * n - 1;
            ref readonly var e = ref command.Entries[p >> 1];
            account = e.Account.Packed;
            id = (p & 1) == 0 ? (FeeIds.MayCarry(e.Kind) ? e.CorrelationId : null) : (e.Kind == Domain.EntryKind.Reversal ? e.Reference : null);
            fee = true;
        }
        if (id is null) return 0;
        if (!fee) return Math.Max(0, EntryKeys.Normalize(id, key));
        if (id.Length > FeeIds.CarrierIdLengthMax) return 0;
        int length = EntryKeys.Normalize(id, key);
        if (length <= 0) return 0;
        FeeIds.SuffixBytes.CopyTo(key[length..]);
        return length + FeeIds.SuffixBytes.Length;
    }
}
