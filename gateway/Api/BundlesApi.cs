using Ledger.Engine;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Hosting;
using Ledger.Gateway.Edge;
using Ledger.Gateway.Hosting;
using Ledger.Gateway.Problems;
using Ledger.Gateway.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ledger.Gateway.Api;

/// <summary><c>POST /v1/transaction-bundles</c>: entries on several accounts, all applied or none (Composite Transaction service).</summary>
public static class BundlesApi
{
    public static IEndpointRouteBuilder MapBundlesApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/transaction-bundles", PostBundle)
            .WithTags("Entries")
            .WithName("PostTransactionBundle")
            .WithSummary("Moves value across several accounts atomically: every leg applies, or none does.")
            .WithDescription("Idempotent by bundleId. A Problem's legIndex and entryIndex name the failing entry.")
            .Accepts<TransactionBundleRequest>("application/json")
            .ProducesProblems(400, 401, 403, 404, 409, 413, 415, 422, 429, 503)
            .RequireAuthorization(Policies.Write);
        return app;
    }

    internal static async Task<Results<Created<TransactionBundleResponse>, ProblemResult>> PostBundle(HttpContext http, LedgerRuntime runtime)
    {
        if (HttpEdge.CheckQuery(http) is { } queryProblem) return queryProblem;
        if (HttpEdge.NotReady(runtime) is { } notReady) return notReady;
        var (json, bodyProblem) = await HttpEdge.ReadBodyAsync(http);
        if (bodyProblem is not null) return bodyProblem;
        var readProblem = BundleJsonReader.Read(json, out var body);
        http.Request.BodyReader.AdvanceTo(json.End);
        if (readProblem is not null) return readProblem;
        var command = runtime.Pool.Rent();
        try
        {
            if (BundleCheck.Prepare(body, command, out var plan) is { } refusal) return Problem.From(refusal);
            var (legStarts, keys, legEntries) = plan;
            command.PermittedDomains = HttpEdge.DomainsOf(http, runtime.Catalog);
            if (await RingSubmit.SubmitAsync(runtime, command) is { } submitProblem) return submitProblem;
            if (!command.Result.IsOk) return Problem.From(Declines.Of(command, runtime.Catalog, legStarts));

            var answer = new BundleLegResponse[keys.Length];
            for (int l = 0; l < keys.Length; l++)
            {
                int count = legEntries[l].Count;
                var entries = new List<EntryResponse>(count);
                for (int i = 0; i < count; i++) entries.Add(Answers.Entry(command, legStarts[l] + i, runtime.Catalog));
                // The fee entries of the leg's entries (posted after all legs' entries, on the leg's account).
                for (int f = command.EntryCount; f < command.ResultCount; f++)
                {
                    int of = command.EntryResults[f].FeeOfIndex;
                    if (of >= legStarts[l] && of < legStarts[l] + count) entries.Add(Answers.Entry(command, f, runtime.Catalog));
                }
                ref var first = ref command.EntryResults[legStarts[l]];
                answer[l] = new BundleLegResponse(keys[l].Branch, keys[l].Number, [.. entries],
                    Answers.Balances(first.BalancesAfter, CurrencyNames.Of(first.Currency)));
            }
            // Location: the first leg's entries as a statement page (each leg's own query is in the same shape).
            string location = BatchCreatedResult.LocationOf(keys[0], command.EntryResults[0].Sequence, answer[0].Entries.Length); // with the leg's fees
            return TypedResults.Created(location, new TransactionBundleResponse(body.BundleId!, answer));
        }
        finally
        {
            runtime.Pool.Return(command);
        }
    }
}
