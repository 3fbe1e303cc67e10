using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ledger.Engine.Catalog;
using Ledger.Testing;

namespace Ledger.Gateway.Tests;

/// <summary>
/// Issue 16: <c>/v1/simulations</c> runs the replay-tool's what-if in the service, in the background, one at a time,
/// while the ledger posts; its summary is the CLI's for the same journal, window and bound.
/// </summary>
public sealed class SimulationTests
{
    private static readonly HistoryCatalog Lowered =
        Catalogs.WithRules(new Dictionary<int, RuleDefinition[]> { [998] = [Catalogs.Rule("maxAmount", 20_000)] });

    private static StringContent Request(HistoryCatalog catalog) => Json($"{{\"catalog\":{HistoryCatalogFile.ToJson(catalog)}}}");

    private static async Task<JsonNode> UntilFinishedAsync(HttpClient admin, string location)
    {
        for (int i = 0; i < 6_000; i++) // polls, not a timing assertion: a generous cap so a broken run cannot hang the suite
        {
            var body = await (await admin.GetAsync(location)).BodyAsync();
            if ((string?)body["status"] != "running") return body;
            await Task.Delay(50);
        }
        Assert.Fail("the simulation did not finish");
        return null!;
    }

    [Category("Tools")]
    [Test]
    public async Task ASimulationWhileTheLedgerPostsShouldAnswerWhatTheCliAnswers()
    {
        string dir = GatewayServer.NewDataDir();
        JsonNode done;
        await using (var server = await GatewayServer.StartOnAsync(dir, "Ledger:Simulations:CpuShare=0.5"))
        {
            var host = server.Runtime.Host!;
            var workload = new RandomWorkload(seed: 31);
            foreach (var c in workload.Take(1_500)) await host.SubmitAsync(c);
            using var admin = await server.ClientAsync("ledger-admin");
            using var load = new CancellationTokenSource();
            var posting = Task.Run(async () =>
            {
                while (!load.IsCancellationRequested)
                {
                    foreach (var c in workload.Take(20)) await host.SubmitAsync(c);
                }
            });

            using var started = await admin.PostAsync("/v1/simulations", Request(Lowered));
            Assert.That(started.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await started.Content.ReadAsStringAsync());
            string location = started.Headers.Location!.OriginalString;
            done = await UntilFinishedAsync(admin, location);
            await load.CancelAsync();
            await posting;
            Assert.That((string?)done["status"], Is.EqualTo("done"), done.ToJsonString());
            Assert.That((long)done["summary"]!["flippedToDeclined"]!, Is.GreaterThan(0));
            Assert.That((long)done["untilRecord"]!, Is.LessThan(server.Runtime.Store!.Journal.CommittedRecordNumber), "posting went on meanwhile");
        }
        try
        {
            string candidate = Path.Combine(dir, "..", $"candidate-{Guid.NewGuid():N}.json");
            File.WriteAllText(candidate, HistoryCatalogFile.ToJson(Lowered));
            string output = Path.Combine(dir, "..", $"what-if-{Guid.NewGuid():N}");
            var run = ToolRun.Of("what-if", dir, "--catalog", candidate, "--until-record", ((long)done["untilRecord"]!).ToString(System.Globalization.CultureInfo.InvariantCulture), "--out", output);
            Assert.That(run.ExitCode, Is.Zero, run.ToString());
            var cli = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
            Assert.That(JsonNode.DeepEquals(cli, done["summary"]), Is.True, $"CLI {cli!.ToJsonString()}\nAPI {done["summary"]!.ToJsonString()}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public async Task OneSimulationShouldRunAtATimeAndDeleteShouldCancelIt()
    {
        await using var server = await GatewayServer.StartAsync("Ledger:Simulations:CpuShare=0.05");
        foreach (var c in new RandomWorkload(seed: 5).Take(3_000)) await server.Runtime.Host!.SubmitAsync(c);
        using var admin = await server.ClientAsync("ledger-admin");
        using var first = await admin.PostAsync("/v1/simulations", Request(Lowered));
        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        string location = first.Headers.Location!.OriginalString;
        using var second = await admin.PostAsync("/v1/simulations", Request(Lowered));
        await second.ProblemAsync(409, "simulation-running");
        using var cancel = await admin.DeleteAsync(location);
        Assert.That(cancel.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        var ended = await UntilFinishedAsync(admin, location);
        Assert.That((string?)ended["status"], Is.EqualTo("cancelled"));
        using var third = await admin.PostAsync("/v1/simulations", Request(Lowered));
        Assert.That(third.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), "another may start once it ended");
        (await admin.DeleteAsync(third.Headers.Location!.OriginalString)).Dispose();
    }

    [TestCase("{}", 400, "validation")]
    [TestCase("{\"catalog\":{\"historyCodes\":[]}}", 422, "invalid-catalog")]
    [TestCase("{\"catalog\":{\"historyCodes\":[]},\"from\":\"yesterday\"}", 400, "validation")]
    public async Task ABadRequestShouldBeAProblem(string body, int status, string reason)
    {
        await using var server = await GatewayServer.StartAsync();
        using var admin = await server.ClientAsync("ledger-admin");
        using var response = await admin.PostAsync("/v1/simulations", Json(body));
        await response.ProblemAsync(status, reason);
        using var missing = await admin.GetAsync("/v1/simulations/nope");
        await missing.ProblemAsync(404, "not-found");
        using var partner = await server.ClientAsync();
        using var forbidden = await partner.PostAsync("/v1/simulations", Json(body));
        Assert.That(forbidden.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }
}
