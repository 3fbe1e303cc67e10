using System.Net;

namespace Ledger.Gateway.Tests;

/// <summary>DELETE /v1/accounts/{branch}/{account}/entries?correlationId=…</summary>
public sealed class DeleteTests
{
    private static GatewayServer Server => SharedGateway.Server;

    [Test]
    public async Task ShouldRemoveAPendingHoldWith204AndThenAnswer409()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        (await client.PostAsync(account.Batches, Deposit("d", 10_000))).EnsureSuccessStatusCode();
        (await client.PostAsync(account.Batches, Batch(Entry("blocking", "h", 998, 4_000)))).EnsureSuccessStatusCode();

        using var deleted = await client.DeleteAsync(account.Path + "/entries?correlationId=h");
        Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(await deleted.Content.ReadAsStringAsync(), Is.Empty);
        Assert.That(await client.BalancesAsync(account), Is.EqualTo((10_000L, 0L)));
        var statement = await client.StatementAsync(account);
        Assert.That((string?)statement[1]!["status"], Is.EqualTo("REMOVED"));
        Assert.That(statement, Has.Count.EqualTo(2), "a DELETE creates no entry");

        using var again = await client.DeleteAsync(account.Path + "/entries?correlationId=h");
        await again.ProblemAsync(409, "entry-not-pending");
    }

    [Test]
    public async Task ShouldAnswer409ForAPostedEntry()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        (await client.PostAsync(account.Batches, Deposit("d", 10_000))).EnsureSuccessStatusCode();
        using var response = await client.DeleteAsync(account.Path + "/entries?correlationId=d");
        var problem = await response.ProblemAsync(409, "entry-not-pending");
        Assert.That((string?)problem["detail"], Does.Contain("'d'"));
    }

    [Test]
    public async Task ShouldAnswer404ForAnUnknownCorrelationId()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        using var response = await client.DeleteAsync(account.Path + "/entries?correlationId=nope");
        await response.ProblemAsync(404, "entry-not-found");
    }

    [Test]
    public async Task ShouldAnswer404ForAnUnknownAccount()
    {
        using var client = await Server.ClientAsync();
        using var response = await client.DeleteAsync("/v1/accounts/9/999999998/entries?correlationId=x");
        await response.ProblemAsync(404, "account-not-found");
    }

    [TestCase("", TestName = "ShouldRefuseADeleteWithoutCorrelationId")]
    [TestCase("?correlationId=a%20b", TestName = "ShouldRefuseADeleteWithAMalformedCorrelationId")]
    [TestCase("?correlationId=a&correlationId=b", TestName = "ShouldRefuseADeleteWithTwoCorrelationIds")]
    [TestCase("?correlationId=a&force=true", TestName = "ShouldRefuseADeleteWithAnUnknownParameter")]
    public async Task ShouldRefuseBadDeleteQueries(string query)
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        using var response = await client.DeleteAsync(account.Path + "/entries" + query);
        await response.ProblemAsync(400, "validation");
    }
}
