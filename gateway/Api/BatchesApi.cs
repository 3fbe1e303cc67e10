using System.IO.Pipelines;
using Ledger.Engine;
using Ledger.Engine.Commands;
using Ledger.Engine.Hosting;
using Ledger.Gateway.Edge;
using Ledger.Gateway.Hosting;
using Ledger.Gateway.Problems;
using Ledger.Gateway.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ledger.Gateway.Api;

/// <summary><c>POST /v1/accounts/{branch}/{account}/batches</c> and <c>DELETE /v1/accounts/{branch}/{account}/entries</c>.</summary>
public static class BatchesApi
{
    public static IEndpointRouteBuilder MapBatchesApi(this IEndpointRouteBuilder app)
    {
        var accounts = app.MapGroup("/v1/accounts/{branch}/{account}").WithTags("Entries");

        accounts.MapPost("/batches", PostBatch)
            .WithName("PostEntryBatch")
            .WithSummary("Posts a batch of entries (ledger, blocking, unblocking, reversal, removal) on one account, atomically.")
            .WithDescription("Idempotent by correlationId: the same request again returns the first answer (status and body), declines included; " +
                             "a different payload under a used correlationId is a 409 naming the differing fields.")
            .Accepts<EntryBatchRequest>("application/json")
            .ProducesProblems(400, 401, 403, 404, 409, 413, 415, 422, 429, 503)
            .RequireAuthorization(Policies.Write);

        accounts.MapDelete("/entries", DeletePendingEntry)
            .WithName("DeletePendingEntry")
            .WithSummary("Removes a PENDING entry (a hold) by its correlationId.")
            .ProducesProblems(400, 401, 403, 404, 409, 429, 503)
            .WithQuery(Query.CorrelationId with { Required = true, Description = "The PENDING hold to remove." })
            .RequireAuthorization(Policies.Write);
        return app;
    }


    internal static async Task<Results<BatchCreatedResult, ProblemResult>> PostBatch(
        string branch, string account, HttpContext http, LedgerRuntime runtime)
    {
        if (!HttpEdge.TryParseAccount(branch, account, out var key, out var pathProblem)) return pathProblem!;
        if (HttpEdge.CheckQuery(http) is { } queryProblem) return queryProblem;
        if (HttpEdge.NotReady(runtime) is { } notReady) return notReady;
        var (body, bodyProblem) = await HttpEdge.ReadBodyAsync(http);
        if (bodyProblem is not null) return bodyProblem;

        var command = runtime.Pool.Rent();
        bool handedOver = false;
        try
        {
            var problem = BatchJsonReader.Read(body, key, command);
            http.Request.BodyReader.AdvanceTo(body.End);
            if (problem is not null) return problem;
            command.PermittedDomains = HttpEdge.DomainsOf(http, runtime.Catalog);
            if (await RingSubmit.SubmitAsync(runtime, command) is { } submitProblem) return submitProblem;
            if (!command.Result.IsOk) return Problem.From(Declines.Of(command, runtime.Catalog));
            handedOver = true; // the result writes the answer from the command, then returns it to the pool
            return new BatchCreatedResult(command, runtime.Pool, runtime.Catalog);
        }
        finally
        {
            if (!handedOver) runtime.Pool.Return(command);
        }
    }

    internal static async Task<Results<NoContent, ProblemResult>> DeletePendingEntry(
        string branch, string account, HttpContext http, LedgerRuntime runtime)
    {
        if (!HttpEdge.TryParseAccount(branch, account, out var key, out var pathProblem)) return pathProblem!;
        if (HttpEdge.CheckQuery(http) is { } queryProblem) return queryProblem;
        string? correlationId = http.Request.Query["correlationId"];
        if (correlationId is null) return Problem.Validation("Query parameter correlationId is required: the hold to remove.");
        if (!LedgerEngine.IsValidKey(correlationId))
        {
            return Problem.Validation($"correlationId must be 1..{Limits.CorrelationIdLengthMax} characters of [A-Za-z0-9._:-].");
        }

        var command = runtime.Pool.Rent();
        try
        {
            command.SetRemove(key, correlationId);
            command.PermittedDomains = HttpEdge.DomainsOf(http, runtime.Catalog);
            if (await RingSubmit.SubmitAsync(runtime, command) is { } submitProblem) return submitProblem;
            var result = command.Result;
            if (result.IsOk) return TypedResults.NoContent();
            return Problem.From(Declines.Removal(command));
        }
        finally
        {
            runtime.Pool.Return(command);
        }
    }
}
