using Ledger.Gateway.Api;
using Microsoft.AspNetCore.Http.Metadata;

namespace Ledger.Gateway.Problems;

/// <summary>Writes a <see cref="ProblemResponse"/> as <c>application/problem+json</c> through the source-generated context.</summary>
public sealed class ProblemResult(ProblemResponse problem) : IResult, IStatusCodeHttpResult, IContentTypeHttpResult, IValueHttpResult<ProblemResponse>
{
    public const string ContentType = "application/problem+json";

    public ProblemResponse Value => problem;
    public int? StatusCode => problem.Status;
    string IContentTypeHttpResult.ContentType => ContentType;

    public Task ExecuteAsync(HttpContext httpContext) => Write(httpContext.Response, problem);

    public static Task Write(HttpResponse response, ProblemResponse problem)
    {
        response.StatusCode = problem.Status;
        // Every 503 and 429 says when to come back, so client libraries back off instead of hammering.
        if (problem.Status is 503 or 429 && !response.Headers.ContainsKey("Retry-After")) response.Headers.RetryAfter = "1";
        return response.WriteAsJsonAsync(problem, GatewayJson.Problem, ContentType);
    }
}

/// <summary>Builds Problems; every refusal of the gateway goes through here.</summary>
public static class Problem
{
    public static ProblemResult Of(ProblemKind kind, string detail, int? entryIndex = null, int? legIndex = null, string? rule = null,
        string[]? conflictingFields = null) =>
        new(Body(kind, detail, entryIndex, legIndex, rule, conflictingFields));

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
