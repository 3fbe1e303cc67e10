using System.Buffers;
using System.Text.Json;
using Ledger.Engine;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Gateway.Edge;
using Ledger.Gateway.Problems;
using Ledger.ReadSide;

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
        string raw = reader.HasValueSequence ? "the number" : Refusal.Quote(System.Text.Encoding.UTF8.GetString(reader.ValueSpan));
        return Malformed($"Out of range at {path}: {raw} is not a whole number of at most {max} (write integers in plain digits: no fraction, no exponent).");
    }

    internal static ProblemResult Unknown(ref Utf8JsonReader reader, string path) =>
        Malformed($"Unknown member at {path}: '{Refusal.Quote(reader.GetString() ?? "")}' is not part of this request (names are case-sensitive camelCase).");
}
