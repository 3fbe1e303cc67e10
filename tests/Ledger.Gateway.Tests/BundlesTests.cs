using System.Net;
using System.Text.Json.Nodes;

namespace Ledger.Gateway.Tests;

/// <summary>POST /v1/transaction-bundles: several accounts, atomically, idempotent by bundleId.</summary>
public sealed class BundlesTests
{
    private static GatewayServer Server => SharedGateway.Server;

    private static StringContent Transfer(string bundleId, TestAccount from, TestAccount to, long amount, string suffix = "") => Json(new JsonObject
    {
        ["bundleId"] = bundleId,
        ["legs"] = new JsonArray(
            new JsonObject { ["branch"] = from.Branch, ["account"] = from.Number, ["entries"] = JsonNode.Parse("[" + Entry("ledger", "out" + suffix, 200, amount) + "]") },
            new JsonObject { ["branch"] = to.Branch, ["account"] = to.Number, ["entries"] = JsonNode.Parse("[" + Entry("ledger", "in" + suffix, 201, amount) + "]") }),
    }.ToJsonString());

    [Test]
    public async Task ShouldMoveValueAcrossAccountsAndAnswerEachLegsBalances()
    {
        var a = await Server.OpenAccountAsync();
        var b = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        (await client.PostAsync(a.Batches, Deposit("d", 10_000))).EnsureSuccessStatusCode();

        using var response = await client.PostAsync("/v1/transaction-bundles", Transfer("t-1", a, b, 3_000));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        var body = await response.BodyAsync();
        Assert.That((string?)body["bundleId"], Is.EqualTo("t-1"));
        var legs = body["legs"]!.AsArray();
        Assert.That((long?)legs[0]!["account"], Is.EqualTo(a.Number));
        Assert.That((string?)legs[0]!["entries"]![0]!["correlationId"], Is.EqualTo("out"));
        Assert.That(Balances(legs[0]!["balances"]!), Is.EqualTo((7_000L, 0L)));
        Assert.That(Balances(legs[1]!["balances"]!), Is.EqualTo((3_000L, 0L)));
        Assert.That(await client.BalancesAsync(b), Is.EqualTo((3_000L, 0L)));

        using var replay = await client.PostAsync("/v1/transaction-bundles", Transfer("t-1", a, b, 3_000));
        Assert.That(replay.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(await replay.Content.ReadAsStringAsync(), Is.EqualTo(await response.Content.ReadAsStringAsync()));
        Assert.That(await client.BalancesAsync(a), Is.EqualTo((7_000L, 0L)), "a replay changes nothing");

        using var conflict = await client.PostAsync("/v1/transaction-bundles", Transfer("t-1", a, b, 3_001));
        var problem = await conflict.ProblemAsync(409, "idempotency-conflict");
        Assert.That(problem["conflictingFields"]!.AsArray().Select(f => (string)f!), Does.Contain("amount.value"));
    }

    [Test]
    public async Task ShouldApplyNoLegWhenOneLegIsDeclined()
    {
        var a = await Server.OpenAccountAsync();
        var b = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        (await client.PostAsync(a.Batches, Deposit("d", 1_000))).EnsureSuccessStatusCode();

        using var response = await client.PostAsync("/v1/transaction-bundles", Transfer("t-2", a, b, 5_000));
        var problem = await response.ProblemAsync(422, "insufficient-funds");
        Assert.That((int?)problem["legIndex"], Is.EqualTo(0));
        Assert.That((int?)problem["entryIndex"], Is.EqualTo(0));
        Assert.That((string?)problem["detail"], Does.StartWith("legs[0].entries[0]"));
        Assert.That(await client.BalancesAsync(a), Is.EqualTo((1_000L, 0L)));
        Assert.That(await client.BalancesAsync(b), Is.EqualTo((0L, 0L)));
        Assert.That(await client.StatementAsync(b), Is.Empty);
    }

    [Test]
    public async Task ShouldAnswer404NamingTheLegWhoseAccountDoesNotExist()
    {
        var a = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        using var response = await client.PostAsync("/v1/transaction-bundles", Transfer("t-3", a, new TestAccount(9, 999_999_997), 1));
        var problem = await response.ProblemAsync(404, "account-not-found");
        Assert.That((int?)problem["legIndex"], Is.EqualTo(1));
    }

    [TestCase("{\"legs\":[]}", TestName = "ShouldRefuseABundleWithoutBundleId")]
    [TestCase("{\"bundleId\":\"b\",\"legs\":[]}", TestName = "ShouldRefuseABundleWithoutLegs")]
    [TestCase("{\"bundleId\":\"b\",\"legs\":[{\"branch\":1,\"account\":5,\"entries\":[]}]}", TestName = "ShouldRefuseALegWithoutEntries")]
    [TestCase("{\"bundleId\":\"b\",\"legs\":[{\"account\":5,\"entries\":[]}]}", TestName = "ShouldRefuseALegWithoutBranch")]
    [TestCase("{\"bundleId\":\"b c\",\"legs\":[{\"branch\":1,\"account\":5,\"entries\":[]}]}", TestName = "ShouldRefuseAMalformedBundleId")]
    [TestCase("{\"bundleId\":\"b\",\"legs\":[{\"branch\":1,\"account\":5,\"entries\":[{\"entryKind\":\"ledger\",\"correlationId\":\"x\",\"entryType\":100,\"amount\":{\"value\":1,\"currency\":\"USD\"}}]},{\"branch\":1,\"account\":5,\"entries\":[{\"entryKind\":\"ledger\",\"correlationId\":\"y\",\"entryType\":100,\"amount\":{\"value\":1,\"currency\":\"USD\"}}]}]}", TestName = "ShouldRefuseTwoLegsOnOneAccount")]
    public async Task ShouldRefuseMalformedBundlesWith400(string body)
    {
        using var client = await Server.ClientAsync();
        using var response = await client.PostAsync("/v1/transaction-bundles", Json(body));
        await response.ProblemAsync(400, "validation");
    }

    // The bundle reader is the batch reader's strictness over legs: unknown or duplicate members and wrong types are
    // malformed-json naming the path; a lone surrogate escape is too.
    [TestCase("{\"bundleId\":\"b\",\"legs\":[{\"branch\":1,\"acount\":5}]}", "$.legs[0]", TestName = "ShouldRefuseAnUnknownMemberOfALeg")]
    [TestCase("{\"bundleId\":\"b\",\"bundleId\":\"c\",\"legs\":[]}", "Duplicate member at $.bundleId", TestName = "ShouldRefuseADuplicateBundleId")]
    [TestCase("{\"bundleId\":\"b\",\"legs\":[{\"branch\":\"1\",\"account\":5}]}", "$.legs[0].branch", TestName = "ShouldRefuseABranchSentAsText")]
    [TestCase("{\"bundleId\":\"b\",\"legs\":[{\"branch\":1,\"account\":5,\"entries\":[{\"entryKind\":\"ledger\",\"correlationId\":\"x\",\"amount\":{\"value\":1.5}}]}]}", "$.legs[0].entries[0].amount.value", TestName = "ShouldRefuseAFractionInALegsEntry")]
    [TestCase("{\"bundleId\":\"b\",\"legs\":[{\"branch\":1,\"account\":5,\"entries\":[{\"entryKind\":\"ledger\",\"correlationId\":\"x\",\"description\":\"\\uDC00\"}]}]}", "invalid escape", TestName = "ShouldRefuseALoneSurrogateInALegsEntry")]
    public async Task ShouldRefuseMalformedBundleJsonNamingWhere(string body, string where)
    {
        using var client = await Server.ClientAsync();
        using var response = await client.PostAsync("/v1/transaction-bundles", Json(body));
        var problem = await response.ProblemAsync(400, "malformed-json");
        Assert.That((string?)problem["detail"], Does.Contain(where));
    }

    [Test]
    public async Task ShouldReadALegWhoseAccountFollowsItsEntries()
    {
        var from = await Server.OpenAccountAsync();
        var to = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        (await client.PostAsync(from.Batches, Deposit("seed", 1_000))).EnsureSuccessStatusCode();
        string Leg(TestAccount account, string entry) => $"{{\"entries\":[{entry}],\"account\":{account.Number},\"branch\":{account.Branch}}}";
        string body = $"{{\"legs\":[{Leg(from, Entry("ledger", "out-1", 200, 300))},{Leg(to, Entry("ledger", "in-1", 201, 300))}],\"bundleId\":\"late-accounts\"}}";
        using var response = await client.PostAsync("/v1/transaction-bundles", Json(body));
        Assert.That((int)response.StatusCode, Is.EqualTo(201), await response.Content.ReadAsStringAsync());
        Assert.That(await client.BalancesAsync(from), Is.EqualTo((700L, 0L)));
        Assert.That(await client.BalancesAsync(to), Is.EqualTo((300L, 0L)));
    }
}
