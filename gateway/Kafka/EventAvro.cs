using Avro;
using Ledger.Engine.Catalog;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;

namespace Ledger.Gateway.Kafka;

/// <summary>
/// Writes a <see cref="LedgerEvent"/> as the <c>ledger.events</c> Avro record (Schemas/ledger-event.v2.avsc), field by
/// field in schema order, after the deployment's framing header (<see cref="AvroFraming"/>), so any Avro reader holding
/// the schema decodes it.
/// One instance per thread (it reuses its buffer).
/// </summary>
internal sealed class EventAvro(HistoryCatalog catalog, byte[] header)
{
    /// <summary>
    /// The schema this build writes: version 2 adds <c>feeOf</c> (issue 16) and <c>recordEvents</c> (issue 19, before
    /// version 2 was released). <see cref="SchemaFileV1"/> stays as released, so readers resolve older messages.
    /// </summary>
    public const string SchemaFile = "ledger-event.v2.avsc";
    public const string SchemaFileV1 = "ledger-event.avsc";

    /// <summary>The last field of version 2, added before its release: <see cref="V2Draft"/> is version 2 without it.</summary>
    public const string RecordEventsField = "recordEvents";

    /// <summary>The schema this build writes (Kafka/Schemas).</summary>
    public static Schema LoadSchema() => AvroFraming.Load(SchemaFile);

    /// <summary>
    /// Version 2 as builds between issue 16 and issue 19 wrote it (no <c>recordEvents</c>): the shipped file without its
    /// last field, so its fingerprint is that of the file those builds shipped (doc text is not in the fingerprint).
    /// </summary>
    public static Schema V2Draft()
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Kafka", "Schemas", SchemaFile)))!;
        var fields = json["fields"]!.AsArray();
        if ((string?)fields[^1]!["name"] != RecordEventsField) throw new InvalidOperationException($"{SchemaFile} no longer ends with {RecordEventsField}.");
        fields.RemoveAt(fields.Count - 1);
        return Schema.Parse(json.ToJsonString());
    }

    private readonly AvroWriter _writer = new();
    private readonly byte[] _header = header;

    /// <summary>
    /// Event <paramref name="index"/> of the <paramref name="recordEvents"/> events journal record <paramref name="record"/>
    /// publishes: into this instance's buffer, then one array of its length (what a Kafka message value takes); no other
    /// allocation (the strings are encoded in place).
    /// </summary>
    public byte[] Encode(in LedgerEvent e, long record, int index, int recordEvents)
    {
        var w = _writer;
        w.Reset();
        w.WriteBytes(_header);
        w.WriteLong(record);
        w.WriteInt(index);
        w.WriteInt((int)KindOf(in e)); // an enum: its symbol's index
        w.WriteLong(e.Kind == LedgerEventKind.AccountOpened ? 0 : e.Sequence);
        w.WriteLong(e.Kind == LedgerEventKind.EntryStatusChanged ? e.CausedBySequence : 0);
        w.WriteLong((e.TimestampTicks - DateTime.UnixEpoch.Ticks) / 10);
        w.WriteLong(e.TimestampTicks);
        w.WriteInt(e.Account.Branch);
        w.WriteLong(e.Account.Number);
        w.WriteCurrency(e.Currency);
        bool entry = e.Kind == LedgerEventKind.EntryApplied;
        bool aboutEntry = e.Kind != LedgerEventKind.AccountOpened;
        w.WriteOptional(entry ? e.CorrelationId : null);
        if (aboutEntry)
        {
            w.WriteOptional(e.EntryType);
            w.WriteOptional((int)e.EntryKind - 1);
            w.WriteOptional(catalog.DirectionOf(e.EntryKind, e.EntryType) is { } direction ? (int)direction - 1 : null);
            w.WriteOptional((int)e.Status - 1);
        }
        else
        {
            for (int i = 0; i < 4; i++) w.WriteNull();
        }
        w.WriteLong(e.AmountMinor);
        w.WriteOptional(entry ? e.Description : null);
        w.WriteLong(entry ? e.ReferenceSequence : 0);
        w.WriteLong(entry ? e.ExpiresAtTicks : 0);
        w.WriteLong(e.BalancesAfter.AvailableMinor);
        w.WriteLong(e.BalancesAfter.HeldMinor);
        w.WriteOptional(entry && e.FeeOfSequence != 0 ? e.FeeOfSequence : null);
        w.WriteOptional(recordEvents);
        return w.ToArray();
    }

    /// <summary>The message key of an account's events, <c>branch/number</c> in ASCII: one array, no string.</summary>
    public static byte[] KeyOf(AccountKey account)
    {
        Span<byte> key = stackalloc byte[32]; // an int, a slash and a long, signs included
        bool ok = account.Branch.TryFormat(key, out int branch, default, System.Globalization.CultureInfo.InvariantCulture);
        key[branch] = (byte)'/';
        ok &= account.Number.TryFormat(key[(branch + 1)..], out int number, default, System.Globalization.CultureInfo.InvariantCulture);
        if (!ok) throw new Ledger.Engine.InvariantViolationException($"Invariant: account {account} does not format in 32 bytes.");
        return key[..(branch + 1 + number)].ToArray();
    }

    /// <summary>The event kind of the schema's EventKind enum (its symbol order).</summary>
    public enum EventKind
    {
        AccountOpened, EntryPosted, EntryPending, EntryReleased, EntryRemoved, EntryReversed, EntryExpired,
    }

    public static EventKind KindOf(in LedgerEvent e) => e.Kind switch
    {
        LedgerEventKind.AccountOpened => EventKind.AccountOpened,
        LedgerEventKind.EntryApplied => e.Status == EntryStatus.Pending ? EventKind.EntryPending : EventKind.EntryPosted,
        _ when e.MarksReversal => EventKind.EntryReversed,
        _ => e.Status switch
        {
            EntryStatus.Released => EventKind.EntryReleased,
            EntryStatus.Removed => EventKind.EntryRemoved,
            EntryStatus.Expired => EventKind.EntryExpired,
            _ => throw new Ledger.Engine.InvariantViolationException($"Invariant: a status change to {e.Status} of entry {e.Sequence}."),
        },
    };
}
