using System.Buffers;
using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;
using Ledger.Engine;
using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.ReadSide;
using Microsoft.AspNetCore.Http.Metadata;

using Ledger.Gateway.Edge;

namespace Ledger.Gateway.Api;

/// <summary>
/// The 201 of a batch, written straight from the decided command with <see cref="Utf8JsonWriter"/> (no response
/// objects). Its shape is exactly <see cref="EntryBatchGroupResponse"/> (a test compares the bytes with the
/// source-generated serializer's). Owns the pooled command and returns it once written.
/// </summary>
internal sealed class BatchCreatedResult(LedgerCommand command, LedgerCommandPool pool, HistoryCatalog catalog)
    : IResult, IStatusCodeHttpResult, IContentTypeHttpResult, IEndpointMetadataProvider
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    [ThreadStatic]
    private static Utf8JsonWriter? _threadWriter;

    public int? StatusCode => StatusCodes.Status201Created;
    public string ContentType => "application/json; charset=utf-8";

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        try
        {
            var response = httpContext.Response;
            response.StatusCode = StatusCodes.Status201Created;
            response.ContentType = ContentType;
            response.Headers.Location = LocationOf(command.Entries[0].Account, command.EntryResults[0].Sequence, command.ResultCount); // fees follow on the account
            Write(response.BodyWriter, command, catalog);
            await response.BodyWriter.FlushAsync(httpContext.RequestAborted);
        }
        finally
        {
            pool.Return(command);
        }
    }

    /// <summary>
    /// The statement query that lists exactly a batch's entries (they are consecutive on their account): the page of
    /// <paramref name="count"/> rows after the sequence before the first. What the 201's <c>Location</c> names.
    /// </summary>
    public static string LocationOf(AccountKey account, long firstSequence, int count)
    {
        string cursor = firstSequence > 1 ? "&cursor=" + StatementJson.Cursor.Encode(firstSequence - 1) : "";
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"/v1/entries?branch={account.Branch}&account={account.Number}{cursor}&limit={count}");
    }

    // Property names and the balance types, encoded once (the statuses and directions: WireNames): the writer copies them
    // without an escaping check.
    private static readonly JsonEncodedText EntriesName = JsonEncodedText.Encode("entries"u8), CorrelationIdName = JsonEncodedText.Encode("correlationId"u8),
        EntryTypeName = JsonEncodedText.Encode("entryType"u8), DirectionName = JsonEncodedText.Encode("direction"u8), StatusName = JsonEncodedText.Encode("status"u8),
        SequenceName = JsonEncodedText.Encode("sequence"u8), TimestampName = JsonEncodedText.Encode("timestamp"u8), AsOfDateName = JsonEncodedText.Encode("asOfDate"u8),
        AmountName = JsonEncodedText.Encode("amount"u8), ValueName = JsonEncodedText.Encode("value"u8), CurrencyName = JsonEncodedText.Encode("currency"u8),
        FeeOfName = JsonEncodedText.Encode("feeOf"u8), BalancesName = JsonEncodedText.Encode("balances"u8), TypeName = JsonEncodedText.Encode("type"u8),
        Available = JsonEncodedText.Encode("AVAILABLE"u8), Held = JsonEncodedText.Encode("HELD"u8);

    [ThreadStatic]
    private static Stamps? _threadStamps;

    public static void Write(IBufferWriter<byte> output, LedgerCommand command, HistoryCatalog catalog)
    {
        var w = _threadWriter;
        if (w is null) _threadWriter = w = new Utf8JsonWriter(output, WriterOptions);
        else w.Reset(output);
        var stamps = _threadStamps ??= new Stamps();
        Span<byte> currency = stackalloc byte[5];
        w.WriteStartObject();
        w.WriteStartArray(EntriesName);
        for (int i = 0; i < command.ResultCount; i++)
        {
            ref var r = ref command.EntryResults[i];
            var (correlationId, kind, feeOf) = ResultIdentity.Of(command, i);
            w.WriteStartObject();
            w.WriteString(CorrelationIdName, correlationId);
            w.WriteNumber(EntryTypeName, r.EntryType);
            w.WriteString(DirectionName, WireNames.DirectionJson(Answers.DirectionOf(catalog, kind, r.EntryType)));
            w.WriteString(StatusName, WireNames.StatusJson(r.Status));
            w.WriteNumber(SequenceName, r.Sequence);
            stamps.At(r.TimestampTicks);
            w.WritePropertyName(TimestampName);
            w.WriteRawValue(stamps.Timestamp, skipInputValidation: true);
            w.WritePropertyName(AsOfDateName);
            w.WriteRawValue(stamps.AsOfDate, skipInputValidation: true);
            w.WriteStartObject(AmountName);
            w.WriteNumber(ValueName, r.AmountMinor);
            WriteCurrency(w, r.Currency, currency);
            w.WriteEndObject();
            if (feeOf is not null) w.WriteString(FeeOfName, feeOf);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        ref var first = ref command.EntryResults[0];
        w.WriteStartArray(BalancesName);
        WriteBalance(w, Available, first.BalancesAfter.AvailableMinor, first.Currency, currency);
        WriteBalance(w, Held, first.BalancesAfter.HeldMinor, first.Currency, currency);
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
    }

    private static void WriteBalance(Utf8JsonWriter w, JsonEncodedText type, long value, CurrencyCode currency, Span<byte> scratch)
    {
        w.WriteStartObject();
        w.WriteString(TypeName, type);
        w.WriteNumber(ValueName, value);
        WriteCurrency(w, currency, scratch);
        w.WriteEndObject();
    }

    /// <summary>A known currency is three letters A–Z, written as they are; anything else through the escaping writer.</summary>
    private static void WriteCurrency(Utf8JsonWriter w, CurrencyCode code, Span<byte> scratch)
    {
        scratch[0] = (byte)'"';
        code.WriteLetters(scratch[1..4]);
        scratch[4] = (byte)'"';
        if (scratch[1..4].IndexOfAnyExceptInRange((byte)'A', (byte)'Z') < 0)
        {
            w.WritePropertyName(CurrencyName);
            w.WriteRawValue(scratch, skipInputValidation: true);
        }
        else
        {
            w.WriteString(CurrencyName, scratch[1..4]);
        }
    }

    /// <summary>
    /// The JSON string values of an entry's instant and its business date, formatted once per instant (a batch's entries
    /// share their command's) with the writer's own formatting, so the bytes are what <c>WriteString</c> would write.
    /// </summary>
    private sealed class Stamps
    {
        [ThreadStatic]
        private static Utf8JsonWriter? _threadFormatter;

        private readonly ArrayBufferWriter<byte> _timestamp = new(64);
        private readonly byte[] _date = new byte[12];
        private long _ticks = long.MinValue;

        public ReadOnlySpan<byte> Timestamp => _timestamp.WrittenSpan;
        public ReadOnlySpan<byte> AsOfDate => _date;

        public void At(long ticks)
        {
            if (ticks == _ticks) return;
            _timestamp.ResetWrittenCount();
            var formatter = _threadFormatter;
            if (formatter is null) _threadFormatter = formatter = new Utf8JsonWriter(_timestamp, WriterOptions);
            else formatter.Reset(_timestamp);
            formatter.WriteStringValue(WireTime.Utc(ticks));
            formatter.Flush();
            _date[0] = _date[11] = (byte)'"';
            WireTime.AsOfDate(ticks).TryFormat(_date.AsSpan(1, 10), out _, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            _ticks = ticks;
        }
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status201Created, typeof(EntryBatchGroupResponse), ["application/json"]));
}
