using System.Globalization;

namespace Ledger.Gateway.Tests;

/// <summary>
/// One rule for query strings on every endpoint (names case-insensitive, unknown or empty or repeated → 400), and
/// <c>?at=</c> covering the precision it is written in.
/// </summary>
public sealed class QueryRuleTests
{
    private static GatewayServer Server => SharedGateway.Server;

    [Test]
    public async Task ShouldReadQueryNamesCaseInsensitively()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        (await client.PostAsync(account.Batches, Deposit("d", 10))).EnsureSuccessStatusCode();
        using var statement = await client.GetAsync($"/v1/entries?Branch={account.Branch}&ACCOUNT={account.Number}&Limit=5");
        Assert.That((int)statement.StatusCode, Is.EqualTo(200), await statement.Content.ReadAsStringAsync());
        Assert.That((await statement.BodyAsync())["entries"]!.AsArray(), Has.Count.EqualTo(1));
        using var v2 = await client.GetAsync($"/v2/entries?branch={account.Branch}&account={account.Number}&EntryKind=ledger");
        Assert.That((int)v2.StatusCode, Is.EqualTo(200));
        using var at = await client.GetAsync(account.Balances + "?AT=2099-01-01");
        Assert.That((int)at.StatusCode, Is.EqualTo(200));
    }

    [TestCase("POST", "/batches?dryRun=true", TestName = "ShouldRefuseAnUnknownParameterOnAPostOfABatch")]
    [TestCase("POST", "/v1/transaction-bundles?x=1", TestName = "ShouldRefuseAnUnknownParameterOnABundle")]
    [TestCase("GET", "/balances?asOf=2026-01-01", TestName = "ShouldRefuseAnUnknownParameterOnBalances")]
    [TestCase("GET", "/v2/entries?entryKind=", TestName = "ShouldRefuseAnEmptyV2Filter")]
    [TestCase("GET", "/v1/entries?from=", TestName = "ShouldRefuseAnEmptyFrom")]
    [TestCase("GET", "/balances?at=", TestName = "ShouldRefuseAnEmptyAt")]
    [TestCase("GET", "/v1/entries?limit=5&limit=6", TestName = "ShouldRefuseARepeatedParameter")]
    public async Task ShouldRefuseAQueryStringOutsideTheRule(string method, string target)
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        string url = target.StartsWith("/v", StringComparison.Ordinal)
            ? target.Contains("entries", StringComparison.Ordinal) ? target.Replace("?", $"?branch={account.Branch}&account={account.Number}&", StringComparison.Ordinal) : target
            : account.Path + target;
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (method == "POST") request.Content = target.Contains("bundles", StringComparison.Ordinal) ? Json("{}") : Deposit("q", 5);
        using var response = await client.SendAsync(request);
        var problem = await response.ProblemAsync(400, "validation");
        Assert.That((string?)problem["detail"], Does.Contain("query parameter").IgnoreCase);
        Assert.That(await client.BalancesAsync(account), Is.EqualTo((0L, 0L)), "nothing was applied");
    }

    [Test]
    public async Task AtShouldCoverTheMillisecondAndTheSecondItIsWrittenIn()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        using var posted = await client.PostAsync(account.Batches, Deposit("d", 700));
        var stamp = DateTime.Parse((string)(await posted.BodyAsync())["entries"]![0]!["timestamp"]!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
        foreach (var format in new[] { "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", "yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm'Z'", "yyyy-MM-dd" })
        {
            string at = stamp.ToString(format, CultureInfo.InvariantCulture); // as a JavaScript Date (or a person) would write it
            using var response = await client.GetAsync(account.Balances + "?at=" + Uri.EscapeDataString(at));
            Assert.That(Balances((await response.BodyAsync())["balances"]!), Is.EqualTo((700L, 0L)), $"at={at} includes the entry stamped within it");
        }
        string before = stamp.AddMilliseconds(-1).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        using var earlier = await client.GetAsync(account.Balances + "?at=" + Uri.EscapeDataString(before));
        Assert.That((int)earlier.StatusCode, Is.AnyOf(200, 404));
        if ((int)earlier.StatusCode == 200) Assert.That(Balances((await earlier.BodyAsync())["balances"]!), Is.EqualTo((0L, 0L)), "the millisecond before it does not");
    }
}
