using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Gateway.Edge;
using Ledger.ReadSide;

namespace Ledger.Gateway.Api;

/// <summary>
/// Builds REST's answers from an applied command (declines are <see cref="Declines"/>, shared with Kafka). Everything
/// here is a function of the request and of what the engine wrote into the command (Result, EntryResults), both
/// identical for an idempotent replay, so a replay gets the first answer byte for byte.
/// </summary>
internal static class Answers
{
    /// <summary>Result <paramref name="i"/> of the command: a requested entry (i &lt; EntryCount) or a fee entry after them.</summary>
    public static EntryResponse Entry(LedgerCommand command, int i, HistoryCatalog catalog)
    {
        ref var r = ref command.EntryResults[i];
        var (correlationId, kind, feeOf) = ResultIdentity.Of(command, i);
        var direction = (DirectionName)DirectionOf(catalog, kind, r.EntryType);
        return new EntryResponse(correlationId, r.EntryType, direction, (EntryStatusName)r.Status, r.Sequence,
            WireTime.Utc(r.TimestampTicks), WireTime.AsOfDate(r.TimestampTicks), new AmountResponse(r.AmountMinor, CurrencyNames.Of(r.Currency)), feeOf);
    }

    /// <summary>The direction of an applied entry: its code is in the catalog, or the engine would have declined it.</summary>
    public static Direction DirectionOf(HistoryCatalog catalog, EntryKind kind, int entryType) =>
        catalog.DirectionOf(kind, entryType) ?? throw new Ledger.Engine.InvariantViolationException($"Invariant: an applied entry's history code {entryType} is not in the catalog.");

    public static BalanceResponse[] Balances(Balances balances, string currency) =>
    [
        new BalanceResponse(BalanceTypeName.Available, balances.AvailableMinor, currency),
        new BalanceResponse(BalanceTypeName.Held, balances.HeldMinor, currency),
    ];
}
