using Ledger.Engine;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;

namespace Ledger.Gateway.Edge;

/// <summary>A bundle as read (REST's JSON reader or Kafka's Avro reader), before validation (null: absent).</summary>
internal sealed class BundleBody
{
    public string? BundleId;
    public List<BundleLegBody?>? Legs;
}

internal sealed class BundleLegBody
{
    public int? Branch;
    public long? Account;
    public List<EntryFields>? Entries;
}

/// <summary>What a prepared bundle's answer needs: where each leg starts in the command, its account, its entries.</summary>
internal readonly record struct BundlePlan(int[] LegStarts, AccountKey[] Keys, List<EntryFields>[] LegEntries);

/// <summary>The edge checks of a bundle, for every door: the same 400s whether it came over REST or Kafka.</summary>
internal static class BundleCheck
{
    public static Refusal TooManyLegs(int legs) => Refusal.Invalid($"legs has {legs} legs; a bundle takes at most {Limits.LegsPerBundleMax}.");

    public static Refusal TooManyEntries(int total) => Refusal.Invalid($"The bundle has {total} entries over its legs; at most {Limits.EntriesPerBundleMax}.");

    /// <summary>
    /// Judges a bundle as read and fills <paramref name="command"/> with its post; null when valid, else the refusal
    /// naming what is wrong (nothing is submitted).
    /// </summary>
    public static Refusal? Prepare(BundleBody body, LedgerCommand command, out BundlePlan plan)
    {
        plan = default;
        if (body.BundleId is null) return Refusal.Invalid("bundleId is required.");
        if (!LedgerEngine.IsValidKey(body.BundleId))
        {
            return Refusal.Invalid($"bundleId must be 1..{Limits.CorrelationIdLengthMax} characters of [A-Za-z0-9._:-].");
        }
        var legs = body.Legs;
        if (legs is null || legs.Count == 0) return Refusal.Invalid($"legs is required: 1 to {Limits.LegsPerBundleMax} legs.");
        if (legs.Count > Limits.LegsPerBundleMax) return TooManyLegs(legs.Count);

        var legStarts = new int[legs.Count];
        var keys = new AccountKey[legs.Count];
        var legEntries = new List<EntryFields>[legs.Count];
        int total = 0;
        for (int l = 0; l < legs.Count; l++)
        {
            var leg = legs[l];
            if (leg is null) return Refusal.Invalid($"legs[{l}] is null.", legIndex: l);
            if (AccountChecks.Account(leg.Branch, leg.Account, out keys[l]) is { } accountError) return Refusal.Invalid($"legs[{l}]: {accountError}", legIndex: l);
            for (int m = 0; m < l; m++)
            {
                if (keys[m] == keys[l]) return Refusal.Invalid($"legs[{l}] repeats the account of legs[{m}]; put one account's entries in one leg.", legIndex: l);
            }
            if (leg.Entries is null || leg.Entries.Count == 0) return Refusal.Invalid($"legs[{l}].entries is required: at least one entry.", legIndex: l);
            legEntries[l] = leg.Entries;
            legStarts[l] = total;
            total += leg.Entries.Count;
        }
        if (total > Limits.EntriesPerBundleMax) return TooManyEntries(total);

        command.SetPost(total, body.BundleId);
        for (int l = 0; l < legs.Count; l++)
        {
            var entries = legEntries[l];
            for (int i = 0; i < entries.Count; i++)
            {
                if (EntryMapper.TryMap(entries[i], keys[l], l, i, ref command.Entries[legStarts[l] + i]) is { } error)
                {
                    return Refusal.Invalid(error, i, l);
                }
            }
        }
        plan = new BundlePlan(legStarts, keys, legEntries);
        return null;
    }
}
