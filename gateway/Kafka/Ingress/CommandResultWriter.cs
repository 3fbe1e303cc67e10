using Ledger.Engine;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Gateway.Edge;
using Ledger.ReadSide;

namespace Ledger.Gateway.Kafka.Ingress;

/// <summary>
/// Writes one <c>ledger-result.v2.avsc</c> datum straight into a reusable buffer, in the schema's field order: the
/// ingress's door out. A refusal of the edge or a decline of the ledger (<see cref="Refusal"/>) becomes the record's
/// <c>problem</c>, with the status, type, title and detail REST's Problem would carry.
/// Usage: <c>writer.Begin(header); writer.Entries(id, command); var bytes = writer.ToArray();</c>
/// </summary>
internal sealed class CommandResultWriter
{
    private readonly AvroWriter _writer = new(); // the ingress thread's: one result at a time

    public void Begin(byte[] header)
    {
        _writer.Reset();
        _writer.WriteBytes(header);
    }

    public byte[] ToArray() => _writer.ToArray();

    /// <summary>A 201 with the applied entries of a batch or bundle, in request order.</summary>
    public void Entries(string commandId, LedgerCommand command)
    {
        _writer.WriteString(commandId);
        _writer.WriteInt(201);
        _writer.WriteLong(command.ResultCount); // one block of entries (the requested ones, then their fees), then the end
        for (int i = 0; i < command.ResultCount; i++)
        {
            ref var r = ref command.EntryResults[i];
            var (correlationId, _, feeOf) = ResultIdentity.Of(command, i);
            _writer.WriteInt(r.Account.Branch);
            _writer.WriteLong(r.Account.Number);
            _writer.WriteString(correlationId);
            _writer.WriteInt(r.EntryType);
            _writer.WriteInt(StatusIndex(r.Status));
            _writer.WriteLong(r.Sequence);
            _writer.WriteLong((r.TimestampTicks - DateTime.UnixEpoch.Ticks) / 10); // timestamp-micros
            _writer.WriteLong(r.AmountMinor);
            _writer.WriteLong(r.BalancesAfter.AvailableMinor);
            _writer.WriteLong(r.BalancesAfter.HeldMinor);
            _writer.WriteOptional(feeOf);
        }
        if (command.ResultCount > 0) _writer.WriteLong(0);
        _writer.WriteNull(); // problem
    }

    /// <summary>A success without entries (201 account opened, 204 hold removed).</summary>
    public void Empty(string commandId, int status)
    {
        _writer.WriteString(commandId);
        _writer.WriteInt(status);
        _writer.WriteLong(0); // no entries
        _writer.WriteNull();  // no problem
    }

    /// <summary>The refusal's Problem as the record's <c>problem</c> branch.</summary>
    public void Refused(string commandId, in Refusal refusal)
    {
        _writer.WriteString(commandId);
        _writer.WriteInt(refusal.Kind.Status);
        _writer.WriteLong(0); // no entries
        _writer.WriteLong(1); // the Problem branch
        _writer.WriteString(refusal.Kind.Type);
        _writer.WriteString(refusal.Kind.Title);
        _writer.WriteString(refusal.Detail);
        _writer.WriteOptional(refusal.EntryIndex);
        _writer.WriteOptional(refusal.LegIndex);
        _writer.WriteOptional(refusal.Rule);
    }

    /// <summary>The result schema's EntryStatus symbol index (the schema lists them in <see cref="WireNames.Statuses"/>' order).</summary>
    private static int StatusIndex(EntryStatus status)
    {
        for (int i = 0; i < WireNames.Statuses.Count; i++)
        {
            if (WireNames.Statuses[i] == status) return i;
        }
        throw new InvariantViolationException($"Invariant: an entry result with status {status}, which the result schema cannot carry.");
    }
}
