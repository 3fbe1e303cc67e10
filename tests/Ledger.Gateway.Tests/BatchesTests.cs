using System.Net;
using System.Text.Json.Nodes;

namespace Ledger.Gateway.Tests;

/// <summary>POST /v1/accounts/{branch}/{account}/batches: the five entry kinds, idempotency, declines, atomicity.</summary>
public sealed class BatchesTests
{
    private static GatewayServer Server => SharedGateway.Server;

    [Test]
    public async Task ShouldAnswer201WithEachEntryAndTheBalancesAfterTheBatch()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        using var response = await client.PostAsync(account.Batches, Batch(
            Entry("ledger", "dep-1", 100, 10_000, description: "Cash"),
            Entry("ledger", "pos-1", 998, 5_000, description: "POS purchase")));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        var body = await response.BodyAsync();
        var entries = body["entries"]!.AsArray();
        Assert.That(entries, Has.Count.EqualTo(2));
        var first = entries[0]!;
        Assert.That((string?)first["correlationId"], Is.EqualTo("dep-1"));
        Assert.That((int?)first["entryType"], Is.EqualTo(100));
        Assert.That((string?)first["status"], Is.EqualTo("POSTED"));
        Assert.That((long?)first["amount"]!["value"], Is.EqualTo(10_000));
        Assert.That((string?)first["amount"]!["currency"], Is.EqualTo("USD"));
        var timestamp = DateTime.Parse((string)first["timestamp"]!, null, System.Globalization.DateTimeStyles.RoundtripKind);
        Assert.That(timestamp.Kind, Is.EqualTo(DateTimeKind.Utc));
        Assert.That((string?)first["asOfDate"], Is.EqualTo(timestamp.ToString("yyyy-MM-dd")));
        Assert.That((long)entries[1]!["sequence"]!, Is.GreaterThan((long)first["sequence"]!));
        Assert.That(Balances(body["balances"]!), Is.EqualTo((5_000L, 0L)));
    }

    [Test]
    public async Task ShouldHoldThenReleasePartlyThenFullyAndShowTheHoldReleased()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        (await client.PostAsync(account.Batches, Deposit("d", 10_000))).EnsureSuccessStatusCode();

        using var hold = await client.PostAsync(account.Batches, Batch(Entry("blocking", "h", 998, 3_000)));
        var holdBody = await hold.BodyAsync();
        Assert.That((string?)holdBody["entries"]![0]!["status"], Is.EqualTo("PENDING"));
        Assert.That(Balances(holdBody["balances"]!), Is.EqualTo((7_000L, 3_000L)));

        using var part = await client.PostAsync(account.Batches, Batch(Entry("unblocking", "u1", amount: 1_000, currency: null, unblocks: "h")));
        var partBody = await part.BodyAsync();
        Assert.That((string?)partBody["entries"]![0]!["status"], Is.EqualTo("POSTED"));
        Assert.That((int?)partBody["entries"]![0]!["entryType"], Is.EqualTo(998), "an unblocking takes the hold's code");
        Assert.That(Balances(partBody["balances"]!), Is.EqualTo((8_000L, 2_000L)));

        using var rest = await client.PostAsync(account.Batches, Batch(Entry("unblocking", "u2", unblocks: "h")));
        Assert.That((long?)(await rest.BodyAsync())["entries"]![0]!["amount"]!["value"], Is.EqualTo(2_000), "default: all that remains held");

        var statement = await client.StatementAsync(account);
        Assert.That(statement.Select(e => (string)e!["status"]!), Is.EqualTo(new[] { "POSTED", "RELEASED", "POSTED", "POSTED" }));
        Assert.That((string?)statement[2]!["unblocks"], Is.EqualTo("h"));
        Assert.That(await client.BalancesAsync(account), Is.EqualTo((10_000L, 0L)));
    }

    [Test]
    public async Task ShouldReverseAPostedEntryWithItsCodeAndAmountAndShowReversedBy()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        (await client.PostAsync(account.Batches, Deposit("d", 10_000))).EnsureSuccessStatusCode();
        (await client.PostAsync(account.Batches, Batch(Entry("ledger", "buy", 998, 4_000)))).EnsureSuccessStatusCode();

        using var reversal = await client.PostAsync(account.Batches, Batch(Entry("reversal", "rev", reverses: "buy")));
        Assert.That(reversal.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        var entry = (await reversal.BodyAsync())["entries"]![0]!;
        Assert.That((int?)entry["entryType"], Is.EqualTo(998));
        Assert.That((long?)entry["amount"]!["value"], Is.EqualTo(4_000));
        Assert.That((string?)entry["status"], Is.EqualTo("POSTED"));

        var statement = await client.StatementAsync(account);
        Assert.That((string?)statement[1]!["status"], Is.EqualTo("POSTED"), "the original stays POSTED and immutable");
        Assert.That((string?)statement[1]!["reversedBy"], Is.EqualTo("rev"));
        Assert.That((string?)statement[2]!["reverses"], Is.EqualTo("buy"));
        Assert.That((string?)statement[2]!["entryKind"], Is.EqualTo("reversal"));
        Assert.That(await client.BalancesAsync(account), Is.EqualTo((10_000L, 0L)));

        using var twice = await client.PostAsync(account.Batches, Batch(Entry("reversal", "rev-2", reverses: "buy")));
        await twice.ProblemAsync(422, "already-reversed");
    }

    [Test]
    public async Task ShouldRemoveAHoldWithARemovalEntry()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        (await client.PostAsync(account.Batches, Deposit("d", 10_000))).EnsureSuccessStatusCode();
        (await client.PostAsync(account.Batches, Batch(Entry("blocking", "h", 998, 2_500)))).EnsureSuccessStatusCode();

        using var removal = await client.PostAsync(account.Batches, Batch(Entry("removal", "rm", removes: "h")));
        var body = await removal.BodyAsync();
        Assert.That((string?)body["entries"]![0]!["status"], Is.EqualTo("REMOVED"));
        Assert.That(Balances(body["balances"]!), Is.EqualTo((10_000L, 0L)));
        var statement = await client.StatementAsync(account);
        Assert.That((string?)statement[1]!["status"], Is.EqualTo("REMOVED"), "the removed hold reads REMOVED");
        Assert.That((string?)statement[2]!["removes"], Is.EqualTo("h"));
    }

    [Test]
    public async Task ShouldExpireAHoldWhenTheLedgerClockPassesExpiresAt()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        (await client.PostAsync(account.Batches, Deposit("d", 10_000))).EnsureSuccessStatusCode();
        string expiresAt = DateTime.UtcNow.AddMilliseconds(300).ToString("O");
        using var hold = await client.PostAsync(account.Batches, Batch(Entry("blocking", "h", 998, 1_000, expiresAt: expiresAt)));
        Assert.That(hold.StatusCode, Is.EqualTo(HttpStatusCode.Created), await hold.Content.ReadAsStringAsync());

        // The host ticks every second; wait (bounded) for the tick that lapses the hold.
        string status = "PENDING";
        for (int i = 0; i < 100 && status == "PENDING"; i++)
        {
            await Task.Delay(100);
            status = (string)(await client.StatementAsync(account))[1]!["status"]!;
        }
        Assert.That(status, Is.EqualTo("EXPIRED"));
        Assert.That(await client.BalancesAsync(account), Is.EqualTo((10_000L, 0L)));
    }

    [Test]
    public async Task ShouldReplayTheFirstAnswerExactlyAndChangeNothing()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        var request = Batch(Entry("ledger", "d", 100, 10_000, description: "Cash"));
        using var first = await client.PostAsync(account.Batches, request);
        (await client.PostAsync(account.Batches, Batch(Entry("ledger", "later", 998, 1_000)))).EnsureSuccessStatusCode();

        using var again = await client.PostAsync(account.Batches, Batch(Entry("ledger", "d", 100, 10_000, description: "Cash")));
        Assert.That(again.StatusCode, Is.EqualTo(first.StatusCode));
        Assert.That(await again.Content.ReadAsStringAsync(), Is.EqualTo(await first.Content.ReadAsStringAsync()),
            "same body, balances as they were after the first answer");
        Assert.That(await client.BalancesAsync(account), Is.EqualTo((9_000L, 0L)));
        Assert.That(await client.StatementAsync(account), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task ShouldReplayADeclineEvenAfterFundsArrive()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        using var declined = await client.PostAsync(account.Batches, Batch(Entry("ledger", "buy", 998, 5_000)));
        await declined.ProblemAsync(422, "insufficient-funds");
        string first = await declined.Content.ReadAsStringAsync();

        (await client.PostAsync(account.Batches, Deposit("d", 10_000))).EnsureSuccessStatusCode();
        using var retried = await client.PostAsync(account.Batches, Batch(Entry("ledger", "buy", 998, 5_000)));
        Assert.That((int)retried.StatusCode, Is.EqualTo(422));
        Assert.That(await retried.Content.ReadAsStringAsync(), Is.EqualTo(first), "the outcome of a correlationId is final");
        Assert.That(await client.BalancesAsync(account), Is.EqualTo((10_000L, 0L)), "a decline is not an entry");
    }

    [Test]
    public async Task ShouldAnswer409NamingTheFieldsThatDiffer()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        (await client.PostAsync(account.Batches, Batch(Entry("ledger", "d", 100, 10_000, description: "Cash")))).EnsureSuccessStatusCode();

        using var conflict = await client.PostAsync(account.Batches, Batch(Entry("ledger", "d", 100, 10_001, description: "Cheque")));
        var problem = await conflict.ProblemAsync(409, "idempotency-conflict");
        Assert.That(problem["conflictingFields"]!.AsArray().Select(f => (string)f!), Is.EqualTo(new[] { "amount.value", "description" }));
        Assert.That((string?)problem["detail"], Does.Contain("amount.value").And.Contain("description").And.Contain("'d'"));
        Assert.That((int?)problem["entryIndex"], Is.EqualTo(0));
        Assert.That((string?)problem["title"], Is.EqualTo("The id was used before with a different payload"));
        Assert.That(await client.BalancesAsync(account), Is.EqualTo((10_000L, 0L)));
    }

    [Test]
    public async Task ShouldAnswer422ForAnUnknownHistoryCode()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        using var response = await client.PostAsync(account.Batches, Batch(Entry("ledger", "x", 4242, 100)));
        var problem = await response.ProblemAsync(422, "unknown-history-code");
        Assert.That((string?)problem["title"], Is.EqualTo("The history code is not in the catalog"));
        Assert.That((string?)problem["detail"], Is.EqualTo("entries[0]: history code 4242 is not in the catalog."));
        Assert.That((int?)problem["entryIndex"], Is.EqualTo(0));
        Assert.That(problem["rule"], Is.Null);
    }

    [Test]
    public async Task ShouldAnswer422NamingTheRuleThatDeclined()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        (await client.PostAsync(account.Batches, Deposit("d", 5_000_000))).EnsureSuccessStatusCode();
        using var response = await client.PostAsync(account.Batches, Batch(Entry("ledger", "ok", 998, 100), Entry("ledger", "big", 998, 1_000_001)));
        var problem = await response.ProblemAsync(422, "rule-declined");
        Assert.That((string?)problem["title"], Is.EqualTo("A rule of the history code declined the entry"));
        Assert.That((string?)problem["rule"], Is.EqualTo("maxAmount"));
        Assert.That((int?)problem["entryIndex"], Is.EqualTo(1));
        Assert.That((string?)problem["detail"], Is.EqualTo("entries[1]: rule 'maxAmount' of history code 998 declined 1000001 USD."));
        Assert.That(await client.StatementAsync(account), Has.Count.EqualTo(1), "atomic: the first entry of the batch did not apply either");
    }

    [Test]
    public async Task ShouldAnswer422ForAKindTheCodeDoesNotAllow()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        using var response = await client.PostAsync(account.Batches, Batch(Entry("blocking", "h", 100, 100)));
        var problem = await response.ProblemAsync(422, "rule-declined");
        Assert.That((string?)problem["rule"], Is.EqualTo("allowedKinds"));
    }

    [Test]
    public async Task ShouldAnswer422ForInsufficientFunds()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        (await client.PostAsync(account.Batches, Deposit("d", 1_000))).EnsureSuccessStatusCode();
        using var response = await client.PostAsync(account.Batches, Batch(Entry("ledger", "buy", 998, 1_001)));
        var problem = await response.ProblemAsync(422, "insufficient-funds");
        Assert.That((string?)problem["title"], Is.EqualTo("Insufficient funds"));
        Assert.That((int?)problem["status"], Is.EqualTo(422));
        Assert.That((int?)problem["entryIndex"], Is.EqualTo(0));
        Assert.That((string?)problem["detail"], Is.EqualTo($"entries[0]: AVAILABLE on account {account.Branch}/{account.Number} does not cover this entry (1001 USD)."));
        Assert.That(await client.BalancesAsync(account), Is.EqualTo((1_000L, 0L)));
    }

    [Test]
    public async Task ShouldLetAFeeOverdrawWithinTheOverdraftLimitOnly()
    {
        var account = await Server.OpenAccountAsync(overdraftLimit: 500);
        using var client = await Server.ClientAsync();
        (await client.PostAsync(account.Batches, Batch(Entry("ledger", "fee", 700, 500)))).EnsureSuccessStatusCode();
        Assert.That(await client.BalancesAsync(account), Is.EqualTo((-500L, 0L)));
        using var over = await client.PostAsync(account.Batches, Batch(Entry("ledger", "fee-2", 700, 1)));
        await over.ProblemAsync(422, "insufficient-funds");
    }

    [Test]
    public async Task ShouldAnswer422ForACurrencyOtherThanTheAccounts()
    {
        var account = await Server.OpenAccountAsync("EUR");
        using var client = await Server.ClientAsync();
        using var response = await client.PostAsync(account.Batches, Deposit("d", 100, "USD"));
        var problem = await response.ProblemAsync(422, "currency-mismatch");
        Assert.That((string?)problem["detail"], Does.Contain("USD"));
    }

    [Test]
    public async Task ShouldAnswer404ForAnAccountThatDoesNotExist()
    {
        using var client = await Server.ClientAsync();
        using var response = await client.PostAsync("/v1/accounts/9/999999999/batches", Deposit("d", 100));
        await response.ProblemAsync(404, "account-not-found");
    }

    [Test]
    public async Task ShouldNotRememberARefusalBeforeTheLedger()
    {
        using var client = await Server.ClientAsync();
        var account = new TestAccount(7, 777_000 + Random.Shared.Next(100_000));
        using var missing = await client.PostAsync(account.Batches, Deposit("d", 100));
        await missing.ProblemAsync(404, "account-not-found");

        using var admin = await Server.ClientAsync("ledger-admin");
        (await admin.PostAsync("/v1/accounts", Json($"{{\"branch\":7,\"account\":{account.Number},\"currency\":\"USD\"}}"))).EnsureSuccessStatusCode();
        using var now = await client.PostAsync(account.Batches, Deposit("d", 100));
        Assert.That(now.StatusCode, Is.EqualTo(HttpStatusCode.Created), "a 404 is not remembered: the same correlationId applies once the account exists");
    }

    [TestCase("not json", "malformed-json", TestName = "ShouldRefuseABodyThatIsNotJson")]
    [TestCase("null", "malformed-json", TestName = "ShouldRefuseJsonNull")]
    [TestCase("{\"entries\":[{\"entryKind\":\"ledger\",\"correlationId\":\"a\",\"entryType\":\"100\",\"amount\":{\"value\":1,\"currency\":\"USD\"}}]}", "malformed-json", TestName = "ShouldRefuseANumberSentAsText")]
    [TestCase("{\"entries\":[{\"entryKind\":\"ledger\",\"correlationId\":\"a\",\"entryType\":100,\"amount\":{\"value\":1.5,\"currency\":\"USD\"}}]}", "malformed-json", TestName = "ShouldRefuseAFractionalAmount")]
    [TestCase("{\"entries\":[{\"entryKind\":\"ledger\",\"correlationId\":\"a\",\"entryType\":100,\"amount\":{\"value\":1,\"currency\":\"USD\"},\"colour\":1}]}", "malformed-json", TestName = "ShouldRefuseAnUnknownMember")]
    [TestCase("{\"entries\":[{\"entryKind\":\"ledger\",\"entryKind\":\"ledger\",\"correlationId\":\"a\",\"entryType\":100,\"amount\":{\"value\":1,\"currency\":\"USD\"}}]}", "malformed-json", TestName = "ShouldRefuseADuplicateMember")]
    [TestCase("[]", "malformed-json", TestName = "ShouldRefuseAnArrayBody")]
    [TestCase("{\"entries\":{}}", "malformed-json", TestName = "ShouldRefuseEntriesThatAreNotAList")]
    [TestCase("{\"entries\":[{\"entryKind\":\"ledger\",\"correlationId\":\"a\",\"entryType\":100,\"amount\":{\"value\":1,\"currency\":\"USD\",\"units\":2}}]}", "malformed-json", TestName = "ShouldRefuseAnUnknownMemberOfAmount")]
    [TestCase("{\"entries\":[{\"entryKind\":\"ledger\",\"correlationId\":\"a\",\"entryType\":100,\"amount\":{\"value\":1,\"currency\":\"USD\"}}]} trailing", "malformed-json", TestName = "ShouldRefuseContentAfterTheObject")]
    [TestCase("{\"entries\":[{\"entryKind\":\"ledger\",\"correlationId\":\"a\",\"entryType\":100,\"amount\":{\"value\":1,\"currency\":\"USD\"}}]", "malformed-json", TestName = "ShouldRefuseATruncatedBody")]
    [TestCase("{\"entries\":[{\"entryKind\":\"ledger\",\"correlationId\":\"a\",\"entryType\":100,\"amount\":{\"value\":9223372036854775808,\"currency\":\"USD\"}}]}", "malformed-json", TestName = "ShouldRefuseAnAmountBeyondLong")]
    [TestCase("{\"entries\":[{\"entryKind\":\"ledger\",\"correlationId\":\"a\",\"entryType\":100,\"amount\":{\"value\":1,\"currency\":\"USD\"},\"description\":7}]}", "malformed-json", TestName = "ShouldRefuseADescriptionThatIsNotText")]
    [TestCase("{}", "validation", TestName = "ShouldRefuseMissingEntries")]
    [TestCase("{\"entries\":[]}", "validation", TestName = "ShouldRefuseAnEmptyBatch")]
    [TestCase("{\"entries\":[null]}", "validation", TestName = "ShouldRefuseANullEntry")]
    [TestCase("{\"entries\":[{\"correlationId\":\"a\",\"entryType\":100,\"amount\":{\"value\":1,\"currency\":\"USD\"}}]}", "validation", TestName = "ShouldRefuseAMissingEntryKind")]
    [TestCase("{\"entries\":[{\"entryKind\":\"posting\",\"correlationId\":\"a\",\"entryType\":100,\"amount\":{\"value\":1,\"currency\":\"USD\"}}]}", "validation", TestName = "ShouldRefuseAnUnknownEntryKind")]
    [TestCase("{\"entries\":[{\"entryKind\":\"ledger\",\"entryType\":100,\"amount\":{\"value\":1,\"currency\":\"USD\"}}]}", "validation", TestName = "ShouldRefuseAMissingCorrelationId")]
    [TestCase("{\"entries\":[{\"entryKind\":\"ledger\",\"correlationId\":\"a b\",\"entryType\":100,\"amount\":{\"value\":1,\"currency\":\"USD\"}}]}", "validation", TestName = "ShouldRefuseACorrelationIdWithASpace")]
    [TestCase("{\"entries\":[{\"entryKind\":\"ledger\",\"correlationId\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"entryType\":100,\"amount\":{\"value\":1,\"currency\":\"USD\"}}]}", "validation", TestName = "ShouldRefuseACorrelationIdOf65Characters")]
    [TestCase("{\"entries\":[{\"entryKind\":\"ledger\",\"correlationId\":\"a\",\"amount\":{\"value\":1,\"currency\":\"USD\"}}]}", "validation", TestName = "ShouldRefuseALedgerEntryWithoutEntryType")]
    [TestCase("{\"entries\":[{\"entryKind\":\"ledger\",\"correlationId\":\"a\",\"entryType\":100}]}", "validation", TestName = "ShouldRefuseALedgerEntryWithoutAmount")]
    [TestCase("{\"entries\":[{\"entryKind\":\"ledger\",\"correlationId\":\"a\",\"entryType\":100,\"amount\":{\"value\":0,\"currency\":\"USD\"}}]}", "validation", TestName = "ShouldRefuseAZeroAmount")]
    [TestCase("{\"entries\":[{\"entryKind\":\"ledger\",\"correlationId\":\"a\",\"entryType\":100,\"amount\":{\"value\":-5,\"currency\":\"USD\"}}]}", "validation", TestName = "ShouldRefuseANegativeAmount")]
    [TestCase("{\"entries\":[{\"entryKind\":\"ledger\",\"correlationId\":\"a\",\"entryType\":100,\"amount\":{\"value\":1,\"currency\":\"usd\"}}]}", "validation", TestName = "ShouldRefuseALowerCaseCurrency")]
    [TestCase("{\"entries\":[{\"entryKind\":\"ledger\",\"correlationId\":\"a\",\"entryType\":100,\"amount\":{\"value\":1,\"currency\":\"XYZ\"}}]}", "validation", TestName = "ShouldRefuseAnUnknownCurrency")]
    [TestCase("{\"entries\":[{\"entryKind\":\"ledger\",\"correlationId\":\"a\",\"entryType\":100,\"amount\":{\"value\":1,\"currency\":\"USD\",\"scale\":3}}]}", "validation", TestName = "ShouldRefuseAScaleOtherThanTheCurrencys")]
    [TestCase("{\"entries\":[{\"entryKind\":\"ledger\",\"correlationId\":\"a\",\"entryType\":100,\"amount\":{\"currency\":\"USD\"}}]}", "validation", TestName = "ShouldRefuseAnAmountWithoutValue")]
    [TestCase("{\"entries\":[{\"entryKind\":\"reversal\",\"correlationId\":\"a\"}]}", "validation", TestName = "ShouldRefuseAReversalWithoutReverses")]
    [TestCase("{\"entries\":[{\"entryKind\":\"reversal\",\"correlationId\":\"a\",\"reverses\":\"b\",\"expiresAt\":\"2030-01-01T00:00:00Z\"}]}", "validation", TestName = "ShouldRefuseExpiresAtOnAReversal")]
    [TestCase("{\"entries\":[{\"entryKind\":\"removal\",\"correlationId\":\"a\",\"removes\":\"b\",\"amount\":{\"value\":0,\"currency\":\"USD\"}}]}", "validation", TestName = "ShouldRefuseAZeroAmountOnARemoval")]
    [TestCase("{\"entries\":[{\"entryKind\":\"reversal\",\"correlationId\":\"a\",\"reverses\":\"b\",\"amount\":{}}]}", "validation", TestName = "ShouldRefuseAnEmptyAmountOnAReversal")]
    [TestCase("{\"entries\":[{\"entryKind\":\"unblocking\",\"correlationId\":\"a\"}]}", "validation", TestName = "ShouldRefuseAnUnblockingWithoutUnblocks")]
    [TestCase("{\"entries\":[{\"entryKind\":\"ledger\",\"correlationId\":\"a\",\"entryType\":100,\"amount\":{\"value\":1,\"currency\":\"USD\"},\"expiresAt\":\"2030-01-01T00:00:00Z\"}]}", "validation", TestName = "ShouldRefuseExpiresAtOnALedgerEntry")]
    [TestCase("{\"entries\":[{\"entryKind\":\"blocking\",\"correlationId\":\"a\",\"entryType\":998,\"amount\":{\"value\":1,\"currency\":\"USD\"},\"expiresAt\":\"tomorrow\"}]}", "validation", TestName = "ShouldRefuseAnExpiresAtThatIsNotAnInstant")]
    [TestCase("{\"entries\":[{\"entryKind\":\"ledger\",\"correlationId\":\"a\",\"entryType\":100,\"amount\":{\"value\":1,\"currency\":\"USD\"}},{\"entryKind\":\"ledger\",\"correlationId\":\"a\",\"entryType\":100,\"amount\":{\"value\":1,\"currency\":\"USD\"}}]}", "validation", TestName = "ShouldRefuseTheSameCorrelationIdTwiceInABatch")]
    public async Task ShouldRefuseMalformedInputWith400AndChangeNothing(string body, string reason)
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        using var response = await client.PostAsync(account.Batches, Json(body));
        await response.ProblemAsync(400, reason);
        Assert.That(await client.StatementAsync(account), Is.Empty);
        using var later = await client.PostAsync(account.Batches, Deposit("a", 1));
        Assert.That(later.StatusCode, Is.EqualTo(HttpStatusCode.Created), "a 400 is not remembered");
    }

    [Test]
    public async Task ShouldRefuseDescriptionsLongerThan256Characters()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        using var response = await client.PostAsync(account.Batches, Batch(Entry("ledger", "a", 100, 1, description: new string('x', 257))));
        var problem = await response.ProblemAsync(400, "validation");
        Assert.That((string?)problem["detail"], Does.StartWith("entries[0].description"));
    }

    [Test]
    public async Task ShouldRefuseMoreThan1000EntriesInABatch()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        var entries = Enumerable.Range(0, 1_001).Select(i => Entry("ledger", "e" + i, 100, 1)).ToArray();
        using var response = await client.PostAsync(account.Batches, Batch(entries));
        await response.ProblemAsync(400, "validation");
    }

    [Test]
    public async Task ShouldAccept1000EntriesInABatch()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        var entries = Enumerable.Range(0, 1_000).Select(i => Entry("ledger", "e" + i, 100, 1)).ToArray();
        using var response = await client.PostAsync(account.Batches, Batch(entries));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        Assert.That(await client.BalancesAsync(account), Is.EqualTo((1_000L, 0L)));
    }

    [Test]
    public async Task ShouldRefuseABodyOverOneMebibyteWith413()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        // The gateway answers 413 once it has read 1 MiB and then closes the connection with the rest unread, so the
        // client, still sending, may see the reset before the answer (HTTP/1.1 has no way round that race; the declared-
        // length case in HostileInputTests has none). Sent again on such a reset: one of the tries must read the Problem.
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                using var response = await client.PostAsync(account.Batches, Json("{\"entries\":[{\"description\":\"" + new string('x', 1_100_000) + "\"}]}"));
                await response.ProblemAsync(413, "payload-too-large");
                break;
            }
            catch (HttpRequestException) when (attempt < 5)
            {
            }
        }
        Assert.That(await client.BalancesAsync(account), Is.EqualTo((0L, 0L)));
    }

    [Test]
    public async Task ShouldRefuseAContentTypeOtherThanJsonWith415()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        using var response = await client.PostAsync(account.Batches, new StringContent("entries=1", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"));
        await response.ProblemAsync(415, "unsupported-media-type");
    }

    [TestCase("/v1/accounts/abc/1/batches", 400, "validation", TestName = "ShouldRefuseABranchThatIsNotANumber")]
    [TestCase("/v1/accounts/10000/1/batches", 400, "validation", TestName = "ShouldRefuseABranchAbove9999")]
    [TestCase("/v1/accounts/1/1000000000000/batches", 400, "validation", TestName = "ShouldRefuseAnAccountAbove999999999999")]
    [TestCase("/v1/accounts/1/-1/batches", 400, "validation", TestName = "ShouldRefuseANegativeAccount")]
    [TestCase("/v1/accounts/1/1/batch", 404, "not-found", TestName = "ShouldAnswer404ForAnUnknownPath")]
    public async Task ShouldRefuseBadPaths(string path, int status, string reason)
    {
        using var client = await Server.ClientAsync();
        using var response = await client.PostAsync(path, Deposit("a", 1));
        await response.ProblemAsync(status, reason);
    }

    [Test]
    public async Task ShouldAnswer405ForAMethodTheResourceDoesNotTake()
    {
        using var client = await Server.ClientAsync();
        using var response = await client.PutAsync("/v1/accounts/1/1/batches", Deposit("a", 1));
        await response.ProblemAsync(405, "method-not-allowed");
    }
}
