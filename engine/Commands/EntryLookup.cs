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
/// in this order and the engine reads it in this order. A post of n entries has 2n positions (entry i's own
/// correlation id at 2i, its reference at 2i+1 when it has one) and, for a bundle, the bundle id at 2n; a DELETE has
/// its target at 0; other commands name none.
/// </summary>
public static class LookupPlan
{
    public static int Count(LedgerCommand command) => command.Kind switch
    {
        CommandKind.PostEntries => 2 * command.EntryCount + (command.BundleId is null ? 0 : 1),
        CommandKind.RemoveEntry => 1,
        _ => 0,
    };

    /// <summary>Writes the key of position <paramref name="position"/>; returns its length, or 0 when nothing is looked up there (no reference, or an id the engine will refuse).</summary>
    public static int KeyOf(LedgerCommand command, int position, Span<byte> key, out long account)
    {
        account = 0;
        string? id;
        if (command.Kind == CommandKind.RemoveEntry)
        {
            account = command.TargetAccount.Packed;
            id = command.TargetCorrelationId;
        }
        else if (position == 2 * command.EntryCount)
        {
            account = EntryKeys.BundleAccount;
            id = command.BundleId;
        }
        else
        {
            ref readonly var e = ref command.Entries[position >> 1];
            account = e.Account.Packed;
            id = (position & 1) == 0 ? e.CorrelationId : e.Reference;
        }
        if (id is null) return 0;
        return Math.Max(0, EntryKeys.Normalize(id, key));
    }
}
