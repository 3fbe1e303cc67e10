using System.Net.Http.Headers;
using System.Text;

namespace Ledger.Gateway.Tests;

/// <summary>
/// A refusal's detail tells a newcomer what to change (issue 18, item 6): the 415 names the type the endpoint takes, a
/// well-formed but unknown currency is not called malformed, and a number that does not fit is out of range rather
/// than of the wrong type.
/// </summary>
public sealed class ProblemDetailTests
{
    private static GatewayServer Server => SharedGateway.Server;

    private static string Entry(string amount, string currency = "USD") =>
        $"{{\"entries\":[{{\"entryKind\":\"ledger\",\"correlationId\":\"x\",\"entryType\":100,\"amount\":{{\"value\":{amount},\"currency\":\"{currency}\"}}}}]}}";

    [TestCase("batches", "text/plain", "application/json", TestName = "A415ShouldNameApplicationJsonForABatch")]
    [TestCase("import", "application/json", "application/x-ndjson or text/csv", TestName = "A415ShouldNameNdjsonAndCsvForAnImport")]
    public async Task A415ShouldNameTheTypeTheEndpointTakes(string what, string sent, string takes)
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync(what == "import" ? "ledger-admin" : "demo-partner");
        var content = new StringContent("x", Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue(sent);
        using var response = await client.PostAsync(what == "import" ? "/v1/accounts/import" : account.Batches, content);
        var problem = await response.ProblemAsync(415, "unsupported-media-type");
        Assert.That((string?)problem["detail"], Does.Contain($"'{sent}").And.Contain("takes " + takes));
    }

    [TestCase("XYZ", "is not an ISO-4217 currency code this ledger knows", TestName = "AnUnknownCurrencyOfThreeLettersShouldBeCalledUnknown")]
    [TestCase("usd", "is not an ISO-4217 code (three upper-case letters", TestName = "ALowerCaseCurrencyShouldBeToldTheShape")]
    public async Task ACurrencyRefusalShouldSayWhatIsWrongWithIt(string currency, string says)
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        using var response = await client.PostAsync(account.Batches, new StringContent(Entry("1", currency), Encoding.UTF8, "application/json"));
        var problem = await response.ProblemAsync(400, "validation");
        Assert.That((string?)problem["detail"], Does.Contain($"'{currency}' {says}"));
        if (currency == "XYZ") Assert.That((string?)problem["detail"], Does.Not.Contain("upper-case"), "XYZ is three upper-case letters");
    }

    [TestCase("1e20", "Out of range", TestName = "AnAmountInExponentFormShouldBeOutOfRange")]
    [TestCase("99999999999999999999", "Out of range", TestName = "AnAmountPastLongMaxShouldBeOutOfRange")]
    [TestCase("1.5", "Out of range", TestName = "AFractionalAmountShouldBeOutOfRange")]
    [TestCase("\"5\"", "Wrong type", TestName = "AnAmountSentAsTextShouldBeTheWrongType")]
    public async Task ANumberThatDoesNotFitShouldBeOutOfRangeNotTheWrongType(string amount, string says)
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        using var response = await client.PostAsync(account.Batches, new StringContent(Entry(amount), Encoding.UTF8, "application/json"));
        var problem = await response.ProblemAsync(400, "malformed-json");
        Assert.That((string?)problem["detail"], Does.StartWith(says + " at $.entries[0].amount.value"));
    }

    [TestCase("1e20", "Out of range", TestName = "AnAccountNumberInExponentFormShouldBeOutOfRange")]
    [TestCase("\"5\"", "Wrong type", TestName = "AnAccountNumberSentAsTextShouldBeTheWrongType")]
    public async Task AnAccountNumberThatDoesNotFitShouldBeOutOfRangeNotTheWrongType(string account, string says)
    {
        using var admin = await Server.ClientAsync("ledger-admin");
        using var response = await admin.PostAsync("/v1/accounts", new StringContent($"{{\"branch\":1,\"account\":{account},\"currency\":\"USD\"}}", Encoding.UTF8, "application/json"));
        var problem = await response.ProblemAsync(400, "malformed-json");
        Assert.That((string?)problem["detail"], Does.StartWith(says + " at $.account"));
    }
}
