using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Ledger.Engine;
using Ledger.Engine.Catalog;
using Ledger.Engine.Domain;
using Ledger.Gateway.Edge;
using Ledger.Gateway.Hosting;
using Ledger.Gateway.Problems;
using Ledger.Gateway.Security;

namespace Ledger.Gateway.Api;

/// <summary>
/// REST's own checks at the edge: paths, bodies, query strings, readiness, in HTTP terms. Each failure is a 4xx/503
/// Problem; nothing reaches the ring. The checks REST shares with Kafka (accounts, entries, bundles, declines) are in
/// <see cref="Ledger.Gateway.Edge"/>, in no transport's terms.
/// </summary>
internal static class HttpEdge
{
    public static bool TryParseAccount(string branchText, string accountText, out AccountKey key, out ProblemResult? problem)
    {
        key = default;
        problem = null;
        if (!TryParseBranch(branchText, out int branch))
        {
            problem = Problem.Validation($"branch '{Refusal.Quote(branchText)}' is not an integer in 0..{Limits.BranchMax}.");
            return false;
        }
        if (!TryParseAccountNumber(accountText, out long number))
        {
            problem = Problem.Validation($"account '{Refusal.Quote(accountText)}' is not an integer in 0..{Limits.AccountNumberMax}.");
            return false;
        }
        key = new AccountKey(branch, number);
        return true;
    }

    public static bool TryParseBranch(string? text, out int branch) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out branch) && branch <= Limits.BranchMax;

    public static bool TryParseAccountNumber(string? text, out long number) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out number) && number <= Limits.AccountNumberMax;

    /// <summary>The ledger is accepting requests, or the 503 that says why not.</summary>
    public static ProblemResult? NotReady(LedgerRuntime runtime)
    {
        if (runtime.IsReady) return null;
        if (runtime.WriteFault is { } failed) return WriteRefused(failed);
        if (runtime.Host?.Fault is { } fault)
        {
            return Problem.Of(ProblemTypes.JournalFailed, $"The journal failed ({fault.Message}); the ledger stopped accepting commands.");
        }
        if (runtime.FeedFault is { } feedFault) return Problem.Of(ProblemTypes.NotReady, FeedStopped(feedFault));
        return Problem.Of(ProblemTypes.NotReady, "The ledger is recovering or stopping; retry shortly.");
    }

    /// <summary>Why a statements replica is not ready for good: its feed stopped (it needs an operator, not a retry).</summary>
    public static string FeedStopped(Exception fault) => $"This statements replica stopped reading ledger.events: {fault.Message}";

    /// <summary>The 503 of a write refused because a component could not write: its own type and <c>component</c>, and why.</summary>
    public static ProblemResult WriteRefused(WriteFault fault) => new(WriteRefusedBody(fault));

    public static ProblemResponse WriteRefusedBody(WriteFault fault) => Problem.Body(fault.Component switch
    {
        WriteFault.EntryStore => ProblemTypes.EntryStoreFailed,
        WriteFault.ReadStore => ProblemTypes.ReadStoreFailed,
        _ => ProblemTypes.JournalFailed,
    }, $"The {fault.Component} could not write since {fault.AtUtc:O} ({fault.Reason}). Writes are refused until it can; the ledger probes and takes " +
       "writes again by itself. Nothing acknowledged is lost; balances and statements answer from what is durable.") with { Component = fault.Component };

    /// <summary>
    /// Ready, and the read store holds every write acknowledged before this read arrived (it waits for that, bounded:
    /// read-your-writes), or the 503 that says why not.
    /// </summary>
    public static async ValueTask<ProblemResult?> ReadYourWritesAsync(LedgerRuntime runtime, HttpContext http, AccountKey? account = null)
    {
        if (runtime.ReadsDuringWriteFault) return null; // no write is acknowledged now: answer from what is durable
        if (NotReady(runtime) is { } notReady) return notReady;
        if (!await runtime.WaitForReadsAsync(http.RequestAborted))
        {
            return NotReady(runtime) ?? Problem.Of(ProblemTypes.ReadSideBehind,
                "Balances and statements are still catching up with writes the ledger acknowledged before this read; retry shortly.");
        }
        // On request (a statements replica behind a load balancer): wait until this node holds the entry the partner was answered.
        // Only the reads that declare the header take it (the OpenAPI document lists it on exactly those).
        if (!http.Request.Headers.TryGetValue(MinSequenceHeader, out var values)) return null;
        if (http.GetEndpoint()?.Metadata.GetMetadata<Api.MinSequenceHeader>() is null) return null;
        if (values.Count != 1 || !long.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out long sequence) || sequence < 1)
            return Problem.Validation($"{MinSequenceHeader} must be one positive integer: the sequence of an entry this partner was answered.");
        if (await runtime.WaitForSequenceAsync(account, sequence, http.RequestAborted)) return null;
        return NotReady(runtime) ?? Problem.Of(ProblemTypes.ReadSideBehind, account is { } a
            ? $"This replica does not hold entry {sequence.ToString(CultureInfo.InvariantCulture)} of account {a} yet; retry shortly."
            : $"This replica does not hold entry {sequence.ToString(CultureInfo.InvariantCulture)} yet; retry shortly.");
    }

    /// <summary>The header a partner sets to read its own write through a statements replica: the entry sequence it was answered.</summary>
    public const string MinSequenceHeader = Api.MinSequenceHeader.Name;

    /// <summary>The partner's permitted domains (the engine checks them per entry).</summary>
    public static ulong DomainsOf(HttpContext http, HistoryCatalog catalog) =>
        http.User.Identity is PartnerIdentity partner ? partner.DomainMaskIn(catalog) : 0;

    /// <summary>Reads a JSON body with the source-generated type info. Problems: 415 wrong content type, 413 too large, 400 malformed.</summary>
    public static async ValueTask<(T? Value, ProblemResult? Problem)> ReadJsonAsync<T>(HttpContext http, JsonTypeInfo<T> typeInfo) where T : class
    {
        if (!http.Request.HasJsonContentType())
        {
            return (null, Problem.Of(ProblemTypes.UnsupportedMediaType,
                $"Send the body as application/json (got '{http.Request.ContentType ?? "no content type"}')."));
        }
        try
        {
            var value = await JsonSerializer.DeserializeAsync(http.Request.Body, typeInfo, http.RequestAborted);
            return value is null ? (null, Problem.Of(ProblemTypes.MalformedJson, "The body is JSON null; send an object.")) : (value, null);
        }
        catch (JsonException ex)
        {
            return (null, Problem.Of(ProblemTypes.MalformedJson, DescribeJsonError(ex)));
        }
        catch (InvalidOperationException)
        {
            // What the reader throws for a string that is not valid UTF-8 or holds a lone surrogate escape.
            return (null, Problem.Of(ProblemTypes.MalformedJson, "The body has a string that is not valid UTF-8 or holds an invalid escape (a lone surrogate such as \\uDC00)."));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, PayloadTooLarge(http));
        }
    }

    /// <summary>
    /// The whole JSON body (Kestrel caps it at <see cref="Limits.RequestBodyBytesMax"/>), for the streaming readers:
    /// 415 when not application/json, 413 past the cap. Call <c>http.Request.BodyReader.AdvanceTo(body.End)</c> once read.
    /// </summary>
    public static async ValueTask<(ReadOnlySequence<byte> Body, ProblemResult? Problem)> ReadBodyAsync(HttpContext http)
    {
        if (!http.Request.HasJsonContentType())
        {
            return (default, Problem.Of(ProblemTypes.UnsupportedMediaType, $"Send the body as application/json (got '{http.Request.ContentType ?? "no content type"}')."));
        }
        var body = http.Request.BodyReader;
        try
        {
            while (true)
            {
                var read = await body.ReadAsync(http.RequestAborted);
                if (read.IsCompleted) return (read.Buffer, null);
                body.AdvanceTo(read.Buffer.Start, read.Buffer.End);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (default, PayloadTooLarge(http));
        }
    }

    public static ProblemResult PayloadTooLarge(HttpContext http)
    {
        var limit = http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize ?? Limits.RequestBodyBytesMax;
        return Problem.Of(ProblemTypes.PayloadTooLarge, $"The body exceeds {limit} bytes, the most this endpoint reads.");
    }

    private static string DescribeJsonError(JsonException ex)
    {
        string path = string.IsNullOrEmpty(ex.Path) ? "$" : ex.Path;
        string message = ex.Message;
        if (message.Contains("could not be mapped", StringComparison.Ordinal))
        {
            return $"Unknown member at {path}: {QuotedName(message) ?? "a member"} is not part of this request (names are case-sensitive camelCase).";
        }
        if (message.Contains("could not be converted", StringComparison.Ordinal))
        {
            // A JSON number the integer member cannot hold (1e20, 1.5, past its range) fails to parse (FormatException);
            // a token of another type fails to be read as one (InvalidOperationException).
            if (ex.InnerException is FormatException)
                return $"Out of range at {path}: not a whole number this member can hold (write integers in plain digits: no fraction, no exponent).";
            return $"Wrong type at {path}: numbers must be JSON integers, texts JSON strings, lists JSON arrays.";
        }
        if (message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase))
        {
            return $"Duplicate member at {path}.";
        }
        string position = ex.LineNumber is { } line ? $" (line {line + 1}, byte {ex.BytePositionInLine + 1})" : "";
        return $"The body is not valid JSON at {path}{position}.";
    }

    private static string? QuotedName(string message)
    {
        int start = message.IndexOf('\'', StringComparison.Ordinal);
        int end = start < 0 ? -1 : message.IndexOf('\'', start + 1);
        return end > start ? message[start..(end + 1)] : null;
    }

    /// <summary>Refuses query parameters the endpoint does not know, and repeated ones (a typo is a 400, not an ignored filter).</summary>
    /// <summary>
    /// The one rule for query strings, on every endpoint: names are case-insensitive (ASP.NET's convention), a name the
    /// endpoint does not take (its <see cref="QueryParameters"/>) is a 400, so is a name given twice or with an empty value.
    /// </summary>
    public static ProblemResult? CheckQuery(HttpContext http)
    {
        var allowed = http.GetEndpoint()?.Metadata.GetMetadata<QueryParameters>()?.Names ?? [];
        foreach (var pair in http.Request.Query)
        {
            if (Array.FindIndex(allowed, name => string.Equals(name, pair.Key, StringComparison.OrdinalIgnoreCase)) < 0)
            {
                return Problem.Validation(allowed.Length == 0
                    ? $"Unknown query parameter '{Refusal.Quote(pair.Key)}'; this endpoint takes none."
                    : $"Unknown query parameter '{Refusal.Quote(pair.Key)}'; this endpoint takes: {string.Join(", ", allowed)}.");
            }
            if (pair.Value.Count > 1) return Problem.Validation($"Query parameter '{pair.Key}' is given more than once.");
            if (string.IsNullOrEmpty(pair.Value[0])) return Problem.Validation($"Query parameter '{pair.Key}' is empty; give it a value or leave it out.");
        }
        return null;
    }
}
