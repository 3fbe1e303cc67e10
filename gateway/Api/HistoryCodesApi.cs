using Ledger.Engine.Catalog;
using Ledger.Engine.Domain;
using Ledger.Gateway.Hosting;
using Ledger.Gateway.Problems;
using Ledger.Gateway.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ledger.Gateway.Api;

/// <summary>
/// <c>GET /v1/history-codes</c>: the catalog the ledger runs (code, name, direction, domain, the kinds a partner may
/// originate with it, whether it may overdraw, its rules; domains' rules; version, since, promoter), so clients read it
/// instead of hard-coding it. <c>PUT /v1/history-codes</c> (ledger:admin): promotion of a catalog through the ring.
/// </summary>
public static class HistoryCodesApi
{
    public static IEndpointRouteBuilder MapHistoryCodesApi(this IEndpointRouteBuilder app, bool writes = true)
    {
        app.MapGet("/v1/history-codes", GetHistoryCodes)
            .WithTags("Balances and statements")
            .WithName("GetHistoryCodes")
            .WithSummary("Lists the history codes (entryType) the ledger accepts, with their direction, domain, allowed kinds and rules.")
            .ProducesProblems(400, 401, 403, 429)
            .WithQuery()
            .RequireAuthorization(Policies.Read);
        if (!writes) return app; // a statements replica has no engine to promote into
        app.MapPut("/v1/history-codes", PromoteCatalog)
            .WithTags("Administration")
            .WithName("PromoteHistoryCodes")
            .WithSummary("Promotes a catalog live: validated, then loaded through the ring as a journaled catalog command, in force from the next entry sequence.")
            .WithDescription("The body is a catalog in the catalog file's format ({ historyCodes: [...], domains: [...] }). A catalog that does not " +
                             "validate is a 422 invalid-catalog naming what and where. Domains the ledger already has keep their scope bits. " +
                             "The promoting client id is journaled with the catalog; GET shows the version in force and since which sequence.")
            .Accepts<HistoryCodesResponse>("application/json")
            .ProducesProblems(400, 401, 403, 413, 415, 422, 429, 503)
            .RequireAuthorization(Policies.Admin);
        return app;
    }

    internal static async Task<Results<Ok<HistoryCodesResponse>, ProblemResult>> PromoteCatalog(HttpContext http, LedgerRuntime runtime)
    {
        if (HttpEdge.CheckQuery(http) is { } queryProblem) return queryProblem;
        if (HttpEdge.NotReady(runtime) is { } notReady) return notReady;
        var (body, bodyProblem) = await HttpEdge.ReadBodyAsync(http);
        if (bodyProblem is not null) return bodyProblem;
        string text;
        try
        {
            text = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(body.IsSingleSegment ? body.FirstSpan : System.Buffers.BuffersExtensions.ToArray(body));
        }
        catch (System.Text.DecoderFallbackException)
        {
            return Problem.Of(ProblemTypes.MalformedJson, "The body is not valid UTF-8.");
        }
        finally
        {
            http.Request.BodyReader.AdvanceTo(body.End);
        }
        string client = http.User.Identity is PartnerIdentity partner ? partner.ClientId : "unknown";
        HistoryCatalog candidate;
        try
        {
            candidate = HistoryCatalogFile.Parse(text).Replacing(runtime.Catalog, client);
        }
        catch (CatalogException ex)
        {
            return Problem.Of(ProblemTypes.InvalidCatalog, $"The catalog is not valid: {ex.Message}");
        }
        var command = runtime.Pool.Rent();
        try
        {
            command.SetLoadCatalog(candidate);
            if (await RingSubmit.SubmitAsync(runtime, command) is { } submitProblem) return submitProblem;
            if (!command.Result.IsOk) return Problem.Of(ProblemTypes.Of(command.Result.Code), "The catalog was not loaded.");
            return TypedResults.Ok(Describe(command.Catalog!)); // as installed: version and first sequence
        }
        finally
        {
            runtime.Pool.Return(command);
        }
    }

    internal static Results<Ok<HistoryCodesResponse>, ProblemResult> GetHistoryCodes(HttpContext http, LedgerRuntime runtime)
    {
        if (HttpEdge.CheckQuery(http) is { } queryProblem) return queryProblem;
        return TypedResults.Ok(Describe(runtime.Catalog));
    }

    /// <summary>The response for <paramref name="catalog"/>, in code order.</summary>
    public static HistoryCodesResponse Describe(HistoryCatalog catalog) => new(
    [
        .. catalog.Definitions.OrderBy(d => d.Code).Select(d => new HistoryCodeResponse(
            d.Code, d.Name, d.Direction == Direction.Debit ? DirectionName.Debit : DirectionName.Credit, d.Domain,
            [.. d.AllowedKinds.Select(k => (EntryKindName)k)], d.MayOverdraw,
            [.. d.Rules.Select(r => new HistoryRuleResponse(r.Name, r.Parameter))])),
    ],
    [.. catalog.DomainRules.Select(d => new DomainRulesResponse(d.Domain, [.. d.Rules.Select(r => new HistoryRuleResponse(r.Name, r.Parameter))]))],
    catalog.Version, catalog.SinceSequence, catalog.PromotedBy);
}
