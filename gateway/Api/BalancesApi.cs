using Ledger.Gateway.Edge;
using Ledger.Gateway.Hosting;
using Ledger.Gateway.Problems;
using Ledger.Gateway.Security;
using Ledger.ReadSide;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ledger.Gateway.Api;

/// <summary><c>GET /v1/accounts/{branch}/{account}/balances[?at=ISO-8601]</c>, served by the read store.</summary>
public static class BalancesApi
{
    public static IEndpointRouteBuilder MapBalancesApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/accounts/{branch}/{account}/balances", GetBalances)
            .WithTags("Balances and statements")
            .WithName("GetBalances")
            .WithSummary("Reads an account's AVAILABLE and HELD balances, now or as they stood at an instant (?at=ISO-8601).")
            .WithDescription("at covers the whole precision it is written in: a date alone (?at=2026-06-21) means the end of that UTC day, " +
                "…T12:00:00Z everything stamped within that second, …T12:00:00.123Z everything within that millisecond (the ledger stamps 100 ns ticks). " +
                "Before the account was opened: 404.")
            .ProducesProblems(400, 401, 403, 404, 429, 503)
            .WithQuery(Query.At)
            .WithMinSequenceHeader()
            .RequireAuthorization(Policies.Read);
        return app;
    }

    internal static async Task<Results<Ok<AccountBalancesResponse>, ProblemResult>> GetBalances(string branch, string account, HttpContext http, LedgerRuntime runtime)
    {
        if (!HttpEdge.TryParseAccount(branch, account, out var key, out var pathProblem)) return pathProblem!;
        if (HttpEdge.CheckQuery(http) is { } queryProblem) return queryProblem;
        if (await HttpEdge.ReadYourWritesAsync(runtime, http, key) is { } notReady) return notReady;
        var reads = runtime.Reads!;
        if (!reads.TryGetAccount(key, out var view)) return Problem.Of(ProblemTypes.AccountNotFound, $"Account {key} does not exist.");

        string? at = http.Request.Query["at"];
        if (at is null) return TypedResults.Ok(new AccountBalancesResponse(key.Branch, key.Number, Answers.Balances(view.Balances, CurrencyNames.Of(view.Currency))));

        // Everything stamped up to the end of what the text names: a date's closing balances, a second's, a millisecond's.
        if (!WireTime.TryParseInstantThrough(at, out long ticks))
        {
            return Problem.Validation($"at '{Refusal.Quote(at)}' is not an ISO-8601 instant (2026-06-21T18:00:00Z) or date (2026-06-21).");
        }
        if (!reads.TryGetBalancesAt(key, ticks, out var then))
        {
            return Problem.Of(ProblemTypes.AccountNotFound, $"Account {key} was not open yet at {at}.");
        }
        return TypedResults.Ok(new AccountBalancesResponse(key.Branch, key.Number, Answers.Balances(then.Balances, CurrencyNames.Of(then.Currency))));
    }
}
