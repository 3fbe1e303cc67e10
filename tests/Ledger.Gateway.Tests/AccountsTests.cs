using System.Net;
using System.Text;

namespace Ledger.Gateway.Tests;

/// <summary>POST /v1/accounts, GET /v1/accounts/{branch}/{account}, POST /v1/accounts/import.</summary>
public sealed class AccountsTests
{
    private static GatewayServer Server => SharedGateway.Server;
    private static long _next = 5_000_000;

    private static long NewNumber() => Interlocked.Increment(ref _next);

    [Test]
    public async Task ShouldOpenAnAccountWith201AndReadItBack()
    {
        long number = NewNumber();
        using var admin = await Server.ClientAsync("ledger-admin");
        using var response = await admin.PostAsync("/v1/accounts", Json($"{{\"branch\":3,\"account\":{number},\"currency\":\"JPY\",\"overdraftLimit\":500}}"));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(response.Headers.Location?.ToString(), Is.EqualTo($"/v1/accounts/3/{number}"));
        var body = await response.BodyAsync();
        Assert.That((string?)body["currency"], Is.EqualTo("JPY"));
        Assert.That((long?)body["overdraftLimit"], Is.EqualTo(500));
        Assert.That(Balances(body["balances"]!), Is.EqualTo((0L, 0L)));

        using var partner = await Server.ClientAsync();
        using var read = await partner.GetAsync($"/v1/accounts/3/{number}");
        Assert.That(read.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var account = await read.BodyAsync();
        Assert.That((int?)account["branch"], Is.EqualTo(3));
        Assert.That((long?)account["account"], Is.EqualTo(number));
        Assert.That((string?)account["openedAt"], Is.EqualTo((string?)body["openedAt"]));
    }

    [Test]
    public async Task ShouldAnswer409WhenTheAccountExists()
    {
        var account = await Server.OpenAccountAsync();
        using var admin = await Server.ClientAsync("ledger-admin");
        using var response = await admin.PostAsync("/v1/accounts", Json($"{{\"branch\":{account.Branch},\"account\":{account.Number},\"currency\":\"USD\"}}"));
        await response.ProblemAsync(409, "account-exists");
    }

    [Test]
    public async Task ShouldAnswer404ForAnAccountThatDoesNotExist()
    {
        using var partner = await Server.ClientAsync();
        using var response = await partner.GetAsync("/v1/accounts/9/999999996");
        await response.ProblemAsync(404, "account-not-found");
    }

    [TestCase("{\"branch\":1,\"account\":5}", TestName = "ShouldRefuseAnAccountWithoutCurrency")]
    [TestCase("{\"branch\":1,\"account\":5,\"currency\":\"ABC\"}", TestName = "ShouldRefuseAnUnknownCurrencyOnOpening")]
    [TestCase("{\"branch\":10000,\"account\":5,\"currency\":\"USD\"}", TestName = "ShouldRefuseABranchOutOfRangeOnOpening")]
    [TestCase("{\"account\":5,\"currency\":\"USD\"}", TestName = "ShouldRefuseAnOpeningWithoutBranch")]
    [TestCase("{\"branch\":1,\"account\":5,\"currency\":\"USD\",\"overdraftLimit\":-1}", TestName = "ShouldRefuseANegativeOverdraftLimit")]
    public async Task ShouldRefuseInvalidOpeningsWith400(string body)
    {
        using var admin = await Server.ClientAsync("ledger-admin");
        using var response = await admin.PostAsync("/v1/accounts", Json(body));
        await response.ProblemAsync(400, "validation");
    }

    [Test]
    public async Task ShouldImportNdjsonAndCsvAndCountAccountsAlreadyOpenOnARerun()
    {
        long first = NewNumber() * 10;
        _ = Interlocked.Add(ref _next, 10);
        var ndjson = new StringBuilder();
        for (int i = 0; i < 5; i++) ndjson.Append($"{{\"branch\":4,\"account\":{first + i},\"currency\":\"EUR\"}}\n");
        using var admin = await Server.ClientAsync("ledger-admin");
        using var imported = await admin.PostAsync("/v1/accounts/import", new StringContent(ndjson.ToString(), Encoding.UTF8, "application/x-ndjson"));
        Assert.That(imported.StatusCode, Is.EqualTo(HttpStatusCode.OK), await imported.Content.ReadAsStringAsync());
        var body = await imported.BodyAsync();
        Assert.That(((int?)body["lines"], (int?)body["opened"], (int?)body["alreadyOpen"]), Is.EqualTo((5, 5, 0)));

        string csv = $"branch,account,currency,overdraftLimit\n4,{first},EUR,0\n4,{first + 5},EUR,100\n";
        using var rerun = await admin.PostAsync("/v1/accounts/import", new StringContent(csv, Encoding.UTF8, "text/csv"));
        var rerunBody = await rerun.BodyAsync();
        Assert.That(((int?)rerunBody["opened"], (int?)rerunBody["alreadyOpen"]), Is.EqualTo((1, 1)));

        using var read = await admin.GetAsync($"/v1/accounts/4/{first + 5}");
        Assert.That((long?)(await read.BodyAsync())["overdraftLimit"], Is.EqualTo(100));
    }

    [Test]
    public async Task ShouldRefuseAnImportWithABadLineAndOpenNothing()
    {
        long first = NewNumber() * 10;
        string csv = $"4,{first},EUR\n4,{first + 1},EURO\n";
        using var admin = await Server.ClientAsync("ledger-admin");
        using var response = await admin.PostAsync("/v1/accounts/import", new StringContent(csv, Encoding.UTF8, "text/csv"));
        var problem = await response.ProblemAsync(400, "validation");
        Assert.That((string?)problem["detail"], Does.StartWith("Line 2:"));
        using var read = await admin.GetAsync($"/v1/accounts/4/{first}");
        await read.ProblemAsync(404, "account-not-found");
    }

    [TestCase("branch,account,currency\n", "text/csv")]
    [TestCase("\n\n", "application/x-ndjson")]
    public async Task ShouldRefuseAnImportThatNamesNoAccounts(string body, string mediaType)
    {
        using var admin = await Server.ClientAsync("ledger-admin");
        using var response = await admin.PostAsync("/v1/accounts/import", new StringContent(body, Encoding.UTF8, mediaType));
        var problem = await response.ProblemAsync(400, "validation");
        Assert.That((string?)problem["detail"], Does.Contain("names no accounts"));
    }

    [Test]
    public async Task ShouldRefuseAnImportThatChangesAnOpenAccountsCurrency()
    {
        var account = await Server.OpenAccountAsync("USD");
        using var admin = await Server.ClientAsync("ledger-admin");
        using var response = await admin.PostAsync("/v1/accounts/import",
            new StringContent($"{account.Branch},{account.Number},EUR\n", Encoding.UTF8, "text/csv"));
        await response.ProblemAsync(400, "validation");
    }

    [Test]
    public async Task ShouldRefuseAnImportInAnotherFormatWith415()
    {
        using var admin = await Server.ClientAsync("ledger-admin");
        using var response = await admin.PostAsync("/v1/accounts/import", Json("[]"));
        await response.ProblemAsync(415, "unsupported-media-type");
    }
}
