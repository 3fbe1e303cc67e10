using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Ledger.Engine.Catalog;
using Ledger.Engine.Domain;

namespace Ledger.ReadSide;

/// <summary>
/// The statement as JSON, written once for everyone who shows one: the gateway's <c>GET /v1|v2/entries</c> body and the
/// replay-tool's <c>statement --format json</c> are this writer's output, so they are the same bytes. Shape (the
/// OpenAPI's <c>StatementResponse</c>): <c>{"branch","account","entries":[{"correlationId","entryType","entryKind",
/// "direction"?,"amount":{"value","currency"},"status","asOfDate","sequence","timestamp","description"?,"reversedBy"?,"reverses"?,
/// "unblocks"?,"removes"?,"expiresAt"?}],"nextCursor"?}</c>; absent members are left out, never null.
/// </summary>
public static class StatementJson
{
    public static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Write(Utf8JsonWriter w, StatementPage page, HistoryCatalog catalog)
    {
        string currency = page.Account.Currency.ToString();
        WriteStart(w, page.Account);
        foreach (var row in page.Rows) WriteRow(w, row, currency, catalog);
        WriteEnd(w, page.NextAfterSequence);
    }

    /// <summary>Opens the body (branch, account, the entries array); rows follow, then <see cref="WriteEnd"/>. For callers that stream many pages as one.</summary>
    public static void WriteStart(Utf8JsonWriter w, ReadAccount account)
    {
        w.WriteStartObject();
        w.WriteNumber("branch", account.Key.Branch);
        w.WriteNumber("account", account.Key.Number);
        w.WriteStartArray("entries");
    }

    /// <summary>
    /// The whole-ledger statement: <c>{"entries":[{"branch","account", then an entry as above}],"nextCursor"?}</c>,
    /// every account's entries in sequence order.
    /// </summary>
    public static void WriteLedger(Utf8JsonWriter w, LedgerStatementPage page, HistoryCatalog catalog)
    {
        w.WriteStartObject();
        w.WriteStartArray("entries");
        foreach (var (account, currency, row) in page.Rows) WriteRow(w, row, currency.ToString(), catalog, account);
        w.WriteEndArray();
        if (page.Next is { } next) w.WriteString("nextCursor", Cursor.Encode(next));
        w.WriteEndObject();
    }

    /// <summary>
    /// One entry; its <c>direction</c> comes from <paramref name="catalog"/> (left out for a code it lacks). With
    /// <paramref name="account"/> (the whole-ledger statement) the entry names its branch and account first.
    /// </summary>
    public static void WriteRow(Utf8JsonWriter w, StatementRow row, string currency, HistoryCatalog catalog, AccountKey? account = null)
    {
        w.WriteStartObject();
        if (account is { } key)
        {
            w.WriteNumber("branch", key.Branch);
            w.WriteNumber("account", key.Number);
        }
        w.WriteString("correlationId", row.CorrelationId);
        w.WriteNumber("entryType", row.EntryType);
        w.WriteString("entryKind", WireNames.Kind(row.Kind));
        if (catalog.DirectionOf(row.Kind, row.EntryType) is { } direction) w.WriteString("direction", WireNames.DirectionJson(direction));
        w.WriteStartObject("amount");
        w.WriteNumber("value", row.AmountMinor);
        w.WriteString("currency", currency);
        w.WriteEndObject();
        w.WriteString("status", WireNames.StatusJson(row.Status));
        w.WriteString("asOfDate", WireTime.AsOfDate(row.TimestampTicks).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        w.WriteNumber("sequence", row.Sequence);
        w.WriteString("timestamp", WireTime.Utc(row.TimestampTicks));
        if (row.Description is not null) w.WriteString("description", row.Description);
        if (row.ReversedBy is not null) w.WriteString("reversedBy", row.ReversedBy);
        if (row.Reference is not null)
        {
            string? name = row.Kind switch { EntryKind.Reversal => "reverses", EntryKind.Unblocking => "unblocks", EntryKind.Removal => "removes", _ => null };
            if (name is not null) w.WriteString(name, row.Reference);
        }
        if (row.ExpiresAtTicks != 0) w.WriteString("expiresAt", WireTime.Utc(row.ExpiresAtTicks));
        w.WriteEndObject();
    }

    /// <summary>Closes the body; <paramref name="nextAfterSequence"/> 0 means the last page (no cursor).</summary>
    public static void WriteEnd(Utf8JsonWriter w, long nextAfterSequence)
    {
        w.WriteEndArray();
        if (nextAfterSequence != 0) w.WriteString("nextCursor", Cursor.Encode(nextAfterSequence));
        w.WriteEndObject();
    }

    /// <summary>The statement's page cursor: the last sequence a page returned, versioned and base64url-wrapped so partners treat it as opaque.</summary>
    public static class Cursor
    {
        private const string Prefix = "s1:";

        public static string Encode(long afterSequence) =>
            Base64Url.EncodeToString(Encoding.ASCII.GetBytes(Prefix + afterSequence.ToString(CultureInfo.InvariantCulture)));

        private const string LedgerPrefix = "l1:";

        /// <summary>The whole-ledger statement's cursor: the time and sequence of the last entry examined.</summary>
        public static string Encode(LedgerPosition after) =>
            Base64Url.EncodeToString(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{LedgerPrefix}{after.TimestampTicks}.{after.Sequence}")));

        public static bool TryDecode(string cursor, out LedgerPosition after)
        {
            after = default;
            if (!TryUnwrap(cursor, LedgerPrefix, out string text)) return false;
            int dot = text.IndexOf('.', StringComparison.Ordinal);
            if (dot < 0 ||
                !long.TryParse(text.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out long ticks) ||
                !long.TryParse(text.AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long sequence) || sequence < 1)
            {
                return false;
            }
            after = new LedgerPosition(ticks, sequence);
            return true;
        }

        private static bool TryUnwrap(string cursor, string prefix, out string text)
        {
            text = "";
            if (cursor.Length > 64) return false;
            byte[] bytes;
            try
            {
                bytes = Base64Url.DecodeFromChars(cursor);
            }
            catch (FormatException)
            {
                return false;
            }
            string decoded = Encoding.ASCII.GetString(bytes);
            if (!decoded.StartsWith(prefix, StringComparison.Ordinal)) return false;
            text = decoded[prefix.Length..];
            return true;
        }

        public static bool TryDecode(string cursor, out long afterSequence)
        {
            afterSequence = 0;
            return TryUnwrap(cursor, Prefix, out string text) &&
                   long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out afterSequence) && afterSequence > 0;
        }
    }
}
