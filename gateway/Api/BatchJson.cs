using System.Buffers;
using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;
using Ledger.Engine;
using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Gateway.Problems;
using Ledger.ReadSide;
using Microsoft.AspNetCore.Http.Metadata;

namespace Ledger.Gateway.Api;

/// <summary>
/// The hot path's JSON: reads <c>{"entries":[…]}</c> straight into the pooled command's entry slots (no request
/// objects), with the same strictness as <see cref="GatewayJsonContext"/> (unknown or duplicate members, wrong
/// types and trailing content are 400 <c>malformed-json</c>), and the same checks per entry (<see cref="EntryMapper"/>).
/// </summary>
internal static class BatchJsonReader
{
    internal static readonly JsonReaderOptions Options = new() { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 8 };

    // Bits of the members seen in one entry object (a duplicate is refused, as the DTO path does).
    private const int KindBit = 1, IdBit = 2, DescriptionBit = 4, TypeBit = 8, AmountBit = 16, ReversesBit = 32, UnblocksBit = 64,
        RemovesBit = 128, ExpiresBit = 256, ValueBit = 512, CurrencyBit = 1024, ScaleBit = 2048;

    /// <summary>Fills <paramref name="command"/> with a post of the batch; null when valid, else the 400.</summary>
    public static ProblemResult? Read(in ReadOnlySequence<byte> json, AccountKey account, LedgerCommand command)
    {
        int filled = 0;
        var problem = Read(json, account, command, ref filled);
        // On a refusal, let Reset clear the slots filled so far (a pooled command must not keep request strings alive).
        if (problem is not null) command.EntryCount = Math.Max(command.EntryCount, filled);
        return problem;
    }

    private static ProblemResult? Read(in ReadOnlySequence<byte> json, AccountKey account, LedgerCommand command, ref int filled)
    {
        var reader = new Utf8JsonReader(json, Options);
        try
        {
            if (!reader.Read()) return Malformed("The body is empty; send {\"entries\":[…]}.");
            if (reader.TokenType == JsonTokenType.Null) return Malformed("The body is JSON null; send an object.");
            if (reader.TokenType != JsonTokenType.StartObject) return WrongType("$");
            int count = -1;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (!reader.ValueTextEquals("entries"u8)) return Unknown(ref reader, "$");
                if (count >= 0) return Malformed("Duplicate member at $.entries.");
                reader.Read();
                if (reader.TokenType == JsonTokenType.Null)
                {
                    count = 0;
                    continue;
                }
                if (reader.TokenType != JsonTokenType.StartArray) return WrongType("$.entries");
                count = 0;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (count == Limits.EntriesPerBatchMax)
                    {
                        return Problem.Validation($"entries has more than {Limits.EntriesPerBatchMax} entries; a batch takes at most {Limits.EntriesPerBatchMax}.");
                    }
                    if (count == command.Entries.Length) command.EnsureEntryCapacity(Math.Min(count * 2, Limits.EntriesPerBatchMax));
                    filled = count + 1;
                    if (reader.TokenType == JsonTokenType.Null) return Problem.Validation($"entries[{count}] is null; send an entry object.", count);
                    if (reader.TokenType != JsonTokenType.StartObject) return WrongType($"$.entries[{count}]");
                    var fields = new EntryFields();
                    if (ReadEntry(ref reader, -1, count, ref fields) is { } problem) return problem;
                    if (EntryMapper.TryMap(in fields, account, -1, count, ref command.Entries[count]) is { } error) return Problem.Validation(error, count);
                    count++;
                }
            }
            if (reader.Read()) return Malformed("The body has content after its JSON object.");
            if (count <= 0) return Problem.Validation("entries is required: 1 to 1 000 entries.");
            command.SetPost(count);
            return null;
        }
        catch (JsonException ex)
        {
            return NotJson(ex);
        }
        catch (InvalidOperationException)
        {
            return InvalidString(reader.BytesConsumed);
        }
    }

    internal static ProblemResult NotJson(JsonException ex)
    {
        string position = ex.LineNumber is { } line ? $" (line {line + 1}, byte {ex.BytePositionInLine + 1})" : "";
        return Malformed($"The body is not valid JSON{position}.");
    }

    /// <summary>
    /// Utf8JsonReader.GetString throws InvalidOperationException (not JsonException) for invalid UTF-8 or an escape
    /// that is not valid UTF-16, such as a lone surrogate "\uDC00": malformed input, so a 400 like any other.
    /// </summary>
    internal static ProblemResult InvalidString(long nearByte) =>
        Malformed($"The body has a string that is not valid UTF-8 or holds an invalid escape (a lone surrogate such as \\uDC00) near byte {nearByte}.");

    internal static ProblemResult? ReadEntry(ref Utf8JsonReader reader, int leg, int index, ref EntryFields f)
    {
        int seen = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            int bit;
            if (reader.ValueTextEquals("entryKind"u8)) bit = KindBit;
            else if (reader.ValueTextEquals("correlationId"u8)) bit = IdBit;
            else if (reader.ValueTextEquals("entryType"u8)) bit = TypeBit;
            else if (reader.ValueTextEquals("amount"u8)) bit = AmountBit;
            else if (reader.ValueTextEquals("description"u8)) bit = DescriptionBit;
            else if (reader.ValueTextEquals("reverses"u8)) bit = ReversesBit;
            else if (reader.ValueTextEquals("unblocks"u8)) bit = UnblocksBit;
            else if (reader.ValueTextEquals("removes"u8)) bit = RemovesBit;
            else if (reader.ValueTextEquals("expiresAt"u8)) bit = ExpiresBit;
            else return Unknown(ref reader, $"{Path(leg, index)}");
            if ((seen & bit) != 0) return Malformed($"Duplicate member at $.entries[{index}].");
            seen |= bit;
            reader.Read();
            bool isNull = reader.TokenType == JsonTokenType.Null;
            switch (bit)
            {
                case KindBit:
                    if (isNull) break;
                    if (reader.TokenType != JsonTokenType.String) return WrongType($"{Path(leg, index)}.entryKind");
                    if (reader.ValueIsEscaped || !WireNames.TryParseKind(reader.ValueSpan, out f.Kind))
                    {
                        f.KindText = reader.GetString();
                        f.Kind = WireNames.TryParseKind(f.KindText, out var named) ? named : 0; // else EntryMapper refuses KindText
                    }
                    break;
                case TypeBit:
                    if (isNull) break;
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out int type)) return NotAnInteger(ref reader, $"{Path(leg, index)}.entryType", 32);
                    f.EntryType = type;
                    break;
                case AmountBit:
                    if (isNull) break;
                    if (reader.TokenType != JsonTokenType.StartObject) return WrongType($"{Path(leg, index)}.amount");
                    f.HasAmount = true;
                    if (ReadAmount(ref reader, leg, index, ref f) is { } problem) return problem;
                    break;
                default:
                    if (isNull) break;
                    if (reader.TokenType != JsonTokenType.String) return WrongType($"{Path(leg, index)}.{MemberName(bit)}");
                    string text = reader.GetString()!;
                    switch (bit)
                    {
                        case IdBit: f.CorrelationId = text; break;
                        case DescriptionBit: f.Description = text; break;
                        case ReversesBit: f.Reverses = text; break;
                        case UnblocksBit: f.Unblocks = text; break;
                        case RemovesBit: f.Removes = text; break;
                        default: f.ExpiresAt = text; break;
                    }
                    break;
            }
        }
        return null;
    }

    private static ProblemResult? ReadAmount(ref Utf8JsonReader reader, int leg, int index, ref EntryFields f)
    {
        Span<char> code = stackalloc char[3];
        int seen = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            int bit;
            if (reader.ValueTextEquals("value"u8)) bit = ValueBit;
            else if (reader.ValueTextEquals("currency"u8)) bit = CurrencyBit;
            else if (reader.ValueTextEquals("scale"u8)) bit = ScaleBit;
            else return Unknown(ref reader, $"{Path(leg, index)}.amount");
            if ((seen & bit) != 0) return Malformed($"Duplicate member at $.entries[{index}].amount.");
            seen |= bit;
            reader.Read();
            if (reader.TokenType == JsonTokenType.Null) continue;
            switch (bit)
            {
                case ValueBit:
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long value)) return NotAnInteger(ref reader, $"{Path(leg, index)}.amount.value", 64);
                    f.Value = value;
                    break;
                case ScaleBit:
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out int scale)) return NotAnInteger(ref reader, $"{Path(leg, index)}.amount.scale", 32);
                    f.Scale = scale;
                    break;
                default:
                    if (reader.TokenType != JsonTokenType.String) return WrongType($"{Path(leg, index)}.amount.currency");
                    if (!reader.ValueIsEscaped && reader.ValueSpan.Length == 3 && reader.CopyString(code) == 3 && CurrencyCode.TryParse(code, out var currency))
                    {
                        f.Currency = currency; // the common case allocates no string
                    }
                    else
                    {
                        f.CurrencyText = reader.GetString();
                        // Not a known code: Currency stays None and EntryMapper refuses it, quoting CurrencyText.
                        f.Currency = CurrencyCode.TryParse(f.CurrencyText, out var parsed) ? parsed : CurrencyCode.None;
                    }
                    break;
            }
        }
        return null;
    }

    /// <summary>The JSON path of an entry: <c>$.entries[i]</c> in a batch, <c>$.legs[l].entries[i]</c> in a bundle (spelled only on a refusal).</summary>
    private static string Path(int leg, int index) => leg < 0 ? $"$.entries[{index}]" : $"$.legs[{leg}].entries[{index}]";

    private static string MemberName(int bit) => bit switch
    {
        IdBit => "correlationId",
        DescriptionBit => "description",
        ReversesBit => "reverses",
        UnblocksBit => "unblocks",
        RemovesBit => "removes",
        _ => "expiresAt",
    };

    internal static ProblemResult Malformed(string detail) => Problem.Of(ProblemTypes.MalformedJson, detail);

    internal static ProblemResult WrongType(string path) =>
        Malformed($"Wrong type at {path}: numbers must be JSON integers, texts JSON strings, lists JSON arrays.");

    /// <summary>
    /// A member that takes an integer got something else: a JSON number that is not a whole number of that many bits
    /// (<c>1e20</c>, <c>1.5</c>, <c>99999999999999999999</c>) is out of range; a string, object or the like is the wrong type.
    /// </summary>
    internal static ProblemResult NotAnInteger(ref Utf8JsonReader reader, string path, int bits)
    {
        if (reader.TokenType != JsonTokenType.Number) return WrongType(path);
        string max = bits == 64 ? "9223372036854775807" : "2147483647";
        string raw = reader.HasValueSequence ? "the number" : Edge.Shorten(System.Text.Encoding.UTF8.GetString(reader.ValueSpan));
        return Malformed($"Out of range at {path}: {raw} is not a whole number of at most {max} (write integers in plain digits: no fraction, no exponent).");
    }

    internal static ProblemResult Unknown(ref Utf8JsonReader reader, string path) =>
        Malformed($"Unknown member at {path}: '{Edge.Shorten(reader.GetString() ?? "")}' is not part of this request (names are case-sensitive camelCase).");
}

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
    private static Utf8JsonWriter? t_writer;

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
        var w = t_writer;
        if (w is null) t_writer = w = new Utf8JsonWriter(output, WriterOptions);
        else w.Reset(output);
        Span<byte> currency = stackalloc byte[3];
        Span<byte> date = stackalloc byte[10];
        w.WriteStartObject();
        w.WriteStartArray("entries"u8);
        for (int i = 0; i < command.ResultCount; i++)
        {
            ref var r = ref command.EntryResults[i];
            var (correlationId, kind, feeOf) = Answers.Identify(command, i);
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
