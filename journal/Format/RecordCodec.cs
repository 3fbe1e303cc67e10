using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using MessagePack;

namespace Ledger.Journal.Format;

/// <summary>
/// Encodes a decided command as a journal record (header + MessagePack payload) and decodes it back, with explicit
/// code rather than a reflection-based resolver: the layout below is the format, and changing it means a new version.
/// <para>Payload, format version 1: a MessagePack array of 9 items</para>
/// <code>
/// [0] timestampTicks  int64   the command's time after the engine's clamp (every event carries it)
/// [1] permittedDomains uint64 domain bit mask the partner held
/// [2] bundleId        str|nil
/// [3] entries         [[accountPacked, kind, correlationId, description|nil, entryType, hasAmount, amountMinor,
///                       currencyPacked, reference|nil, expiresAtTicks], ...]
/// [4] openings        [[accountPacked, currencyPacked, overdraftLimitMinor], ...]
/// [5] target          nil | [accountPacked, correlationId]                      (RemoveEntry)
/// [6] catalog         nil | a catalog in <see cref="CatalogCodec"/>'s form 1 (older records) or form 2 (domains, domain rules, promoter)
/// [7] result          [code, entryIndex, rule|nil]
/// [8] events          [[kind, sequence, causedBySequence, accountPacked, currencyPacked, entryKind, status, entryType,
///                       amountMinor, correlationId, description, referenceSequence, expiresAtTicks,
///                       availableMinor, heldMinor (, feeOfSequence)], ...]
/// </code>
/// An event's correlationId and description are the request's own strings; where they are the very strings of
/// entry i they are written as the integer i (most are), else as a string or nil. A fee entry's event (issue 16) has a
/// 16th item, the sequence of the entry that carried the fee, and its correlationId, the fee id derived from entry i
/// (<c>&lt;id&gt;:fee</c>, not journaled with the entry: the reader derives it again), is written as the integer -1 - i.
/// A build from before fees refuses such an event (16 items) as a payload it cannot decode, never guesses; journals
/// without fees are written exactly as before. An AccountOpened event that repeats
/// opening i is written short, as <c>[kind, i]</c> (bulk imports). The command kind is in the header.
/// Usage: the writer and <see cref="JournalCursor"/> call it; read records through <see cref="JournalCursor"/> or <see cref="JournalReader"/>.
/// </summary>
public static class RecordCodec
{
    private const int PayloadItems = 9;
    private const int EntryItems = 10;
    private const int EventItems = 15;
    /// <summary>A fee entry's event has a 16th item: <see cref="LedgerEvent.FeeOfSequence"/> (other events stay 15, so journals without fees are unchanged).</summary>
    private const int EventItemsWithFee = 16;

    /// <summary>Writes the whole record (header and payload) for <paramref name="command"/> into <paramref name="buffer"/> (from its start).</summary>
    internal static void Encode(LedgerCommand command, long recordNumber, long lastSequence, RecordBuffer buffer)
    {
        buffer.Clear();
        Append(command, recordNumber, lastSequence, buffer);
    }

    /// <summary>Appends the whole record after what <paramref name="buffer"/> already holds; returns where it starts.</summary>
    internal static int Append(LedgerCommand command, long recordNumber, long lastSequence, RecordBuffer buffer)
    {
        int start = buffer.Length;
        buffer.Advance(RecordHeader.Size);
        var w = new MessagePackWriter(buffer);
        w.WriteArrayHeader(PayloadItems);
        w.Write(command.TimestampTicks);
        w.Write(command.PermittedDomains);
        w.Write(command.BundleId);

        w.WriteArrayHeader(command.EntryCount);
        for (int i = 0; i < command.EntryCount; i++)
        {
            ref readonly var e = ref command.Entries[i];
            w.WriteArrayHeader(EntryItems);
            w.Write(e.Account.Packed);
            w.Write((byte)e.Kind);
            w.Write(e.CorrelationId);
            w.Write(e.Description);
            w.Write(e.EntryType);
            w.Write(e.HasAmount);
            w.Write(e.AmountMinor);
            w.Write(e.Currency.Packed);
            w.Write(e.Reference);
            w.Write(e.ExpiresAtTicks);
        }

        int openings = command.Kind == CommandKind.OpenAccounts ? command.OpeningCount : 0;
        w.WriteArrayHeader(openings);
        for (int i = 0; i < openings; i++)
        {
            ref readonly var o = ref command.Openings[i];
            w.WriteArrayHeader(3);
            w.Write(o.Account.Packed);
            w.Write(o.Currency.Packed);
            w.Write(o.OverdraftLimitMinor);
        }

        if (command.Kind == CommandKind.RemoveEntry)
        {
            w.WriteArrayHeader(2);
            w.Write(command.TargetAccount.Packed);
            w.Write(command.TargetCorrelationId);
        }
        else
        {
            w.WriteNil();
        }

        if (command.Kind == CommandKind.LoadCatalog && command.Catalog is { } catalog) CatalogCodec.Write(ref w, catalog, provenance: false);
        else w.WriteNil();

        w.WriteArrayHeader(3);
        w.Write((byte)command.Result.Code);
        w.Write(command.Result.EntryIndex);
        w.Write(command.Result.Rule);

        w.WriteArrayHeader(command.EventCount);
        int cursor = 0; // events of applied entries come in entry order: look there first
        int opening = 0;
        for (int i = 0; i < command.EventCount; i++)
        {
            ref readonly var ev = ref command.Events[i];
            if (ev.Kind == LedgerEventKind.AccountOpened && opening < openings && IsOpening(in ev, in command.Openings[opening], command.TimestampTicks))
            {
                w.WriteArrayHeader(2);
                w.Write((byte)ev.Kind);
                w.Write(opening++);
                continue;
            }
            bool fee = ev.FeeOfSequence != 0;
            w.WriteArrayHeader(fee ? EventItemsWithFee : EventItems);
            w.Write((byte)ev.Kind);
            w.Write(ev.Sequence);
            w.Write(ev.CausedBySequence);
            w.Write(ev.Account.Packed);
            w.Write(ev.Currency.Packed);
            w.Write((byte)ev.EntryKind);
            w.Write((byte)ev.Status);
            w.Write(ev.EntryType);
            w.Write(ev.AmountMinor);
            int entry = fee ? -1 : FindEntry(command, ev.CorrelationId, ref cursor);
            if (entry >= 0) w.Write(entry);
            else if (fee && FindFeeCarrier(command, ev.CorrelationId) is var carrier and >= 0) w.Write(-1 - carrier); // the carrier's derived fee id
            else w.Write(ev.CorrelationId);
            if (entry >= 0 && ev.Description is not null && ReferenceEquals(ev.Description, command.Entries[entry].Description)) w.Write(entry);
            else w.Write(ev.Description);
            w.Write(ev.ReferenceSequence);
            w.Write(ev.ExpiresAtTicks);
            w.Write(ev.BalancesAfter.AvailableMinor);
            w.Write(ev.BalancesAfter.HeldMinor);
            if (fee) w.Write(ev.FeeOfSequence);
        }
        w.Flush();
        RecordHeader.Write(buffer.Written[start..], (byte)command.Kind, recordNumber, lastSequence);
        return start;
    }

    private static bool IsOpening(in LedgerEvent e, in AccountOpening o, long timestampTicks) =>
        e.Account == o.Account && e.Currency == o.Currency && e.AmountMinor == o.OverdraftLimitMinor && e.TimestampTicks == timestampTicks &&
        e.Sequence == 0 && e.CausedBySequence == 0 && e.EntryKind == 0 && e.Status == 0 && e.EntryType == 0 && e.CorrelationId is null &&
        e.Description is null && e.ReferenceSequence == 0 && e.ExpiresAtTicks == 0 && e.BalancesAfter == default;

    /// <summary>The index of the entry whose derived fee id is this very string instance, or -1.</summary>
    private static int FindFeeCarrier(LedgerCommand command, string? feeId)
    {
        if (feeId is null) return -1;
        for (int i = 0; i < command.EntryCount; i++)
        {
            if (ReferenceEquals(command.Entries[i].FeeCorrelationId, feeId)) return i;
        }
        return -1;
    }

    /// <summary>The index of the entry whose correlation id is this very string instance, or -1.</summary>
    private static int FindEntry(LedgerCommand command, string? correlationId, ref int cursor)
    {
        if (correlationId is null) return -1;
        for (int n = 0; n < command.EntryCount; n++)
        {
            int i = (cursor + n) % command.EntryCount;
            if (ReferenceEquals(command.Entries[i].CorrelationId, correlationId))
            {
                cursor = i + 1;
                return i;
            }
        }
        return -1;
    }

    /// <summary>
    /// Fills <paramref name="into"/> from a sound record's header and payload (framing and checksum already checked).
    /// Throws <see cref="JournalFormatException"/> for a version this build does not read or a payload that does not decode.
    /// </summary>
    internal static void Decode(in RecordHeader header, ReadOnlyMemory<byte> payload, JournalRecord into)
    {
        if (header.Version != RecordHeader.CurrentVersion)
            throw new JournalFormatException(
                $"journal record {header.RecordNumber} has format version {header.Version}; this build reads version {RecordHeader.CurrentVersion}. Use a build that knows that version.");
        try
        {
            DecodePayload(header, payload, into);
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or InvalidOperationException or CatalogException or OverflowException
                                   or ArgumentOutOfRangeException or IndexOutOfRangeException) // the last two: values out of range in a forged payload (RecordCodecTests mutations)
        {
            throw new JournalFormatException($"journal record {header.RecordNumber} passes its checksum but its payload does not decode ({ex.Message}).", ex);
        }
    }

    /// <summary>The payload in its order: command fields, entries, openings, removal target, catalog, result, events.</summary>
    private static void DecodePayload(in RecordHeader header, ReadOnlyMemory<byte> payload, JournalRecord into)
    {
        var r = new MessagePackReader(payload);
        var c = into.Command;
        c.Reset();
        c.FromJournal = true;
        into.ClearEvents();
        into.RecordNumber = header.RecordNumber;
        into.LastSequence = header.LastSequence;
        Expect(r.ReadArrayHeader(), PayloadItems, "payload");
        c.Kind = (CommandKind)header.Kind;
        c.TimestampTicks = r.ReadInt64();
        c.PermittedDomains = r.ReadUInt64();
        c.BundleId = r.ReadString();
        ReadEntries(ref r, c, header);
        ReadOpenings(ref r, c);
        if (!r.TryReadNil())
        {
            Expect(r.ReadArrayHeader(), 2, "target");
            var account = AccountKey.FromPacked(r.ReadInt64());
            c.SetRemove(account, r.ReadString()!);
        }
        if (!r.TryReadNil()) c.SetLoadCatalog(CatalogCodec.ReadCatalog(ref r));
        c.Kind = (CommandKind)header.Kind;
        into.Result = ReadResult(ref r, c);
        ReadEvents(ref r, c, into);
        if (!r.End) throw new MessagePackSerializationException("bytes left after the payload");
    }

    private static void ReadEntries(ref MessagePackReader r, LedgerCommand c, in RecordHeader header)
    {
        int entries = r.ReadArrayHeader();
        if (entries > 0 || c.Kind == CommandKind.PostEntries)
        {
            var bundleId = c.BundleId;
            c.SetPost(entries, bundleId);
            c.Kind = (CommandKind)header.Kind;
        }
        for (int i = 0; i < entries; i++)
        {
            Expect(r.ReadArrayHeader(), EntryItems, "entry");
            ref var e = ref c.Entries[i];
            e.Account = AccountKey.FromPacked(r.ReadInt64());
            e.Kind = (EntryKind)r.ReadByte();
            e.CorrelationId = r.ReadString()!;
            e.Description = r.ReadString();
            e.EntryType = r.ReadInt32();
            e.HasAmount = r.ReadBoolean();
            e.AmountMinor = r.ReadInt64();
            e.Currency = new CurrencyCode(r.ReadInt32());
            e.Reference = r.ReadString();
            e.ExpiresAtTicks = r.ReadInt64();
            e.FeeCorrelationId = null; // not journaled: derived below for the entries whose fee an event names (ReadEntryString)
        }
    }

    private static void ReadOpenings(ref MessagePackReader r, LedgerCommand c)
    {
        int openings = r.ReadArrayHeader();
        if (openings == 0) return;
        c.SetOpenAccounts(openings);
        for (int i = 0; i < openings; i++)
        {
            Expect(r.ReadArrayHeader(), 3, "opening");
            c.Openings[i] = new AccountOpening
            {
                Account = AccountKey.FromPacked(r.ReadInt64()),
                Currency = new CurrencyCode(r.ReadInt32()),
                OverdraftLimitMinor = r.ReadInt64(),
            };
        }
    }

    private static CommandResult ReadResult(ref MessagePackReader r, LedgerCommand c)
    {
        Expect(r.ReadArrayHeader(), 3, "result");
        return new CommandResult
        {
            Code = (ResultCode)r.ReadByte(),
            EntryIndex = r.ReadInt32(),
            Rule = r.ReadString(),
            TimestampTicks = c.TimestampTicks,
        };
    }

    /// <summary>The events: full ones, or the short form of an account opening (kind and opening index).</summary>
    private static void ReadEvents(ref MessagePackReader r, LedgerCommand c, JournalRecord into)
    {
        int events = r.ReadArrayHeader();
        long reversal = -1, reversedAmount = 0; // the last reversal applied in this record
        for (int i = 0; i < events; i++)
        {
            int items = r.ReadArrayHeader();
            ref var ev = ref into.AddEvent();
            if (items == 2)
            {
                ev.Kind = (LedgerEventKind)r.ReadByte();
                int o = r.ReadInt32();
                if (ev.Kind != LedgerEventKind.AccountOpened || (uint)o >= (uint)c.OpeningCount) throw new MessagePackSerializationException($"a short event names opening {o} of {c.OpeningCount}");
                ev.Account = c.Openings[o].Account;
                ev.Currency = c.Openings[o].Currency;
                ev.AmountMinor = c.Openings[o].OverdraftLimitMinor;
                ev.TimestampTicks = c.TimestampTicks;
                continue;
            }
            if (items != EventItemsWithFee) Expect(items, EventItems, "event");
            ev.Kind = (LedgerEventKind)r.ReadByte();
            ev.Sequence = r.ReadInt64();
            ev.CausedBySequence = r.ReadInt64();
            ev.TimestampTicks = c.TimestampTicks;
            ev.Account = AccountKey.FromPacked(r.ReadInt64());
            ev.Currency = new CurrencyCode(r.ReadInt32());
            ev.EntryKind = (EntryKind)r.ReadByte();
            ev.Status = (EntryStatus)r.ReadByte();
            ev.EntryType = r.ReadInt32();
            ev.AmountMinor = r.ReadInt64();
            ev.CorrelationId = ReadEntryString(ref r, c, description: false);
            ev.Description = ReadEntryString(ref r, c, description: true);
            ev.ReferenceSequence = r.ReadInt64();
            ev.ExpiresAtTicks = r.ReadInt64();
            ev.BalancesAfter = new Balances(r.ReadInt64(), r.ReadInt64());
            if (items == EventItemsWithFee) ev.FeeOfSequence = r.ReadInt64();
            if (ev.Kind == LedgerEventKind.EntryApplied && ev.EntryKind == EntryKind.Reversal)
            {
                reversal = ev.Sequence;
                reversedAmount = ev.AmountMinor;
            }
            else if (ev.MarksReversal && ev.AmountMinor == 0 && ev.CausedBySequence == reversal)
            {
                // Written before issue 18, when the mark of a reversal carried amount 0: the reversed entry's amount is
                // its reversal's (a reversal reverses the whole entry), journaled just before it in the same record.
                ev.AmountMinor = reversedAmount;
            }
        }
    }

    private static string? ReadEntryString(ref MessagePackReader r, LedgerCommand c, bool description)
    {
        if (r.NextMessagePackType == MessagePackType.Integer)
        {
            int i = r.ReadInt32();
            if (i < 0 && !description)
            {
                // -1 - i: the fee id derived from entry i (a fee event)
                // Derived here, for the entries that posted a fee only (a reader of a ledger without fees allocates none);
                // the engine replaying the record decides the same fee with this very string.
                i = -1 - i;
                if ((uint)i >= (uint)c.EntryCount) throw new MessagePackSerializationException($"event names the fee of entry {i} of {c.EntryCount}");
                ref var carrier = ref c.Entries[i];
                if (carrier.FeeCorrelationId is { } feeId) return feeId;
                if (!FeeIds.MayCarry(carrier.Kind) || carrier.CorrelationId is not { Length: > 0 and <= FeeIds.CarrierIdLengthMax } id)
                    throw new MessagePackSerializationException($"event names the fee of entry {i}, which cannot carry one");
                return carrier.FeeCorrelationId = FeeIds.Of(id);
            }
            if ((uint)i >= (uint)c.EntryCount) throw new MessagePackSerializationException($"event names entry {i} of {c.EntryCount}");
            return description ? c.Entries[i].Description : c.Entries[i].CorrelationId;
        }
        return r.ReadString();
    }

    internal static void Expect(int actual, int expected, string what)
    {
        if (actual != expected) throw new MessagePackSerializationException($"a {what} has {actual} items, not {expected}");
    }
}
