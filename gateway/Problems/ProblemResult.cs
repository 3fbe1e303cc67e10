using Ledger.Gateway.Api;
using Ledger.Gateway.Hosting;
using Microsoft.AspNetCore.Http.Metadata;

namespace Ledger.Gateway.Problems;

/// <summary>Writes a <see cref="ProblemResponse"/> as <c>application/problem+json</c> through the source-generated context.</summary>
/// <remarks>
/// A <paramref name="decided"/> Problem is the ledger's answer to a command (a decline, a refused removal): idempotency
/// replays it, and docs/contract.md section 3 wants the same body again, so it carries <c>instance</c> but not this request's
/// <c>traceId</c>/<c>requestId</c>; those travel in the <c>X-Request-Id</c> header of every response instead.
/// </remarks>
public sealed class ProblemResult(ProblemResponse problem, bool decided = false) : IResult, IStatusCodeHttpResult, IContentTypeHttpResult, IValueHttpResult<ProblemResponse>
{
    public const string ContentType = "application/problem+json";

    public ProblemResponse Value => problem;
    public int? StatusCode => problem.Status;
    string IContentTypeHttpResult.ContentType => ContentType;

    public Task ExecuteAsync(HttpContext httpContext) => Write(httpContext.Response, problem, decided);

    public static Task Write(HttpResponse response, ProblemResponse problem, bool decided = false)
    {
        response.StatusCode = problem.Status;
        // Every 503 and 429 says when to come back, so client libraries back off instead of hammering.
        if (problem.Status is 503 or 429 && !response.Headers.ContainsKey("Retry-After")) response.Headers.RetryAfter = "1";
        var http = response.HttpContext;
        var occurrence = problem with
        {
            Instance = http.Request.Path.HasValue ? http.Request.Path.Value : "/",
            TraceId = decided ? null : RequestCorrelation.TraceIdOf(http),
            RequestId = decided ? null : http.TraceIdentifier,
        };
        return response.WriteAsJsonAsync(occurrence, GatewayJson.Problem, ContentType);
    }
}

/// <summary>Builds Problems; every refusal of the gateway goes through here.</summary>
public static class Problem
{
    public static ProblemResult Of(ProblemKind kind, string detail, int? entryIndex = null, int? legIndex = null, string? rule = null,
        string[]? conflictingFields = null) =>
        new(Body(kind, detail, entryIndex, legIndex, rule, conflictingFields));

    /// <summary>The ledger's decision on a command, byte-stable across idempotent replays (see <see cref="ProblemResult"/>).</summary>
    public static ProblemResult Decided(ProblemKind kind, string detail, int? entryIndex = null, int? legIndex = null, string? rule = null,
        string[]? conflictingFields = null) =>
        new(Body(kind, detail, entryIndex, legIndex, rule, conflictingFields), decided: true);

    public static ProblemResponse Body(ProblemKind kind, string detail, int? entryIndex = null, int? legIndex = null, string? rule = null,
        string[]? conflictingFields = null) => new()
    {
        Type = kind.Type,
        Title = kind.Title,
        Status = kind.Status,
        Detail = detail,
        EntryIndex = entryIndex,
        LegIndex = legIndex,
        Rule = rule,
        ConflictingFields = conflictingFields,
    };

    public static ProblemResult Validation(string detail, int? entryIndex = null, int? legIndex = null) =>
        Of(ProblemTypes.Validation, detail, entryIndex, legIndex);
}

/// <summary>OpenAPI metadata: the Problem statuses an endpoint may answer.</summary>
public static class ProblemMetadata
{
    public static RouteHandlerBuilder ProducesProblems(this RouteHandlerBuilder builder, params int[] statuses)
    {
        foreach (int status in statuses)
        {
            builder.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(ProblemResponse), [ProblemResult.ContentType]));
        }
        return builder;
    }
}
