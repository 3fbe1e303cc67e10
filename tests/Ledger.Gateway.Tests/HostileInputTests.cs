using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Ledger.Gateway.Tests;

/// <summary>
/// Hostile input the malformed-input campaign does not make (issue 17, item 4): a 10 MB body, nesting far past any
/// depth, duplicate keys, numbers past long.MaxValue, sums that overflow, and garbage in every query parameter of the
/// read endpoints. Each is a 4xx Problem (or an ordinary read), never a 5xx, and the account is unchanged.
/// </summary>
public sealed class HostileInputTests
{
    private static GatewayServer Server => SharedGateway.Server;

    private const string AmountPastLongMax = "9223372036854775808";

    public static IEnumerable<TestCaseData> Bodies()
    {
        string entry(string amount, string id = "x") =>
            $"{{\"entryKind\":\"ledger\",\"correlationId\":\"{id}\",\"entryType\":100,\"amount\":{{\"value\":{amount},\"currency\":\"USD\"}}}}";
        yield return new TestCaseData(new string('[', 200_000), 400).SetName("ShouldRefuseNestingFarPastAnyDepth");
        yield return new TestCaseData($"{{\"entries\":[{entry("1")}],\"entries\":[{entry("999999")}]}}", 400).SetName("ShouldRefuseADuplicateEntriesKey");
        yield return new TestCaseData($"{{\"entries\":[{{\"entryKind\":\"ledger\",\"correlationId\":\"x\",\"entryType\":100,\"amount\":{{\"value\":1,\"currency\":\"USD\"}},\"amount\":{{\"value\":999999,\"currency\":\"USD\"}}}}]}}", 400)
            .SetName("ShouldRefuseADuplicateAmountKey");
        yield return new TestCaseData($"{{\"entries\":[{entry(AmountPastLongMax)}]}}", 400).SetName("ShouldRefuseAnAmountPastLongMax");
        yield return new TestCaseData($"{{\"entries\":[{entry("1e30")}]}}", 400).SetName("ShouldRefuseAnAmountInExponentForm");
        yield return new TestCaseData($"{{\"entries\":[{entry("4611686018427387903", "a")},{entry("4611686018427387903", "b")}]}}", 422).SetName("ShouldDeclineASumThatOverflows");
    }

    [TestCaseSource(nameof(Bodies))]
    public async Task ShouldAnswerHostileBodiesWithA4xxAndChangeNothing(string body, int status)
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        (await client.PostAsync(account.Batches, Deposit("funds", 1_000))).EnsureSuccessStatusCode();
        using var response = await client.PostAsync(account.Batches, new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.That((int)response.StatusCode, Is.EqualTo(status), await response.Content.ReadAsStringAsync());
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(await client.BalancesAsync(account), Is.EqualTo((1_000L, 0L)), "nothing changed");
    }

    /// <summary>The same hostile shapes in the other JSON readers: bundles (legs of two accounts, {A} and {B}) and account openings.</summary>
    public static IEnumerable<TestCaseData> OtherBodies()
    {
        static string entry(string amount, string id) =>
            $"{{\"entryKind\":\"ledger\",\"correlationId\":\"{id}\",\"entryType\":100,\"amount\":{{\"value\":{amount},\"currency\":\"USD\"}}}}";
        static string leg(string account, params string[] entries) => $"{{\"branch\":1,\"account\":{account},\"entries\":[{string.Join(",", entries)}]}}";
        const string bundles = "/v1/transaction-bundles", accounts = "/v1/accounts";
        yield return new TestCaseData(bundles, new string('{', 100_000), 400).SetName("ShouldRefuseABundleNestedFarPastAnyDepth");
        yield return new TestCaseData(bundles, $"{{\"bundleId\":\"h1\",\"legs\":[{leg("{A}", entry("1", "a"))}],\"legs\":[{leg("{B}", entry("999", "b"))}]}}", 400).SetName("ShouldRefuseADuplicateLegsKey");
        yield return new TestCaseData(bundles, $"{{\"bundleId\":\"h2\",\"bundleId\":\"h3\",\"legs\":[{leg("{A}", entry("1", "a"))},{leg("{B}", entry("1", "b"))}]}}", 400).SetName("ShouldRefuseADuplicateBundleIdKey");
        yield return new TestCaseData(bundles, $"{{\"bundleId\":\"h4\",\"legs\":[{leg("{A}", entry(AmountPastLongMax, "a"))},{leg("{B}", entry("1", "b"))}]}}", 400).SetName("ShouldRefuseABundleAmountPastLongMax");
        yield return new TestCaseData(bundles, $"{{\"bundleId\":\"h5\",\"legs\":[{leg("{A}", entry("1", "a"))},{leg("{B}", entry("4611686018427387903", "b"), entry("4611686018427387903", "c"))}]}}", 422).SetName("ShouldDeclineABundleLegWhoseSumOverflows");
        yield return new TestCaseData(accounts, new string('[', 100_000), 400).SetName("ShouldRefuseAnOpeningNestedFarPastAnyDepth");
        yield return new TestCaseData(accounts, "{\"branch\":1,\"account\":{N},\"account\":{N},\"currency\":\"USD\"}", 400).SetName("ShouldRefuseADuplicateAccountKey");
        yield return new TestCaseData(accounts, "{\"branch\":1,\"account\":{N},\"currency\":\"USD\",\"overdraftLimit\":" + AmountPastLongMax + "}", 400).SetName("ShouldRefuseAnOverdraftPastLongMax");
        yield return new TestCaseData(accounts, "{\"branch\":1,\"account\":" + AmountPastLongMax + ",\"currency\":\"USD\"}", 400).SetName("ShouldRefuseAnAccountNumberPastLongMax");
    }

    [TestCaseSource(nameof(OtherBodies))]
    public async Task ShouldAnswerHostileBundlesAndOpeningsWithA4xxAndChangeNothing(string path, string body, int status)
    {
        var a = await Server.OpenAccountAsync();
        var b = await Server.OpenAccountAsync();
        long unopened = b.Number + 1_000_000;
        using var partner = await Server.ClientAsync();
        using var admin = await Server.ClientAsync("ledger-admin");
        (await partner.PostAsync(a.Batches, Deposit("funds", 1_000))).EnsureSuccessStatusCode();
        string json = body.Replace("{A}", a.Number.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{B}", b.Number.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{N}", unopened.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        using var response = await (path == "/v1/accounts" ? admin : partner).PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.That((int)response.StatusCode, Is.EqualTo(status), await response.Content.ReadAsStringAsync());
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(await partner.BalancesAsync(a), Is.EqualTo((1_000L, 0L)), "nothing changed");
        Assert.That(await partner.BalancesAsync(b), Is.EqualTo((0L, 0L)), "nothing changed");
        using var notOpened = await admin.GetAsync($"/v1/accounts/1/{unopened}");
        Assert.That(notOpened.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "no account was opened");
    }

    [TestCase("duplicate", TestName = "ShouldRefuseACatalogWithADuplicateHistoryCodesKey")]
    [TestCase("duplicate-in-code", TestName = "ShouldRefuseACatalogWithADuplicateKeyInACode")]
    [TestCase("nesting", TestName = "ShouldRefuseACatalogNestedFarPastAnyDepth")]
    [TestCase("huge-code", TestName = "ShouldRefuseACatalogWithACodePastIntMax")]
    public async Task ShouldRefuseAHostileCatalogAndKeepTheOneInForce(string kind)
    {
        // PUT /v1/history-codes reads the catalog file's format with its own reader (HistoryCatalogFile): a key given
        // twice was "the last one wins", so a catalog that said two things was promoted as the second.
        using var admin = await Server.ClientAsync("ledger-admin");
        int versionBefore = (int)(await (await admin.GetAsync("/v1/history-codes")).BodyAsync())["version"]!;
        string valid = Ledger.Engine.Catalog.HistoryCatalogFile.ToJson(Ledger.Testing.Catalogs.WithRules());
        int firstCode = valid.IndexOf("\"code\":", StringComparison.Ordinal);
        Assert.That((valid[0], firstCode), Is.Not.EqualTo(('{', -1)));
        string body = kind switch
        {
            "duplicate" => "{\"historyCodes\":[]," + valid[1..],
            "duplicate-in-code" => valid[..firstCode] + "\"direction\":\"debit\"," + valid[firstCode..], // each code states its direction too
            "nesting" => new string('[', 100_000),
            _ => valid[..firstCode] + "\"code\":99999999999," + valid[(valid.IndexOf(',', firstCode) + 1)..],
        };
        using var response = await admin.PutAsync("/v1/history-codes", new StringContent(body, Encoding.UTF8, "application/json"));
        string text = await response.Content.ReadAsStringAsync();
        Assert.That((int)response.StatusCode, Is.InRange(400, 499), text);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"), text);
        Assert.That((int)(await (await admin.GetAsync("/v1/history-codes")).BodyAsync())["version"]!, Is.EqualTo(versionBefore), "the catalog in force stays");
    }

    [Test]
    public async Task ShouldRefuseATenMegabyteBodyWith413()
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        string body = "{\"entries\":[{\"entryKind\":\"ledger\",\"correlationId\":\"x\",\"entryType\":100,\"description\":\"" + new string('a', 10 << 20) +
                      "\",\"amount\":{\"value\":1,\"currency\":\"USD\"}}]}";
        HttpResponseMessage? response = null;
        try
        {
            response = await client.PostAsync(account.Batches, new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.That((int)response.StatusCode, Is.EqualTo(413), await response.Content.ReadAsStringAsync());
        }
        catch (HttpRequestException)
        {
            // Kestrel may answer 413 and close the connection before the client finished sending: also a refusal
        }
        finally
        {
            response?.Dispose();
        }
        Assert.That(await client.BalancesAsync(account), Is.EqualTo((0L, 0L)));
    }

    [TestCase("branch", "x")]
    [TestCase("account", "-1")]
    [TestCase("from", "yesterday")]
    [TestCase("to", "2026-13-45")]
    [TestCase("limit", "-5")]
    [TestCase("limit", "99999999999999999999")]
    [TestCase("cursor", "%00%ff")]
    [TestCase("correlationId", "")]
    [TestCase("entryKind", "teleport")]
    [TestCase("entryType", "1e3")]
    [TestCase("status", "MAYBE")]
    [TestCase("minAmount", AmountPastLongMax)]
    [TestCase("maxAmount", "NaN")]
    public async Task ShouldAnswerGarbageInAStatementParameterWith400(string name, string value)
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        foreach (string path in new[] { account.Statement, account.StatementV2 })
        {
            string query = name is "branch" or "account" ? path.Replace($"{name}=", $"{name}={Uri.EscapeDataString(value)}&ignored=", StringComparison.Ordinal) : $"{path}&{name}={value}";
            using var response = await client.GetAsync(query);
            Assert.That((int)response.StatusCode, Is.InRange(400, 499), $"{query}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    [TestCase("yesterday")]
    [TestCase("99999-01-01T00:00:00Z")]
    [TestCase("")]
    public async Task ShouldAnswerGarbageInAtWith400(string at)
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        using var response = await client.GetAsync($"{account.Balances}?at={Uri.EscapeDataString(at)}");
        Assert.That((int)response.StatusCode, Is.InRange(400, 499), await response.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task ShouldRefuseADeclaredTenMegabyteBodyWith413BeforeReadingIt()
    {
        // The body is declared (Content-Length: 10 MiB) but only 1 KiB of it is sent: the 413 Problem must come without
        // the rest, so the gateway reads no more than its limit (1 MiB) of a body, let alone buffers the whole of it.
        var account = await Server.OpenAccountAsync();
        string text = await SendPartOfABodyAsync("demo-partner", account.Batches, "application/json", 10 << 20, "{\"entries\":[" + new string(' ', 1024));
        Assert.That(text, Does.StartWith("HTTP/1.1 413 "), text);
        Assert.That(text, Does.Contain("Content-Type: application/problem+json"), text);
        using var client = await Server.ClientAsync();
        Assert.That(await client.BalancesAsync(account), Is.EqualTo((0L, 0L)));
    }

    [Test]
    public async Task ShouldRefuseAnImportLineLongerThanALineMayBeBeforeTheRestOfItArrives()
    {
        // The import takes bodies up to 1 GiB, a line at most 1 KiB: a body without a line end must be refused once its
        // first line is past 1 KiB, not buffered up to the body's limit (it was, waiting for a line end).
        string text = await SendPartOfABodyAsync("ledger-admin", "/v1/accounts/import", "application/x-ndjson", 100 << 20, new string('a', 64 * 1024));
        Assert.That(text, Does.StartWith("HTTP/1.1 400 "), text);
        Assert.That(text, Does.Contain("Content-Type: application/problem+json"), text);
    }

    /// <summary>
    /// Sends a request declaring <paramref name="declaredLength"/> body bytes but only <paramref name="sent"/>, and returns
    /// the answer's head: an answer at all shows the gateway did not wait for (and buffer) the rest.
    /// </summary>
    private static async Task<string> SendPartOfABodyAsync(string clientId, string path, string contentType, long declaredLength, string sent)
    {
        string token = await Server.TokenAsync(clientId);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(Server.Address.Host, Server.Address.Port);
        var stream = tcp.GetStream();
        string head = $"POST {path} HTTP/1.1\r\nHost: {Server.Address.Authority}\r\nAuthorization: Bearer {token}\r\n" +
                      $"Content-Type: {contentType}\r\nContent-Length: {declaredLength}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(Encoding.ASCII.GetBytes(sent));
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60)); // a hang guard, not a timing claim
        var answer = new StringBuilder();
        var buffer = new byte[4096];
        while (!answer.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            int n = await stream.ReadAsync(buffer, wait.Token);
            if (n == 0) break;
            answer.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }
        return answer.ToString();
    }

    /// <summary>Garbage for any parameter: empty, words, signs, overflowing and exponent numbers, NUL and invalid UTF-8 escapes, markup, emoji, 4 000 characters.</summary>
    private static readonly string[] Garbage =
    [
        "", "x", "-1", "0", "99999999999999999999", "-9223372036854775809", "1e3", "NaN", "%00", "%FF%FE", "%27%20OR%201%3D1%20--",
        "%3Cscript%3E", "%F0%9F%98%80", "2026-02-30T25:61:00Z", "..%2F..%2Fetc%2Fpasswd", new('9', 4_000),
    ];

    [Test]
    public async Task ShouldAnswerGarbageInEveryParameterOfEveryGetEndpointWithoutA5xx()
    {
        // Every GET operation of the OpenAPI document (so a parameter added later is covered), every query parameter
        // and path parameter it declares, each garbage value in turn (and a query parameter given twice): never a 5xx,
        // every 4xx a Problem, and nothing changes. ledger-admin holds admin and read, so no request stops at a 403.
        var account = await Server.OpenAccountAsync();
        using var partner = await Server.ClientAsync();
        (await partner.PostAsync(account.Batches, Deposit("funds", 1_000))).EnsureSuccessStatusCode();
        using var client = await Server.ClientAsync("ledger-admin");
        var document = JsonNode.Parse(await Server.Anonymous.GetStringAsync("/openapi/v1.json"))!;
        var problems = new List<string>();
        var statuses = new SortedDictionary<int, int>();
        int requests = 0, queryParameters = 0;
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            if (item!["get"] is not { } get) continue;
            var parameters = get["parameters"]?.AsArray().Select(p => ((string)p!["name"]!, (string)p["in"]!)).ToList() ?? [];
            string Fill(string template, string? name = null, string? value = null)
            {
                foreach (var (p, where) in parameters.Where(p => p.Item2 == "path"))
                {
                    string own = p switch { "branch" => account.Branch.ToString(System.Globalization.CultureInfo.InvariantCulture), "account" => account.Number.ToString(System.Globalization.CultureInfo.InvariantCulture), _ => "1" };
                    template = template.Replace("{" + p + "}", p == name ? value : own, StringComparison.Ordinal);
                }
                return template;
            }
            // The account's own query parameters where a statement needs them, so garbage in another one is what is judged.
            string baseQuery = parameters.Any(p => p.Item1 == "branch" && p.Item2 == "query") ? $"branch={account.Branch}&account={account.Number}" : "";
            var cases = new List<string>();
            foreach (var (name, where) in parameters)
            {
                foreach (string value in Garbage)
                {
                    if (where == "path")
                    {
                        cases.Add(Fill(path, name, value) + (baseQuery.Length > 0 ? "?" + baseQuery : ""));
                        continue;
                    }
                    string others = string.Join("&", baseQuery.Split('&', StringSplitOptions.RemoveEmptyEntries).Where(q => !q.StartsWith(name + "=", StringComparison.Ordinal)));
                    cases.Add($"{Fill(path)}?{others}{(others.Length > 0 ? "&" : "")}{name}={value}");
                }
                if (where == "query")
                {
                    queryParameters++;
                    cases.Add($"{Fill(path)}?{baseQuery}{(baseQuery.Length > 0 ? "&" : "")}{name}=1&{name}=2");
                }
            }
            foreach (string target in cases)
            {
                using var response = await client.GetAsync(target);
                requests++;
                int status = (int)response.StatusCode;
                statuses[status] = statuses.GetValueOrDefault(status) + 1;
                string body = await response.Content.ReadAsStringAsync();
                if (status >= 500) problems.Add($"{status} for GET {target}: {body}");
                // A NUL in the path is refused by Kestrel itself (an empty 400, before any application code runs).
                bool refusedByHttp = status == 400 && body.Length == 0 && target.Split('?')[0].Contains("%00", StringComparison.Ordinal);
                if (status >= 400 && !refusedByHttp && response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                    problems.Add($"{status} without a Problem for GET {target}: {body}");
            }
        }
        TestContext.Out.WriteLine($"{requests} requests over {queryParameters} query parameters; statuses: {string.Join(", ", statuses.Select(x => $"{x.Key}×{x.Value}"))}");
        Assert.That(problems, Is.Empty, string.Join("\n", problems.Take(10)));
        Assert.That(queryParameters, Is.GreaterThanOrEqualTo(17), "balances' at, v1's six, v2's ten: the document was read");
        Assert.That(await partner.BalancesAsync(account), Is.EqualTo((1_000L, 0L)));
    }
}
