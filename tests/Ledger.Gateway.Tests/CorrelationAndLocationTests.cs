using System.Net;
using System.Text.Json.Nodes;

namespace Ledger.Gateway.Tests;

/// <summary>X-Request-Id, traceparent, a Problem's instance and traceId, and the 201's Location.</summary>
public sealed class CorrelationAndLocationTests
{
    private static GatewayServer Server => SharedGateway.Server;

    [Test]
    public async Task ShouldEchoARequestIdAndGenerateOneWhenAbsent()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        using var given = new HttpRequestMessage(HttpMethod.Get, account.Balances) { Headers = { { "X-Request-Id", "partner-req-42" } } };
        using var echoed = await client.SendAsync(given);
        Assert.That(echoed.Headers.GetValues("X-Request-Id").Single(), Is.EqualTo("partner-req-42"));
        using var generated = await client.GetAsync(account.Balances);
        Assert.That(generated.Headers.GetValues("X-Request-Id").Single(), Has.Length.EqualTo(32));
        using var unusable = new HttpRequestMessage(HttpMethod.Get, account.Balances);
        unusable.Headers.TryAddWithoutValidation("X-Request-Id", new string('x', 300));
        using var replaced = await client.SendAsync(unusable);
        Assert.That(replaced.Headers.GetValues("X-Request-Id").Single(), Has.Length.EqualTo(32), "an over-long id is replaced, not echoed");
    }

    [Test]
    public async Task EveryProblemShouldCarryItsInstanceTraceIdAndRequestId()
    {
        using var client = await Server.ClientAsync();
        const string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/accounts/1/999999999/balances")
        {
            Headers = { { "traceparent", $"00-{trace}-00f067aa0ba902b7-01" }, { "X-Request-Id", "r-1" } },
        };
        using var response = await client.SendAsync(request);
        var problem = await response.ProblemAsync(404, "account-not-found");
        Assert.That((string?)problem["instance"], Is.EqualTo("/v1/accounts/1/999999999/balances"));
        Assert.That((string?)problem["traceId"], Is.EqualTo(trace), "the caller's trace continues");
        Assert.That((string?)problem["requestId"], Is.EqualTo("r-1"));
        using var anonymous = await Server.Anonymous.GetAsync("/v1/accounts/1/1/balances");
        var unauthorized = await anonymous.ProblemAsync(401, "unauthorized");
        Assert.That((string?)unauthorized["traceId"], Has.Length.EqualTo(32), "a Problem written outside an endpoint carries one too");
        Assert.That((string?)unauthorized["instance"], Is.EqualTo("/v1/accounts/1/1/balances"));
    }

    [Test]
    public async Task ALedgerDeclineShouldBeTheSameBytesOnEveryReplayWithItsIdsInTheHeader()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        async Task<(string Body, string RequestId)> Attempt(string requestId)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, account.Batches)
            {
                Content = Batch(Entry("ledger", "overdraw", 998, 1_000_000)),
                Headers = { { "X-Request-Id", requestId } },
            };
            using var response = await client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.That((int)response.StatusCode, Is.EqualTo(422), body);
            return (body, response.Headers.GetValues("X-Request-Id").Single());
        }
        var first = await Attempt("first-try");
        var replay = await Attempt("second-try");
        Assert.That(replay.Body, Is.EqualTo(first.Body), "docs/contract.md section 3: the same body again");
        Assert.That((first.RequestId, replay.RequestId), Is.EqualTo(("first-try", "second-try")), "each occurrence is named in its header");
        var problem = JsonNode.Parse(first.Body)!;
        Assert.That((string?)problem["instance"], Is.EqualTo(account.Batches));
        Assert.That(problem["traceId"], Is.Null, "the ledger's remembered answer names no single request");
        Assert.That(problem["requestId"], Is.Null);
    }

    [Test]
    public async Task TheLocationOfABatchShouldListExactlyItsEntries()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        (await client.PostAsync(account.Batches, Deposit("before", 5))).EnsureSuccessStatusCode();
        using var posted = await client.PostAsync(account.Batches, Batch(Entry("ledger", "a", 100, 1), Entry("ledger", "b", 100, 2), Entry("blocking", "c", 998, 3)));
        Assert.That(posted.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        (await client.PostAsync(account.Batches, Deposit("after", 5))).EnsureSuccessStatusCode();
        var location = posted.Headers.Location!;
        Assert.That(location.ToString(), Does.StartWith($"/v1/entries?branch={account.Branch}&account={account.Number}&cursor="));
        var page = await (await client.GetAsync(location)).BodyAsync();
        Assert.That(page["entries"]!.AsArray().Select(e => (string)e!["correlationId"]!), Is.EqualTo(new[] { "a", "b", "c" }));
    }

    [Test]
    public async Task TheLocationOfABundleShouldListItsFirstLegsEntries()
    {
        var a = await Server.OpenAccountAsync();
        var b = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        (await client.PostAsync(a.Batches, Deposit("fund", 10_000))).EnsureSuccessStatusCode();
        var bundle = new JsonObject
        {
            ["bundleId"] = "loc-1",
            ["legs"] = new JsonArray(
                new JsonObject { ["branch"] = a.Branch, ["account"] = a.Number, ["entries"] = JsonNode.Parse("[" + Entry("ledger", "out", 200, 300) + "]") },
                new JsonObject { ["branch"] = b.Branch, ["account"] = b.Number, ["entries"] = JsonNode.Parse("[" + Entry("ledger", "in", 201, 300) + "]") }),
        };
        using var posted = await client.PostAsync("/v1/transaction-bundles", Json(bundle.ToJsonString()));
        Assert.That(posted.StatusCode, Is.EqualTo(HttpStatusCode.Created), await posted.Content.ReadAsStringAsync());
        var page = await (await client.GetAsync(posted.Headers.Location!)).BodyAsync();
        Assert.That(page["entries"]!.AsArray().Select(e => (string)e!["correlationId"]!), Is.EqualTo(new[] { "out" }));
    }
}
