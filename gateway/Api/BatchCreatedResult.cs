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

    public static void Write(IBufferWriter<byte> output, LedgerCommand command, HistoryCatalog catalog)
    {
        var w = _threadWriter;
        if (w is null) _threadWriter = w = new Utf8JsonWriter(output, WriterOptions);
        else w.Reset(output);
        Span<byte> currency = stackalloc byte[3];
        Span<byte> date = stackalloc byte[10];
        w.WriteStartObject();
        w.WriteStartArray("entries"u8);
        for (int i = 0; i < command.ResultCount; i++)
        {
            ref var r = ref command.EntryResults[i];
            var (correlationId, kind, feeOf) = ResultIdentity.Of(command, i);
            w.WriteStartObject();
            w.WriteString("correlationId"u8, correlationId);
            w.WriteNumber("entryType"u8, r.EntryType);
            w.WriteString("direction"u8, WireNames.Direction(Answers.DirectionOf(catalog, kind, r.EntryType)));
            w.WriteString("status"u8, WireNames.StatusBytes(r.Status));
            w.WriteNumber("sequence"u8, r.Sequence);
            w.WriteString("timestamp"u8, WireTime.Utc(r.TimestampTicks));
            WireTime.AsOfDate(r.TimestampTicks).TryFormat(date, out _, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            w.WriteString("asOfDate"u8, date);
            w.WriteStartObject("amount"u8);
            w.WriteNumber("value"u8, r.AmountMinor);
            w.WriteString("currency"u8, Ascii(r.Currency, currency));
            w.WriteEndObject();
            if (feeOf is not null) w.WriteString("feeOf"u8, feeOf);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        ref var first = ref command.EntryResults[0];
        var code = Ascii(first.Currency, currency);
        w.WriteStartArray("balances"u8);
        WriteBalance(w, "AVAILABLE"u8, first.BalancesAfter.AvailableMinor, code);
        WriteBalance(w, "HELD"u8, first.BalancesAfter.HeldMinor, code);
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
    }

    private static void WriteBalance(Utf8JsonWriter w, ReadOnlySpan<byte> type, long value, ReadOnlySpan<byte> currency)
    {
        w.WriteStartObject();
        w.WriteString("type"u8, type);
        w.WriteNumber("value"u8, value);
        w.WriteString("currency"u8, currency);
        w.WriteEndObject();
    }

    private static ReadOnlySpan<byte> Ascii(CurrencyCode code, Span<byte> into)
    {
        into[0] = (byte)((code.Packed >> 16) & 0xFF);
        into[1] = (byte)((code.Packed >> 8) & 0xFF);
        into[2] = (byte)(code.Packed & 0xFF);
        return into;
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status201Created, typeof(EntryBatchGroupResponse), ["application/json"]));
}
