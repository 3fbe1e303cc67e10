using System.Globalization;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;

namespace Ledger.Engine.Tests.Model;

/// <summary>Readable one-line forms of commands and results, for property-test failure labels.</summary>
internal static class CommandText
{
    public static string Describe(LedgerCommand c) => c.Kind switch
    {
        CommandKind.PostEntries => $"Post at {c.TimestampTicks}{(c.BundleId is null ? "" : $" bundle {c.BundleId}")}{(c.PermittedDomains == ulong.MaxValue ? "" : $" domains {c.PermittedDomains:x}")}: " +
                                   string.Join("; ", c.EntrySpan.ToArray().Select(Describe)),
        CommandKind.OpenAccounts => $"Open {string.Join(", ", c.Openings.Take(c.OpeningCount).Select(o => $"{o.Account} {o.Currency} od {o.OverdraftLimitMinor}"))}",
        CommandKind.RemoveEntry => $"DELETE {c.TargetAccount} {c.TargetCorrelationId}{(c.PermittedDomains == ulong.MaxValue ? "" : $" domains {c.PermittedDomains:x}")}",
        _ => $"{c.Kind} at {c.TimestampTicks}",
    };

    public static string Describe(EntryRequest e) => e.Kind switch
    {
        EntryKind.Ledger or EntryKind.Blocking =>
            $"{e.Kind} {e.Account} {e.CorrelationId} {e.EntryType} {e.AmountMinor} {e.Currency}{(e.ExpiresAtTicks == 0 ? "" : $" expires {e.ExpiresAtTicks}")}{(e.Description is null ? "" : $" '{e.Description}'")}",
        _ => $"{e.Kind} {e.Account} {e.CorrelationId} -> {e.Reference}{(e.HasAmount ? string.Create(CultureInfo.InvariantCulture, $" {e.AmountMinor}") : "")}{(e.Currency.IsNone ? "" : $" {e.Currency}")}",
    };

    public static string Describe(in CommandResult r) =>
        $"{r.Code} (index {r.EntryIndex}, rule {r.Rule ?? "-"}, conflicts {r.Conflicts}, replayed {r.Replayed}, at {r.TimestampTicks})";
}
