using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

namespace Ledger.Baselines;

// The wire shapes the baselines share with the gateway (docs/perf.md, "Baselines"): the same request bodies, parsed the
// ordinary way (System.Text.Json, source-generated), and the same answer shapes written with a Utf8JsonWriter.

internal sealed class BatchRequest
{
    public List<EntryRequest>? Entries { get; set; }
}

internal sealed class EntryRequest
{
    public string? EntryKind { get; set; }
    public string? CorrelationId { get; set; }
    public string? Description { get; set; }
    public int? EntryType { get; set; }
    public AmountRequest? Amount { get; set; }
    public string? Reverses { get; set; }
    public string? Unblocks { get; set; }
    public string? Removes { get; set; }
    public string? ExpiresAt { get; set; }
}

internal sealed class AmountRequest
{
    public long? Value { get; set; }
    public string? Currency { get; set; }
}

internal sealed class BundleRequest
{
    public string? BundleId { get; set; }
    public List<BundleLeg>? Legs { get; set; }
}

internal sealed class BundleLeg
{
    public int? Branch { get; set; }
    public long? Account { get; set; }
    public List<EntryRequest>? Entries { get; set; }
}

internal sealed class OpenAccountBody
{
    public int? Branch { get; set; }
    public long? Account { get; set; }
    public string? Currency { get; set; }
    public long? OverdraftLimit { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(BatchRequest))]
[JsonSerializable(typeof(BundleRequest))]
[JsonSerializable(typeof(OpenAccountBody))]
internal sealed partial class BaselineJsonContext : JsonSerializerContext;

/// <summary>One entry's answer.</summary>
internal readonly record struct EntryAnswer(string CorrelationId, int EntryType, string Status, long Sequence, long AmountMinor, string Currency);

/// <summary>Answers in the gateway's shapes.</summary>
internal static class BaselineAnswers
{
    public const string ProblemBase = "https://ledger.example/problems/";

    /// <summary>The token endpoint: a dummy bearer token (the baselines check no token).</summary>
    public static Task TokenAsync(HttpContext http)
    {
        http.Response.ContentType = "application/json";
        return http.Response.WriteAsync("{\"access_token\":\"baseline-token\",\"token_type\":\"Bearer\",\"expires_in\":3600}");
    }

    /// <summary>The batch's 201: its entries and the account's balances after it.</summary>
    public static Task BatchCreatedAsync(HttpContext http, ReadOnlySpan<EntryAnswer> entries, long available, long held, string currency, int status = 201)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + entries.Length * 160);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartArray("entries");
            foreach (var e in entries) WriteEntry(w, e);
            w.WriteEndArray();
            WriteBalances(w, available, held, currency);
            w.WriteEndObject();
        }
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        return http.Response.Body.WriteAsync(buffer.WrittenMemory).AsTask();
    }

    public static void WriteEntry(Utf8JsonWriter w, in EntryAnswer e)
    {
        w.WriteStartObject();
        w.WriteString("correlationId", e.CorrelationId);
        w.WriteNumber("entryType", e.EntryType);
        w.WriteString("status", e.Status);
        w.WriteNumber("sequence", e.Sequence);
        w.WriteStartObject("amount");
        w.WriteNumber("value", e.AmountMinor);
        w.WriteString("currency", e.Currency);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static void WriteBalances(Utf8JsonWriter w, long available, long held, string currency)
    {
        w.WriteStartArray("balances");
        w.WriteStartObject();
        w.WriteString("type", "AVAILABLE");
        w.WriteNumber("value", available);
        w.WriteString("currency", currency);
        w.WriteEndObject();
        w.WriteStartObject();
        w.WriteString("type", "HELD");
        w.WriteNumber("value", held);
        w.WriteString("currency", currency);
        w.WriteEndObject();
        w.WriteEndArray();
    }

    public static Task BalancesAsync(HttpContext http, int branch, long account, long available, long held, string currency)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("branch", branch);
            w.WriteNumber("account", account);
            WriteBalances(w, available, held, currency);
            w.WriteEndObject();
        }
        http.Response.ContentType = "application/json";
        return http.Response.Body.WriteAsync(buffer.WrittenMemory).AsTask();
    }

    /// <summary>An RFC-7807 Problem with the gateway's type URIs.</summary>
    public static Task ProblemAsync(HttpContext http, int status, string reason, string detail, int? entryIndex = null)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", ProblemBase + reason);
            w.WriteString("title", reason.Replace('-', ' '));
            w.WriteNumber("status", status);
            w.WriteString("detail", detail);
            if (entryIndex is { } i) w.WriteNumber("entryIndex", i);
            w.WriteEndObject();
        }
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/problem+json";
        return http.Response.Body.WriteAsync(buffer.WrittenMemory).AsTask();
    }

    /// <summary>Reads a JSON body with the source-generated context; null (and a 400 written) when it does not parse.</summary>
    public static async Task<T?> ReadAsync<T>(HttpContext http, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) where T : class
    {
        try
        {
            var body = await JsonSerializer.DeserializeAsync(http.Request.Body, type, http.RequestAborted);
            if (body is null) await ProblemAsync(http, 400, "validation", "The body is empty.");
            return body;
        }
        catch (JsonException ex)
        {
            await ProblemAsync(http, 400, "validation", "The body is not valid JSON: " + ex.Message);
            return null;
        }
    }

    /// <summary>The CSV or NDJSON lines of an account import: (branch, account, currency, overdraft); header and blank lines skipped.</summary>
    public static async Task<List<OpenAccountBody>> ReadImportAsync(HttpContext http)
    {
        bool csv = http.Request.ContentType?.StartsWith("text/csv", StringComparison.OrdinalIgnoreCase) == true;
        var accounts = new List<OpenAccountBody>();
        using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
        while (await reader.ReadLineAsync(http.RequestAborted) is { } line)
        {
            line = line.Trim();
            if (line.Length == 0 || line.StartsWith("branch", StringComparison.OrdinalIgnoreCase)) continue;
            if (!csv)
            {
                accounts.Add(JsonSerializer.Deserialize(line, BaselineJsonContext.Default.OpenAccountBody) ?? throw new FormatException("an empty line"));
                continue;
            }
            var f = line.Split(',');
            if (f.Length < 3) throw new FormatException($"'{line}' is not branch,account,currency[,overdraftLimit]");
            accounts.Add(new OpenAccountBody
            {
                Branch = int.Parse(f[0], CultureInfo.InvariantCulture), Account = long.Parse(f[1], CultureInfo.InvariantCulture), Currency = f[2].Trim(),
                OverdraftLimit = f.Length > 3 && f[3].Length > 0 ? long.Parse(f[3], CultureInfo.InvariantCulture) : 0,
            });
        }
        return accounts;
    }

    /// <summary>History codes of the default catalog the baselines know: +1 credit, -1 debit, 0 unknown.</summary>
    public static int Direction(int code) => code switch
    {
        100 or 201 => 1,
        998 or 200 or 700 => -1,
        _ => 0,
    };
}
