using Ledger.Engine.Catalog;
using Ledger.Engine.Domain;
using Ledger.Gateway.Hosting;
using Ledger.Gateway.Problems;
using Ledger.Gateway.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ledger.Gateway.Api;

/// <summary>
/// <c>GET /v1/history-codes</c>: the catalog the ledger runs (code, name, direction, domain, the kinds a partner may
/// originate with it, whether it may overdraw, its rules), so clients read it instead of hard-coding it.
/// </summary>
public static class HistoryCodesApi
{
    public static IEndpointRouteBuilder MapHistoryCodesApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/history-codes", GetHistoryCodes)
            .WithTags("Balances and statements")
            .WithName("GetHistoryCodes")
            .WithSummary("Lists the history codes (entryType) the ledger accepts, with their direction, domain, allowed kinds and rules.")
            .ProducesProblems(400, 401, 403, 429)
            .WithQuery()
            .RequireAuthorization(Policies.Read);
        return app;
    }

    internal static Results<Ok<HistoryCodesResponse>, ProblemResult> GetHistoryCodes(HttpContext http, LedgerRuntime runtime)
    {
        if (Edge.CheckQuery(http) is { } queryProblem) return queryProblem;
        return TypedResults.Ok(Describe(runtime.Catalog));
    }

    /// <summary>The response for <paramref name="catalog"/>, in code order.</summary>
    public static HistoryCodesResponse Describe(HistoryCatalog catalog) => new(
    [
        .. catalog.Definitions.OrderBy(d => d.Code).Select(d => new HistoryCodeResponse(
            d.Code, d.Name, d.Direction == Direction.Debit ? DirectionName.Debit : DirectionName.Credit, d.Domain,
            [.. d.AllowedKinds.Select(k => (EntryKindName)k)], d.MayOverdraw,
            [.. d.Rules.Select(r => new HistoryRuleResponse(r.Name, r.Parameter))])),
    ]);
}
