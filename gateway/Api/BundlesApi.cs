using Ledger.Engine;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Hosting;
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
        if (Edge.CheckQuery(http) is { } queryProblem) return queryProblem;
        if (Edge.NotReady(runtime) is { } notReady) return notReady;
        var (json, bodyProblem) = await Edge.ReadBodyAsync(http);
        if (bodyProblem is not null) return bodyProblem;
        var readProblem = BundleJsonReader.Read(json, out var body);
        http.Request.BodyReader.AdvanceTo(json.End);
        if (readProblem is not null) return readProblem;
        var command = runtime.Pool.Rent();
        try
        {
            if (Prepare(body, command, out var plan) is { } problem) return problem;
            var (legStarts, keys, legEntries) = plan;
            command.PermittedDomains = Edge.DomainsOf(http);
            if (await RingSubmit.SubmitAsync(runtime, command) is { } submitProblem) return submitProblem;
            if (!command.Result.IsOk) return Answers.Decline(command, runtime.Catalog, legStarts);

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
                    Answers.Balances(first.BalancesAfter, Answers.CurrencyName(first.Currency)));
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

    /// <summary>What a prepared bundle's answer needs: where each leg starts in the command, its account, its entries.</summary>
    internal readonly record struct BundlePlan(int[] LegStarts, AccountKey[] Keys, List<EntryFields>[] LegEntries);

    /// <summary>
    /// Judges a bundle as read (REST or Kafka) and fills <paramref name="command"/> with its post; null when valid,
    /// else the 400 naming what is wrong (nothing is submitted).
    /// </summary>
    internal static ProblemResult? Prepare(BundleBody body, LedgerCommand command, out BundlePlan plan)
    {
        plan = default;
        if (body.BundleId is null) return Problem.Validation("bundleId is required.");
        if (!LedgerEngine.IsValidKey(body.BundleId))
        {
            return Problem.Validation($"bundleId must be 1..{Limits.CorrelationIdLengthMax} characters of [A-Za-z0-9._:-].");
        }
        var legs = body.Legs;
        if (legs is null || legs.Count == 0) return Problem.Validation($"legs is required: 1 to {Limits.LegsPerBundleMax} legs.");
        if (legs.Count > Limits.LegsPerBundleMax) return Problem.Validation($"legs has {legs.Count} legs; a bundle takes at most {Limits.LegsPerBundleMax}.");

        var legStarts = new int[legs.Count];
        var keys = new AccountKey[legs.Count];
        var legEntries = new List<EntryFields>[legs.Count];
        int total = 0;
        for (int l = 0; l < legs.Count; l++)
        {
            var leg = legs[l];
            if (leg is null) return Problem.Validation($"legs[{l}] is null.", legIndex: l);
            if (!Edge.IsValidAccount(leg.Branch, leg.Account)) return Problem.Validation($"legs[{l}]: {Edge.AccountProblemText(leg.Branch, leg.Account)}", legIndex: l);
            keys[l] = new AccountKey(leg.Branch!.Value, leg.Account!.Value);
            for (int m = 0; m < l; m++)
            {
                if (keys[m] == keys[l]) return Problem.Validation($"legs[{l}] repeats the account of legs[{m}]; put one account's entries in one leg.", legIndex: l);
            }
            if (leg.Entries is null || leg.Entries.Count == 0) return Problem.Validation($"legs[{l}].entries is required: at least one entry.", legIndex: l);
            legEntries[l] = leg.Entries;
            legStarts[l] = total;
            total += leg.Entries.Count;
        }
        if (total > Limits.EntriesPerBundleMax)
        {
            return Problem.Validation($"The bundle has {total} entries over its legs; at most {Limits.EntriesPerBundleMax}.");
        }

        command.SetPost(total, body.BundleId);
        for (int l = 0; l < legs.Count; l++)
        {
            var entries = legEntries[l];
            for (int i = 0; i < entries.Count; i++)
            {
                if (EntryMapper.TryMap(entries[i], keys[l], l, i, ref command.Entries[legStarts[l] + i]) is { } error)
                {
                    return Problem.Validation(error, i, l);
                }
            }
        }
        plan = new BundlePlan(legStarts, keys, legEntries);
        return null;
    }
}
