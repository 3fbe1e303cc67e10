using System.Text.Json;
using Ledger.Engine.Catalog;
using Ledger.Gateway.Edge;
using Ledger.Gateway.Hosting;
using Ledger.Gateway.Problems;
using Ledger.Gateway.Security;
using Ledger.ReadSide;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ledger.Gateway.Api;

/// <summary>
/// <c>POST /v1/simulations</c>, <c>GET</c> and <c>DELETE /v1/simulations/{id}</c> (ledger:admin): the what-if of the
/// replay-tool run inside the service on its own journal, in the background, one at a time (<see cref="SimulationRunner"/>).
/// </summary>
public static class SimulationsApi
{
    public static IEndpointRouteBuilder MapSimulationsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/simulations").WithTags("Administration");
        group.MapPost("", Start)
            .WithName("StartSimulation")
            .WithSummary("Starts a what-if: the journal replayed under a candidate catalog in a window, compared with what the ledger decided.")
            .WithDescription("202 with Location; the run reads the journal up to its committed end at the start, off the engine thread, paced to " +
                             "Ledger:Simulations:CpuShare of a core. One at a time: 409 simulation-running. The summary, once done, is the " +
                             "replay-tool's summary.json.")
            .Accepts<SimulationRequest>("application/json")
            .ProducesProblems(400, 401, 403, 409, 413, 415, 422, 429, 503)
            .RequireAuthorization(Policies.Admin);
        group.MapGet("/{id}", Get)
            .WithName("GetSimulation")
            .WithSummary("A simulation's status and progress, then its summary.")
            .ProducesProblems(401, 403, 404, 429)
            .RequireAuthorization(Policies.Admin);
        group.MapDelete("/{id}", Cancel)
            .WithName("CancelSimulation")
            .WithSummary("Cancels a running simulation (its scratch stores are deleted).")
            .ProducesProblems(401, 403, 404, 429)
            .RequireAuthorization(Policies.Admin);
        return app;
    }

    internal static async Task<Results<Accepted<SimulationResponse>, ProblemResult>> Start(HttpContext http, LedgerRuntime runtime, SimulationRunner runner)
    {
        if (HttpEdge.CheckQuery(http) is { } queryProblem) return queryProblem;
        if (HttpEdge.NotReady(runtime) is { } notReady) return notReady;
        var (body, bodyProblem) = await HttpEdge.ReadJsonAsync(http, GatewayJsonContext.Default.SimulationRequest);
        if (bodyProblem is not null) return bodyProblem;
        if (body!.Catalog is not { ValueKind: JsonValueKind.Object } catalogJson) return Problem.Validation("catalog is required: the candidate catalog, in the catalog file's format.");
        long from = long.MinValue, to = long.MaxValue;
        if (body.From is not null && !WireTime.TryParseInstant(body.From, endOfDay: false, out from)) return Problem.Validation($"from '{Refusal.Quote(body.From)}' is not an ISO-8601 instant.");
        if (body.To is not null && !WireTime.TryParseInstantThrough(body.To, out to)) return Problem.Validation($"to '{Refusal.Quote(body.To)}' is not an ISO-8601 instant.");
        if (from > to) return Problem.Validation("from is after to.");
        HistoryCatalog candidate;
        try
        {
            candidate = HistoryCatalogFile.Parse(catalogJson.GetRawText());
        }
        catch (CatalogException ex)
        {
            return Problem.Of(ProblemTypes.InvalidCatalog, $"The catalog is not valid: {ex.Message}");
        }
        var simulation = runner.TryStart(candidate, from, to);
        if (simulation is null) return Problem.Of(ProblemTypes.SimulationRunning, "A simulation is running; wait for it (GET) or cancel it (DELETE) first.");
        return TypedResults.Accepted($"/v1/simulations/{simulation.Id}", Describe(simulation));
    }

    internal static Results<Ok<SimulationResponse>, ProblemResult> Get(string id, SimulationRunner runner) =>
        runner.Find(id) is { } s ? TypedResults.Ok(Describe(s)) : Problem.Of(ProblemTypes.NotFound, $"No simulation '{Refusal.Quote(id)}' (only the last one started is kept).");

    internal static Results<NoContent, ProblemResult> Cancel(string id, SimulationRunner runner) =>
        runner.Cancel(id) ? TypedResults.NoContent() : Problem.Of(ProblemTypes.NotFound, $"No simulation '{Refusal.Quote(id)}'.");

    private static SimulationResponse Describe(Simulation s)
    {
        JsonElement? summary = s.SummaryJson is { } bytes ? JsonDocument.Parse(bytes).RootElement.Clone() : null;
        return new SimulationResponse(s.Id, s.Status, s.StartedAt, s.FinishedAt, s.UntilRecord,
            new SimulationProgressResponse(s.Phase, s.Records, Math.Round(s.Fraction, 4)), summary, s.Error);
    }
}
