// The README walkthrough, driven by the C# client Kiota generated from the service's own OpenAPI document: no raw
// URL, no cast, no hand-written type of the API. The token URL comes from the document's OAuth2 scheme (the token
// endpoint is OAuth2's, not the API's). Usage: dotnet run -- <base URL> <openapi.json>; exits 1 naming the first
// step that went wrong.
using System.Text.Json;
using System.Text.Json.Nodes;
using Ledger.KiotaClient;
using Ledger.KiotaClient.Models;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary;

string baseUrl = args[0], documentPath = args[1];
var document = JsonNode.Parse(File.ReadAllText(documentPath))!;
var tokenUrl = new Uri(new Uri(baseUrl), document["components"]!["securitySchemes"]!["oauth2"]!["flows"]!["clientCredentials"]!["tokenUrl"]!.GetValue<string>());
using var http = new HttpClient();

async Task<LedgerApiClient> ClientOf(string clientId, string clientSecret)
{
    using var form = new FormUrlEncodedContent(new Dictionary<string, string>
    {
        ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = clientSecret,
    });
    using var response = await http.PostAsync(tokenUrl, form);
    Check(response.IsSuccessStatusCode, $"token for {clientId}: {(int)response.StatusCode}");
    using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    var tokens = new StaticTokenProvider(body.RootElement.GetProperty("access_token").GetString()!);
    return new LedgerApiClient(new HttpClientRequestAdapter(new BaseBearerTokenAuthenticationProvider(tokens)) { BaseUrl = baseUrl });
}

var admin = await ClientOf("ledger-admin", "admin-secret");
var partner = await ClientOf("demo-partner", "demo-secret");
const int branch = 1;
long account = 1_000_000_000 + DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() % 800_000_000;
var accountApi = partner.V1.Accounts[branch][account];
AmountBody Usd(long value) => new() { Value = value, Currency = "USD" };

var opened = await admin.V1.Accounts.PostAsync(new OpenAccountRequest { Branch = branch, Account = account, Currency = "USD" });
Check(opened?.Currency == "USD", "open the account");

async Task<EntryBatchGroupResponse> Post(params EntryRequestBody[] entries) =>
    await accountApi.Batches.PostAsync(new EntryBatchRequest { Entries = [.. entries] })
    ?? throw new InvalidOperationException("a 201 without a body");

var deposit = await Post(new EntryRequestBody { EntryKind = EntryRequestBody_entryKind.Ledger, CorrelationId = "dep-1", EntryType = 100, Description = "Cash deposit", Amount = Usd(50_000) });
Check(deposit.Entries![0].Direction == DirectionName.CREDIT, "a deposit credits");
var purchase = await Post(new EntryRequestBody { EntryKind = EntryRequestBody_entryKind.Ledger, CorrelationId = "pos-1", EntryType = 998, Description = "POS purchase", Amount = Usd(5_000) });
Check(purchase.Entries![0].Direction == DirectionName.DEBIT, "a purchase debits");
var hold = await Post(new EntryRequestBody { EntryKind = EntryRequestBody_entryKind.Blocking, CorrelationId = "hold-1", EntryType = 998, Amount = Usd(20_000) });
Check(hold.Entries![0].Status == EntryStatusName.PENDING, "a hold is PENDING");
await Post(new EntryRequestBody { EntryKind = EntryRequestBody_entryKind.Unblocking, CorrelationId = "rel-1", Unblocks = "hold-1", Amount = Usd(5_000) });
await Post(new EntryRequestBody { EntryKind = EntryRequestBody_entryKind.Blocking, CorrelationId = "hold-2", EntryType = 998, Amount = Usd(1_000) });
await accountApi.Entries.DeleteAsync(c => c.QueryParameters.CorrelationId = "hold-2");
await Post(new EntryRequestBody { EntryKind = EntryRequestBody_entryKind.Reversal, CorrelationId = "rev-1", Reverses = "pos-1" });

long? Balance(AccountBalancesResponse? balances, BalanceTypeName type) => balances?.Balances?.Single(b => b.Type == type).Value;
var now = await accountApi.Balances.GetAsync();
Check(Balance(now, BalanceTypeName.AVAILABLE) == 35_000 && Balance(now, BalanceTypeName.HELD) == 15_000, "balances now");
var purchasedAt = purchase.Entries[0].Timestamp!.Value;
var then = await accountApi.Balances.GetAsync(c => c.QueryParameters.At = purchasedAt.ToString("O"));
Check(Balance(then, BalanceTypeName.AVAILABLE) == 45_000 && Balance(then, BalanceTypeName.HELD) == 0, "balances ?at= the purchase");

var ids = new List<string>();
string? cursor = null;
for (int pages = 0; pages < 20; pages++)
{
    var page = await partner.V1.Entries.GetAsync(c =>
    {
        c.QueryParameters.Branch = branch;
        c.QueryParameters.Account = account;
        c.QueryParameters.Limit = 2;
        c.QueryParameters.Cursor = cursor;
    });
    ids.AddRange(page!.Entries!.Select(e => e.CorrelationId!));
    cursor = page.NextCursor;
    if (cursor is null) break;
}
Check(ids.SequenceEqual(["dep-1", "pos-1", "hold-1", "rel-1", "hold-2", "rev-1"]), $"statement v1 paged to the end: {string.Join(",", ids)}");

var removed = await partner.V2.Entries.GetAsync(c =>
{
    c.QueryParameters.Branch = branch;
    c.QueryParameters.Account = account;
    c.QueryParameters.StatusAsGetStatusQueryParameterType = Ledger.KiotaClient.V2.Entries.GetStatusQueryParameterType.REMOVED;
});
Check(removed!.Entries!.Select(e => e.CorrelationId).SequenceEqual(["hold-2"]), "v2 status=REMOVED");
var reversals = await partner.V2.Entries.GetAsync(c =>
{
    c.QueryParameters.Branch = branch;
    c.QueryParameters.Account = account;
    c.QueryParameters.EntryKindAsGetEntryKindQueryParameterType = Ledger.KiotaClient.V2.Entries.GetEntryKindQueryParameterType.Reversal;
});
var reversal = reversals!.Entries!.Single();
Check(reversal.CorrelationId == "rev-1" && reversal.Reverses == "pos-1" && reversal.Direction == DirectionName.CREDIT, "v2 entryKind=reversal");

try
{
    await Post(new EntryRequestBody { EntryKind = EntryRequestBody_entryKind.Ledger, CorrelationId = "dep-1", EntryType = 100, Description = "Cash deposit", Amount = Usd(60_000) });
    Check(false, "a changed payload under dep-1 is a 409");
}
catch (ProblemResponse problem)
{
    Check(problem.ResponseStatusCode == 409 && problem.Type!.EndsWith("/idempotency-conflict", StringComparison.Ordinal)
          && problem.ConflictingFields!.SequenceEqual(["amount.value"]), $"409 idempotency-conflict: {problem.Type} {problem.Detail}");
}
try
{
    await Post(new EntryRequestBody { EntryKind = EntryRequestBody_entryKind.Ledger, CorrelationId = "pos-2", EntryType = 998, Amount = Usd(900_000) });
    Check(false, "an overdraft is a 422");
}
catch (ProblemResponse problem)
{
    Check(problem.ResponseStatusCode == 422 && problem.Type!.EndsWith("/insufficient-funds", StringComparison.Ordinal) && problem.EntryIndex == 0,
        $"422 insufficient-funds: {problem.Type} {problem.Detail}");
}

Console.WriteLine($"kiota walkthrough: ok (account {branch}/{account}, {ids.Count} entries paged, balances {Balance(now, BalanceTypeName.AVAILABLE)}/{Balance(now, BalanceTypeName.HELD)})");
return 0;

static void Check(bool ok, string step)
{
    if (ok) return;
    Console.Error.WriteLine($"kiota walkthrough: FAILED at {step}");
    Environment.Exit(1);
}

/// <summary>Kiota's hook for a bearer token: this one hands out the token obtained at start.</summary>
internal sealed class StaticTokenProvider(string token) : IAccessTokenProvider
{
    public AllowedHostsValidator AllowedHostsValidator { get; } = new();

    public Task<string> GetAuthorizationTokenAsync(Uri uri, Dictionary<string, object>? additionalAuthenticationContext = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(token);
}
