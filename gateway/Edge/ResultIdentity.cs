using Ledger.Engine;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;

namespace Ledger.Gateway.Edge;

/// <summary>Who a result of a decided command is, for every door's answer: a requested entry, or a fee entry after them.</summary>
internal static class ResultIdentity
{
    /// <summary>
    /// The correlationId and kind of result <paramref name="i"/>, and for a fee entry the correlationId of the entry that
    /// carried it (a fee takes its carrier's kind: a posting's fee, or a reversal's reversed fee).
    /// </summary>
    public static (string CorrelationId, EntryKind Kind, string? FeeOf) Of(LedgerCommand command, int i)
    {
        if (i < command.EntryCount) return (command.Entries[i].CorrelationId, command.Entries[i].Kind, null);
        ref var carrier = ref command.Entries[command.EntryResults[i].FeeOfIndex];
        return (carrier.FeeCorrelationId ?? FeeIds.Of(carrier.CorrelationId), carrier.Kind, carrier.CorrelationId);
    }
}
