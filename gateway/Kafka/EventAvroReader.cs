using System.Text;
using Ledger.Engine;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;

namespace Ledger.Gateway.Kafka;

/// <summary>
/// Reads one <c>ledger-event.avsc</c> datum (after the framing header) straight from the message's bytes into a
/// <see cref="LedgerEvent"/> the caller owns and reuses (a statements replica's per-partition buffer): no Apache.Avro
/// <c>GenericRecord</c>, no boxing, no string but the event's own correlationId and description. Every length, count,
/// enum index and union branch is bounds-checked by <see cref="AvroReader"/>; then the event must be one the ledger's
/// publisher (<see cref="EventAvro"/>) writes, so no message becomes a row the read store could not hold or would
/// misread: kind, status and causedBySequence agree, both timestamps agree and are instants, the account is in range,
/// the currency is one the ledger knows, a new entry's correlationId is a valid key, a description fits.
/// Usage: <c>if (!EventAvroReader.TryRead(datum, EventLayout.V2, out int count, out long record, out int index, out buffer[n], out string? problem)) stop(problem);</c>
/// </summary>
internal static class EventAvroReader
{

    // The schema's enums, in symbol order.
    private const int EventKinds = 7, EntryKinds = 5, Directions = 2, Statuses = 5;

    /// <summary>The status each EventKind symbol leaves its entry in (None: ACCOUNT_OPENED has none).</summary>
    private static readonly EntryStatus[] StatusOfKind =
        [EntryStatus.None, EntryStatus.Posted, EntryStatus.Pending, EntryStatus.Released, EntryStatus.Removed, EntryStatus.Posted, EntryStatus.Expired];

    private static readonly long TicksMax = DateTime.MaxValue.Ticks;

    /// <summary>
    /// False with <paramref name="problem"/> (a sentence) when the bytes are not an event the ledger writes; <paramref name="e"/> is then partly filled.
    /// <paramref name="layout"/>: the schema the datum is written with (its message header says which).
    /// <paramref name="recordEvents"/>: how many events the record has over all partitions, 0 when the writer did not say.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> datum, EventLayout layout, out int recordEvents, out long record, out int index, out LedgerEvent e, out string? problem)
    {
        e = default;
        record = 0;
        index = 0;
        recordEvents = 0;
        try
        {
            var r = new AvroReader(datum);
            record = r.ReadLong();
            index = r.ReadInt();
            int kind = r.ReadEnum(EventKinds);
            e.Sequence = r.ReadLong();
            e.CausedBySequence = r.ReadLong();
            long micros = r.ReadLong();
            e.TimestampTicks = r.ReadLong();
            int branch = r.ReadInt();
            long account = r.ReadLong();
            var currency = r.ReadStringBytes();
            string? correlationId = r.ReadOptionalString();
            int? entryType = r.ReadOptionalInt();
            int entryKind = r.ReadOptional() ? r.ReadEnum(EntryKinds) + 1 : 0;
            if (r.ReadOptional()) r.ReadEnum(Directions); // derived from the catalog on read: checked, not kept
            int status = r.ReadOptional() ? r.ReadEnum(Statuses) + 1 : 0;
            e.AmountMinor = r.ReadLong();
            e.Description = r.ReadOptionalString();
            e.ReferenceSequence = r.ReadLong();
            e.ExpiresAtTicks = r.ReadLong();
            e.BalancesAfter = new Balances(r.ReadLong(), r.ReadLong());
            if (layout != EventLayout.V1 && r.ReadOptionalLong() is { } feeOf)
            {
                if (feeOf < 1)
                {
                    problem = $"feeOf {feeOf} is not the sequence of an entry (from 1)";
                    return false;
                }
                e.FeeOfSequence = feeOf;
            }
            if (layout == EventLayout.V2 && r.ReadOptionalInt() is { } count)
            {
                if (count < 1 || index >= count)
                {
                    problem = $"recordEvents {count} does not count index {index} (the record's events are 0 .. recordEvents - 1)";
                    return false;
                }
                recordEvents = count;
            }
            if (r.Remaining != 0)
            {
                problem = "the message has bytes after its Avro record";
                return false;
            }

            e.Kind = kind switch
            {
                0 => LedgerEventKind.AccountOpened,
                1 or 2 => LedgerEventKind.EntryApplied,
                _ => LedgerEventKind.EntryStatusChanged,
            };
            e.EntryKind = (EntryKind)entryKind;
            e.Status = (EntryStatus)status;
            e.EntryType = entryType ?? 0;
            e.CorrelationId = correlationId;
            problem = Check(record, index, kind, micros, branch, account, currency, entryType, ref e);
            return problem is null;
        }
        catch (AvroFormatException ex)
        {
            problem = $"the message does not decode as ledger.events.v1.LedgerEvent ({ex.Message})";
            return false;
        }
    }

    /// <summary>What the publisher never writes, as a sentence; null when the event is one it does.</summary>
    private static string? Check(long record, int index, int kind, long micros, int branch, long account, ReadOnlySpan<byte> currency, int? entryType,
        ref LedgerEvent e)
    {
        if (record < 1 || index < 0) return $"position ({record}, {index}) is not a journal record (from 1) and an index (from 0)";
        if (e.TimestampTicks is < 0 || e.TimestampTicks > TicksMax || micros != (e.TimestampTicks - DateTime.UnixEpoch.Ticks) / 10)
            return $"timestampTicks {e.TimestampTicks} is not an instant or disagrees with timestamp {micros}";
        if (e.ExpiresAtTicks is < 0 || e.ExpiresAtTicks > TicksMax) return $"expiresAtTicks {e.ExpiresAtTicks} is not an instant";
        if (branch is < 0 or > Limits.BranchMax || account is < 0 or > Limits.AccountNumberMax) return $"account {branch}/{account} is out of range";
        e.Account = new AccountKey(branch, account);
        Span<char> code = stackalloc char[3];
        if (currency.Length != 3 || Encoding.ASCII.GetChars(currency, code) != 3 || !CurrencyCode.TryParse(code, out e.Currency))
            return $"currency '{Encoding.UTF8.GetString(currency)}' is not an ISO-4217 code the ledger knows";
        if (e.Description is { Length: > Limits.DescriptionLengthMax }) return $"a description of {e.Description.Length} characters (at most {Limits.DescriptionLengthMax})";
        if (e.CausedBySequence < 0 || e.ReferenceSequence < 0) return "a negative causedBySequence or reference";

        if (e.Kind == LedgerEventKind.AccountOpened)
        {
            if (e.Sequence != 0 || e.CausedBySequence != 0 || e.CorrelationId is not null || entryType is not null || e.EntryKind != 0 || e.Status != EntryStatus.None)
                return "an ACCOUNT_OPENED event with entry fields";
            return null;
        }
        if (e.Sequence < 1) return $"sequence {e.Sequence} of an entry event (from 1)";
        if (entryType is null || e.EntryKind == 0 || e.Status == EntryStatus.None) return "an entry event without entryType, entryKind or status";
        // ENTRY_POSTED is "a new entry applied, not a pending hold": its status is the entry's own, POSTED except for a
        // removal entry, which is born REMOVED (docs/kafka.md, "Event kinds").
        var expected = kind == 1 && e.EntryKind == EntryKind.Removal ? EntryStatus.Removed : StatusOfKind[kind];
        if (e.Status != expected) return $"kind {kind} (EventKind symbol) of a {e.EntryKind} entry with status {e.Status}";
        if (e.Kind == LedgerEventKind.EntryApplied)
        {
            if (e.CausedBySequence != 0) return "a new entry with a causedBySequence";
            if (!LedgerEngine.IsValidKey(e.CorrelationId)) return "a new entry whose correlationId is not 1..64 characters of [A-Za-z0-9._:-]";
            return null;
        }
        if (e.CorrelationId is not null || e.Description is not null) return "a status change with a correlationId or description";
        // ENTRY_REVERSED leaves the entry POSTED and names its reversal; that pair is how the read side tells it (LedgerEvent.MarksReversal).
        if ((kind == 5) != e.MarksReversal) return "a reversal without the entry that reversed it, or a POSTED status change that is no reversal";
        return null;
    }
}

/// <summary>Which schema an event message is written with (its header names it).</summary>
internal enum EventLayout
{
    /// <summary><c>ledger-event.avsc</c>, as first released: no <c>feeOf</c>, no <c>recordEvents</c>.</summary>
    V1,
    /// <summary><c>ledger-event.v2.avsc</c> as builds between issues 16 and 19 wrote it: <c>feeOf</c>, no <c>recordEvents</c>.</summary>
    V2Draft,
    /// <summary><c>ledger-event.v2.avsc</c>: <c>feeOf</c>, then <c>recordEvents</c>.</summary>
    V2,
}
