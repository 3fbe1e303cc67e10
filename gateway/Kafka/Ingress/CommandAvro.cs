using Ledger.Engine;
using Ledger.Engine.Domain;
using Ledger.Gateway.Edge;

namespace Ledger.Gateway.Kafka.Ingress;

/// <summary>
/// One <c>ledger-command.avsc</c> datum, read straight from the message's bytes into reusable fields (no Avro
/// <c>GenericRecord</c>, no object per entry): the ingress thread owns one and refills it per message. Entries land as
/// <see cref="EntryFields"/>, the same values REST's JSON reader produces, so the edge checks (<see cref="EntryMapper"/>)
/// are the same for both doors. Bundles keep their legs in lists (what <see cref="BundleCheck.Prepare"/> takes).
/// Memory is bounded by the edge's limits, not by what a message claims: every item is read (so a malformed one is
/// refused wherever it is), but only the first <see cref="Limits.EntriesPerBatchMax"/> entries, <see cref="Limits.LegsPerBundleMax"/>
/// legs and <see cref="Limits.EntriesPerBundleMax"/> leg entries are kept; the counts say how many there were, for the refusal.
/// Usage: <c>if (decoded.TryRead(datum, out var problem)) ...</c>
/// </summary>
internal sealed class CommandAvro
{
    /// <summary>The schema's <c>CommandKind</c> symbols, in order (the engine's <see cref="Ledger.Engine.Commands.CommandKind"/> is what they become).</summary>
    public enum Symbol
    {
        PostBatch, RemoveEntry, PostBundle, OpenAccount,
    }

    // The schema's EntryKind symbols, in order (their wire names are the REST ones).
    private static readonly string[] EntryKindSymbols = ["ledger", "blocking", "unblocking", "reversal", "removal"];
    private const int EntryBytesMin = 2; // an entry holds at least its kind and an empty correlation id

    public string CommandId = "";
    public Symbol Kind;
    public int? Branch;
    public long? Account;
    public EntryFields[] Entries = new EntryFields[16];
    public int EntryCount;
    public string? CorrelationId;
    public string? BundleId;
    public List<BundleLegBody?> Legs = [];
    /// <summary>Legs in the message (<see cref="Legs"/> keeps the first <see cref="Limits.LegsPerBundleMax"/>).</summary>
    public int LegCount;
    /// <summary>Entries over all legs (the legs keep the first <see cref="Limits.EntriesPerBundleMax"/>).</summary>
    public int LegEntryCount;
    public string? Currency;
    public long? OverdraftLimit;

    /// <summary>Reads the datum (after the framing header); false with <paramref name="problem"/> when the bytes are not one.</summary>
    public bool TryRead(ReadOnlySpan<byte> datum, out string? problem)
    {
        problem = null;
        try
        {
            var r = new AvroReader(datum);
            CommandId = r.ReadString();
            Kind = (Symbol)r.ReadEnum(4);
            Branch = r.ReadOptionalInt();
            Account = r.ReadOptionalLong();
            EntryCount = 0;
            for (int n = r.ReadBlockCount(EntryBytesMin); n > 0; n = r.ReadBlockCount(EntryBytesMin))
            {
                for (int i = 0; i < n; i++, EntryCount++)
                {
                    if (EntryCount >= Limits.EntriesPerBatchMax)
                    {
                        ReadEntry(ref r, out _); // read, not kept: the batch is refused for its count
                        continue;
                    }
                    if (EntryCount == Entries.Length) Array.Resize(ref Entries, Math.Min(Entries.Length * 2, Limits.EntriesPerBatchMax));
                    ReadEntry(ref r, out Entries[EntryCount]);
                }
            }
            CorrelationId = r.ReadOptionalString();
            BundleId = r.ReadOptionalString();
            Legs.Clear();
            LegCount = 0;
            LegEntryCount = 0;
            for (int n = r.ReadBlockCount(3); n > 0; n = r.ReadBlockCount(3))
            {
                for (int i = 0; i < n; i++, LegCount++)
                {
                    int branch = r.ReadInt();
                    long account = r.ReadLong();
                    var leg = LegCount < Limits.LegsPerBundleMax ? new BundleLegBody { Branch = branch, Account = account, Entries = [] } : null;
                    for (int m = r.ReadBlockCount(EntryBytesMin); m > 0; m = r.ReadBlockCount(EntryBytesMin))
                    {
                        for (int j = 0; j < m; j++, LegEntryCount++)
                        {
                            ReadEntry(ref r, out var fields);
                            if (leg is not null && LegEntryCount < Limits.EntriesPerBundleMax) leg.Entries!.Add(fields);
                        }
                    }
                    if (leg is not null) Legs.Add(leg);
                }
            }
            Currency = r.ReadOptionalString();
            OverdraftLimit = r.ReadOptionalLong();
            if (r.Remaining != 0) problem = "the message has bytes after its Avro record";
        }
        catch (AvroFormatException ex)
        {
            problem = $"the message does not decode as ledger.commands.v1.LedgerCommand ({ex.Message})";
        }
        return problem is null;
    }

    private static void ReadEntry(ref AvroReader r, out EntryFields fields)
    {
        fields = default;
        string kind = EntryKindSymbols[r.ReadEnum(EntryKindSymbols.Length)];
        fields.KindText = kind;
        fields.Kind = ReadSide.WireNames.TryParseKind(kind, out var parsed) ? parsed : 0;
        fields.CorrelationId = r.ReadString();
        fields.EntryType = r.ReadOptionalInt();
        long? amount = r.ReadOptionalLong();
        string? currency = r.ReadOptionalString();
        fields.Description = r.ReadOptionalString();
        fields.Reverses = r.ReadOptionalString();
        fields.Unblocks = r.ReadOptionalString();
        fields.Removes = r.ReadOptionalString();
        fields.ExpiresAt = r.ReadOptionalString();
        if (amount is not null || currency is not null)
        {
            fields.HasAmount = true;
            fields.Value = amount;
            fields.CurrencyText = currency;
            fields.Currency = currency is not null && CurrencyCode.TryParse(currency, out var code) ? code : CurrencyCode.None;
        }
    }
}
