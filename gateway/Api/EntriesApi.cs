using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Ledger.Engine;
using Ledger.Engine.Catalog;
using Ledger.Engine.Domain;
using Ledger.Gateway.Edge;
using Ledger.Gateway.Hosting;
using Ledger.Gateway.Problems;
using Ledger.Gateway.Security;
using Ledger.ReadSide;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;

namespace Ledger.Gateway.Api;

/// <summary>
/// Statements: <c>GET /v1/entries</c> (account and date window) and <c>GET /v2/entries</c> (plus entryType, entryKind,
/// status, amount range, correlationId). With neither branch nor account, the whole ledger's entries in sequence order
/// (each naming its account). Oldest first, <c>limit</c> per page (default 100, at most 1 000) and an opaque
/// <c>cursor</c> that continues where the previous page stopped. <c>from</c> is inclusive, <c>to</c> exclusive; a date
/// alone in <c>to</c> includes that whole UTC day.
/// </summary>
public static class EntriesApi
{


    public static IEndpointRouteBuilder MapEntriesApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/entries", GetStatementV1)
            .WithTags("Balances and statements")
            .WithName("GetStatement")
            .WithSummary("Lists an account's entries (statement), or with neither branch nor account the whole ledger's, oldest first, in a date window, page by page.")
            .ProducesProblems(400, 401, 403, 404, 429, 503)
            .WithQuery(Query.Branch, Query.Account, Query.From, Query.To, Query.Limit, Query.Cursor)
            .WithMinSequenceHeader()
            .RequireAuthorization(Policies.Read);

        app.MapGet("/v2/entries", GetStatementV2)
            .WithTags("Balances and statements")
            .WithName("GetStatementV2")
            .WithSummary("Lists an account's (or the whole ledger's) entries with richer filters: entryType, entryKind, status, minAmount, maxAmount, correlationId (an account's only).")
            .ProducesProblems(400, 401, 403, 404, 429, 503)
            .WithQuery(Query.Branch, Query.Account, Query.From, Query.To, Query.Limit, Query.Cursor,
                Query.EntryType, Query.EntryKind, Query.Status, Query.MinAmount, Query.MaxAmount, Query.CorrelationId)
            .WithMinSequenceHeader()
            .RequireAuthorization(Policies.Read);
        return app;
    }

    internal static Task<Results<StatementResult, ProblemResult>> GetStatementV1(HttpContext http, LedgerRuntime runtime) =>
        Statement(http, runtime, filters: false);

    internal static Task<Results<StatementResult, ProblemResult>> GetStatementV2(HttpContext http, LedgerRuntime runtime) =>
        Statement(http, runtime, filters: true);

    private static async Task<Results<StatementResult, ProblemResult>> Statement(HttpContext http, LedgerRuntime runtime, bool filters)
    {
        if (HttpEdge.CheckQuery(http) is { } unknown) return unknown;
        var q = http.Request.Query;
        string? branchText = q["branch"], accountText = q["account"];
        bool wholeLedger = branchText is null && accountText is null;
        var key = default(AccountKey);
        if (!wholeLedger)
        {
            if (branchText is null || accountText is null) return Problem.Validation("Give both branch and account (an account's statement), or neither (the whole ledger's).");
            if (!HttpEdge.TryParseAccount(branchText, accountText, out key, out var accountProblem)) return accountProblem!;
        }

        long fromTicks = 0, toTicks = long.MaxValue;
        string? from = q["from"], to = q["to"];
        if (from is not null && !WireTime.TryParseInstant(from, endOfDay: false, out fromTicks))
        {
            return Problem.Validation($"from '{Refusal.Quote(from)}' is not an ISO-8601 date (2026-06-21) or instant (2026-06-21T18:00:00Z).");
        }
        if (to is not null && !WireTime.TryParseInstant(to, endOfDay: true, out toTicks))
        {
            return Problem.Validation($"to '{Refusal.Quote(to)}' is not an ISO-8601 date (2026-06-21) or instant (2026-06-21T18:00:00Z).");
        }
        if (fromTicks >= toTicks) return Problem.Validation("from must be before to (from is inclusive, to exclusive; a date alone in to includes that day).");

        int limit = Limits.StatementPageRowsDefault;
        string? limitText = q["limit"];
        if (limitText is not null && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > Limits.StatementPageRowsMax))
        {
            return Problem.Validation($"limit must be an integer in 1..{Limits.StatementPageRowsMax}.");
        }
        long after = 0;
        LedgerPosition? position = null;
        string? cursor = q["cursor"];
        if (cursor is not null)
        {
            bool issued;
            if (wholeLedger)
            {
                issued = StatementJson.Cursor.TryDecode(cursor, out LedgerPosition place);
                position = place;
            }
            else
            {
                issued = StatementJson.Cursor.TryDecode(cursor, out after);
            }
            if (!issued) return Problem.Validation("cursor is not one this API issued for this statement; pass nextCursor back unchanged, with the same branch and account.");
        }

        var query = new StatementQuery { FromTicks = fromTicks, ToTicks = toTicks, AfterSequence = after, After = position, Limit = limit };
        if (filters && ReadFilters(q, query, out query) is { } filterProblem) return filterProblem;
        if (wholeLedger && query.CorrelationId is not null) return Problem.Validation("correlationId names an account's entry: give branch and account too.");

        if (await HttpEdge.ReadYourWritesAsync(runtime, http, wholeLedger ? null : key) is { } notReady) return notReady;
        if (wholeLedger) return new StatementResult(runtime.Reads!.LedgerStatement(query), runtime.Catalog);
        var page = runtime.Reads!.Statement(key, query);
        if (page is null) return Problem.Of(ProblemTypes.AccountNotFound, $"Account {key} does not exist.");
        return new StatementResult(page, runtime.Catalog);
    }

    private static ProblemResult? ReadFilters(IQueryCollection q, StatementQuery input, out StatementQuery query)
    {
        query = input;
        if (q["entryType"].ToString() is { Length: > 0 } typeText)
        {
            if (!int.TryParse(typeText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int type))
            {
                return Problem.Validation("entryType must be an integer (a history code; one the catalog lacks matches nothing).");
            }
            query = query with { EntryType = type };
        }
        if (q["entryKind"].ToString() is { Length: > 0 } kindText)
        {
            if (!WireNames.TryParseKind(kindText, out var kind)) return Problem.Validation($"entryKind must be one of {string.Join(", ", WireNames.Kinds.Select(WireNames.Kind))}.");
            query = query with { Kind = kind };
        }
        if (q["status"].ToString() is { Length: > 0 } statusText)
        {
            if (!WireNames.TryParseStatus(statusText, out EntryStatus status)) return Problem.Validation($"status must be one of {string.Join(", ", WireNames.Statuses.Select(WireNames.Status))}.");
            query = query with { Status = status };
        }
        if (q["minAmount"].ToString() is { Length: > 0 } minText)
        {
            if (!long.TryParse(minText, NumberStyles.None, CultureInfo.InvariantCulture, out long min)) return Problem.Validation("minAmount must be a whole number of minor units.");
            query = query with { MinAmountMinor = min };
        }
        if (q["maxAmount"].ToString() is { Length: > 0 } maxText)
        {
            if (!long.TryParse(maxText, NumberStyles.None, CultureInfo.InvariantCulture, out long max)) return Problem.Validation("maxAmount must be a whole number of minor units.");
            query = query with { MaxAmountMinor = max };
        }
        if (query.MinAmountMinor > query.MaxAmountMinor) return Problem.Validation("minAmount is above maxAmount.");
        if (q["correlationId"].ToString() is { Length: > 0 } correlationId)
        {
            if (!LedgerEngine.IsValidKey(correlationId)) return Problem.Validation($"correlationId must be 1..{Limits.CorrelationIdLengthMax} characters of [A-Za-z0-9._:-].");
            query = query with { CorrelationId = correlationId };
        }
        return null;
    }
}

/// <summary>
/// A statement page, written by <see cref="StatementJson"/> (the replay-tool writes the same bytes). Its shape is
/// exactly <see cref="StatementResponse"/>, which stays the OpenAPI schema (a test compares the bytes with the
/// source-generated serializer's).
/// </summary>
internal sealed class StatementResult : IResult, IStatusCodeHttpResult, IContentTypeHttpResult, IEndpointMetadataProvider
{
    private readonly HistoryCatalog _catalog;

    public StatementResult(StatementPage page, HistoryCatalog catalog) => (Page, _catalog) = (page, catalog);

    public StatementResult(LedgerStatementPage page, HistoryCatalog catalog) => (LedgerPage, _catalog) = (page, catalog);

    public int? StatusCode => StatusCodes.Status200OK;
    public string ContentType => "application/json; charset=utf-8";
    /// <summary>An account's statement page, or null for the whole ledger's (<see cref="LedgerPage"/>).</summary>
    public StatementPage? Page { get; }
    public LedgerStatementPage? LedgerPage { get; }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        using (var writer = new Utf8JsonWriter(response.BodyWriter, StatementJson.Options))
        {
            if (Page is not null) StatementJson.Write(writer, Page, _catalog);
            else StatementJson.WriteLedger(writer, LedgerPage!, _catalog);
        }
        await response.BodyWriter.FlushAsync(httpContext.RequestAborted);
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(StatementResponse), ["application/json"]));
}
