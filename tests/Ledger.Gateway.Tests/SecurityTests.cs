using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Ledger.Gateway.Tests;

/// <summary>docs/contract.md section 5: tokens, scopes, domains, 401 vs 403, the token endpoint, the rate limiter, an external authority.</summary>
public sealed class SecurityTests
{
    private static GatewayServer Server => SharedGateway.Server;

    private static RsaSecurityKey ServerKey()
    {
        var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(Path.Combine(Server.DataDir, "keys", "token-signing-key.pem")));
        return new RsaSecurityKey(rsa);
    }

    /// <summary>A token shaped like the server's, with one thing changed.</summary>
    private static string Mint(SecurityKey key, string audience = "ledger", string? issuer = null, DateTime? expires = null,
        string scope = "ledger:read ledger:write domain:*")
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Server.Address.ToString(), // the embedded server's issuer: where it answers
            Audience = audience,
            IssuedAt = (expires ?? now.AddHours(1)).AddHours(-1),
            NotBefore = (expires ?? now.AddHours(1)).AddHours(-1),
            Expires = expires ?? now.AddHours(1),
            TokenType = "at+jwt",
            Subject = new ClaimsIdentity([new Claim("sub", "demo-partner"), new Claim("client_id", "demo-partner"), new Claim("scope", scope)]),
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
        });
    }

    private static string Unsigned()
    {
        static string B64(string json) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(json));
        long exp = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        return B64("{\"alg\":\"none\",\"typ\":\"at+jwt\"}") + "." +
               B64($"{{\"iss\":\"{Server.Address}\",\"aud\":\"ledger\",\"exp\":{exp},\"sub\":\"demo-partner\",\"client_id\":\"demo-partner\",\"scope\":\"ledger:read ledger:write domain:*\"}}") + ".";
    }

    [Test]
    public async Task ShouldAcceptATokenMintedWithTheServersOwnKey()
    {
        var account = await Server.OpenAccountAsync();
        using var client = Server.ClientWithToken(Mint(ServerKey()));
        using var response = await client.GetAsync(account.Balances);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the control for the forged-token cases below");
    }

    [TestCase(null, "No bearer token", TestName = "ShouldAnswer401WithoutAToken")]
    [TestCase("expired", "expired", TestName = "ShouldAnswer401ForAnExpiredToken")]
    [TestCase("notyet", "", TestName = "ShouldAnswer401ForATokenNotValidYet")]
    [TestCase("forged", "signature", TestName = "ShouldAnswer401ForATokenSignedByAnotherKey")]
    [TestCase("audience", "audience", TestName = "ShouldAnswer401ForATokenOfAnotherAudience")]
    [TestCase("issuer", "issuer", TestName = "ShouldAnswer401ForATokenOfAnotherIssuer")]
    [TestCase("none", "signature", TestName = "ShouldAnswer401ForAnUnsignedAlgNoneToken")]
    [TestCase("garbage", "well-formed", TestName = "ShouldAnswer401ForATokenThatIsNotAJwt")]
    public async Task ShouldAnswer401ForAMissingOrBadToken(string? kind, string detailPart)
    {
        var account = await Server.OpenAccountAsync();
        string? token = kind switch
        {
            null => null,
            "expired" => Mint(ServerKey(), expires: DateTime.UtcNow.AddMinutes(-5)),
            "notyet" => Mint(ServerKey(), expires: DateTime.UtcNow.AddHours(2)), // valid from an hour ahead, past the clock skew
            "forged" => Mint(new RsaSecurityKey(RSA.Create(2048))),
            "audience" => Mint(ServerKey(), audience: "another-api"),
            "issuer" => Mint(ServerKey(), issuer: "https://evil.example/"),
            "none" => Unsigned(),
            _ => "not-a-jwt",
        };
        using var client = token is null ? new HttpClient { BaseAddress = Server.Address } : Server.ClientWithToken(token);
        using var response = await client.PostAsync(account.Batches, Deposit("d", 100));
        var problem = await response.ProblemAsync(401, "unauthorized");
        Assert.That((string?)problem["detail"], Does.Contain(detailPart));
        Assert.That(response.Headers.WwwAuthenticate.ToString(), Does.StartWith("Bearer").And.Not.Contain("(null)"));
        if (kind == "issuer") Assert.That(response.Headers.WwwAuthenticate.ToString(), Does.Contain("https://evil.example/"), "the refused issuer is named");
        using var admin = await Server.ClientAsync();
        Assert.That(await admin.StatementAsync(account), Is.Empty);
    }

    [TestCase("ledger-admin", "POST", "batches", "ledger:write", TestName = "ShouldAnswer403WhenTheTokenLacksLedgerWrite")]
    [TestCase("demo-partner", "POST", "accounts", "ledger:admin", TestName = "ShouldAnswer403WhenTheTokenLacksLedgerAdmin")]
    [TestCase("ledger-admin", "DELETE", "entries", "ledger:write", TestName = "ShouldAnswer403ForADeleteWithoutLedgerWrite")]
    public async Task ShouldAnswer403NamingTheMissingScope(string clientId, string method, string what, string scope)
    {
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync(clientId);
        using var request = new HttpRequestMessage(new HttpMethod(method), what switch
        {
            "batches" => account.Batches,
            "entries" => account.Path + "/entries?correlationId=x",
            _ => "/v1/accounts",
        });
        request.Content = what == "accounts" ? Json("{\"branch\":1,\"account\":1,\"currency\":\"USD\"}") : what == "batches" ? Deposit("d", 1) : null;
        using var response = await client.SendAsync(request);
        var problem = await response.ProblemAsync(403, "insufficient-scope");
        Assert.That((string?)problem["detail"], Does.Contain(scope));
    }

    [Test]
    public async Task ShouldAnswer403WhenThePartnerMayNotPostInTheCodesDomain()
    {
        var account = await Server.OpenAccountAsync();
        using var cards = await Server.ClientAsync("cards-partner");
        using var deposit = await cards.PostAsync(account.Batches, Deposit("d", 100));
        var problem = await deposit.ProblemAsync(403, "domain-not-permitted");
        Assert.That((string?)problem["detail"], Does.Contain("domain:deposits"));
        Assert.That((int?)problem["entryIndex"], Is.EqualTo(0));

        using var demo = await Server.ClientAsync();
        (await demo.PostAsync(account.Batches, Deposit("d", 10_000))).EnsureSuccessStatusCode();
        using var purchase = await cards.PostAsync(account.Batches, Batch(Entry("ledger", "buy", 998, 100)));
        Assert.That(purchase.StatusCode, Is.EqualTo(HttpStatusCode.Created), "cards-partner may post cards codes");
        using var reversal = await cards.PostAsync(account.Batches, Batch(Entry("reversal", "rev", reverses: "d")));
        await reversal.ProblemAsync(403, "domain-not-permitted");
        using var reads = await cards.GetAsync(account.Balances);
        Assert.That(reads.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task ShouldRefuseACardsPartnerEveryOtherDomainAndChangeNothing()
    {
        // Issue 17, item 5: a cards-only partner tries every code of every other domain, as a posting and as a hold.
        var account = await Server.OpenAccountAsync();
        using var demo = await Server.ClientAsync();
        (await demo.PostAsync(account.Batches, Deposit("funds", 50_000))).EnsureSuccessStatusCode();
        var before = await demo.BalancesAsync(account);
        using var cards = await Server.ClientAsync("cards-partner");
        using var list = await cards.GetAsync("/v1/history-codes");
        var codes = (await list.BodyAsync())["codes"]!.AsArray().Where(c => (string?)c!["domain"] != "cards").ToList();
        Assert.That(codes, Is.Not.Empty);
        int n = 0;
        foreach (var code in codes)
        {
            foreach (var kind in new[] { "ledger", "blocking" })
            {
                using var post = await cards.PostAsync(account.Batches, Batch(Entry(kind, $"try-{n++}", (int)code!["code"]!, 100)));
                var problem = await post.ProblemAsync(403, "domain-not-permitted");
                Assert.That((string?)problem["detail"], Does.Contain("domain:" + (string?)code["domain"]), $"code {code["code"]} as {kind}");
            }
        }
        Assert.That(await demo.BalancesAsync(account), Is.EqualTo(before), "nothing changed");
        Assert.That((await demo.StatementAsync(account)).Count, Is.EqualTo(1));
    }

    [TestCase("POST", "/v1/accounts", "{\"branch\":1,\"account\":424242,\"currency\":\"USD\"}", TestName = "ShouldRefuseACardsPartnerOpeningAnAccount")]
    [TestCase("PUT", "/v1/history-codes", "{\"historyCodes\":[]}", TestName = "ShouldRefuseACardsPartnerPromotingACatalog")]
    [TestCase("POST", "/v1/simulations", "{\"catalog\":{\"historyCodes\":[]}}", TestName = "ShouldRefuseACardsPartnerStartingASimulation")]
    public async Task ShouldRefuseAPartnerTheAdminEndpoints(string method, string path, string body)
    {
        using var cards = await Server.ClientAsync("cards-partner");
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = Json(body) };
        using var response = await cards.SendAsync(request);
        var problem = await response.ProblemAsync(403, "insufficient-scope");
        Assert.That((string?)problem["detail"], Does.Contain("ledger:admin"));
        using var admin = await Server.ClientAsync("ledger-admin");
        using var account = await admin.GetAsync("/v1/accounts/1/424242");
        Assert.That(account.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "no account was opened");
    }

    [Test]
    public async Task ShouldNotReplayAnotherPartnersBundleToAPartnerOutsideItsDomain()
    {
        // The bundle id is known to the cards partner (guessed or leaked): resending it must not answer the first 201
        // (it would show another partner's balances); the domain check comes before idempotency.
        var from = await Server.OpenAccountAsync();
        var to = await Server.OpenAccountAsync();
        using var demo = await Server.ClientAsync();
        (await demo.PostAsync(from.Batches, Deposit("funds", 10_000))).EnsureSuccessStatusCode();
        string bundle = new JsonObject
        {
            ["bundleId"] = "sec-bundle-" + from.Number,
            ["legs"] = new JsonArray(
                new JsonObject { ["branch"] = from.Branch, ["account"] = from.Number, ["entries"] = JsonNode.Parse("[" + Entry("ledger", "out", 200, 3_000) + "]") },
                new JsonObject { ["branch"] = to.Branch, ["account"] = to.Number, ["entries"] = JsonNode.Parse("[" + Entry("ledger", "in", 201, 3_000) + "]") }),
        }.ToJsonString();
        using (var first = await demo.PostAsync("/v1/transaction-bundles", Json(bundle))) Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        var balances = await demo.BalancesAsync(from);
        using var cards = await Server.ClientAsync("cards-partner");
        using var replay = await cards.PostAsync("/v1/transaction-bundles", Json(bundle));
        await replay.ProblemAsync(403, "domain-not-permitted");
        Assert.That(await demo.BalancesAsync(from), Is.EqualTo(balances));
    }

    [Test]
    public async Task ShouldIssueAllOfTheClientsScopesWhenTheRequestNamesNone()
    {
        using var response = await Server.RequestTokenAsync("cards-partner", "cards-secret");
        var body = await response.BodyAsync();
        Assert.That((string?)body["scope"], Is.EqualTo("ledger:read ledger:write domain:cards"));
        Assert.That((string?)body["token_type"], Is.EqualTo("Bearer"));
        var jwt = new JsonWebToken((string)body["access_token"]!);
        Assert.That(jwt.Alg, Is.EqualTo("RS256"));
        Assert.That(jwt.Typ, Is.EqualTo("at+jwt"));
        Assert.That(jwt.Audiences, Is.EqualTo(new[] { "ledger" }));
    }

    [Test]
    public async Task ShouldIssueOnlyTheScopesRequested()
    {
        using var response = await Server.RequestTokenAsync("demo-partner", "demo-secret", "ledger:read");
        var token = (string)(await response.BodyAsync())["access_token"]!;
        var account = await Server.OpenAccountAsync();
        using var client = Server.ClientWithToken(token);
        using var write = await client.PostAsync(account.Batches, Deposit("d", 1));
        await write.ProblemAsync(403, "insufficient-scope");
    }

    [Test]
    public async Task ShouldRefuseAScopeTheClientLacks()
    {
        using var response = await Server.RequestTokenAsync("cards-partner", "cards-secret", "ledger:admin");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((string?)(await response.BodyAsync())["error"], Is.EqualTo("invalid_scope"));
    }

    [TestCase("localhost", 0, HttpStatusCode.OK, TestName = "ShouldAcceptATokenIssuedThroughLocalhostAt127001")]
    [TestCase("[::1]", 0, HttpStatusCode.OK, TestName = "ShouldAcceptATokenIssuedThroughIpv6LoopbackAt127001")]
    [TestCase("localhost", 1, HttpStatusCode.Unauthorized, TestName = "ShouldRefuseALoopbackTokenOfAnotherPort")]
    [TestCase("ledger.example.com", 0, HttpStatusCode.Unauthorized, TestName = "ShouldRefuseATokenOfAnotherHostOnTheSamePort")]
    public async Task ShouldAcceptTheLoopbackNamesOfThisProcessAsItsIssuer(string host, int portOffset, HttpStatusCode expected)
    {
        var account = await Server.OpenAccountAsync();
        string issuer = $"http://{host}:{Server.Address.Port + portOffset}/";
        using var client = Server.ClientWithToken(Mint(ServerKey(), issuer: issuer));
        using var response = await client.GetAsync(account.Balances);
        Assert.That(response.StatusCode, Is.EqualTo(expected), $"a token issued as {issuer}, presented at {Server.Address}");
    }

    [Test]
    public async Task ShouldNameWhereItAnswersAsTheIssuerUnlessOneIsConfigured()
    {
        var discovery = await (await Server.Anonymous.GetAsync("/.well-known/openid-configuration")).BodyAsync();
        Assert.That((string?)discovery["issuer"], Is.EqualTo(Server.Address.ToString()));
        Assert.That((string?)discovery["token_endpoint"], Is.EqualTo(new Uri(Server.Address, "/connect/token").ToString()));
        var jwt = new JsonWebToken(await Server.TokenAsync("demo-partner"));
        Assert.That(jwt.Issuer, Is.EqualTo(Server.Address.ToString()));

        await using var configured = await GatewayServer.StartAsync("Ledger:Auth:Issuer=https://ledger.example.com/");
        var named = await (await configured.Anonymous.GetAsync("/.well-known/openid-configuration")).BodyAsync();
        Assert.That((string?)named["issuer"], Is.EqualTo("https://ledger.example.com/"));
        var account = await configured.OpenAccountAsync();
        using var client = await configured.ClientAsync();
        Assert.That(new JsonWebToken(client.DefaultRequestHeaders.Authorization!.Parameter!).Issuer, Is.EqualTo("https://ledger.example.com/"));
        using var read = await client.GetAsync(account.Balances);
        Assert.That(read.StatusCode, Is.EqualTo(HttpStatusCode.OK), "its tokens validate against the configured issuer");
    }

    [Test]
    public async Task ShouldIssueANarrowerDomainScopeThanTheClientHolds()
    {
        // demo-partner holds domain:*; RFC 6749 section 3.3 lets it ask for less.
        using var response = await Server.RequestTokenAsync("demo-partner", "demo-secret", "ledger:write domain:cards");
        var body = await response.BodyAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToJsonString());
        // RFC 6749 section 5.1: the response may omit scope when it is the one requested; the token names it.
        var granted = new JsonWebToken((string)body["access_token"]!).GetClaim("scope").Value;
        Assert.That(granted.Split(' '), Is.EquivalentTo(new[] { "ledger:write", "domain:cards" }));
        var account = await Server.OpenAccountAsync();
        using var client = Server.ClientWithToken((string)body["access_token"]!);
        using var cash = await client.PostAsync(account.Batches, Deposit("d", 1));
        await cash.ProblemAsync(403, "domain-not-permitted");
        using var widen = await Server.RequestTokenAsync("cards-partner", "cards-secret", "domain:*");
        Assert.That((string?)(await widen.BodyAsync())["error"], Is.EqualTo("invalid_scope"), "narrower, never wider");
    }

    [Test]
    public async Task ShouldAnswer429AfterTooManyFailedAuthenticationsPerClientAndPerAddress()
    {
        await using var server = await GatewayServer.StartAsync("Ledger:Auth:FailedAuthenticationsPerMinute=3");
        for (int i = 0; i < 3; i++)
        {
            using var wrong = await server.RequestTokenAsync("demo-partner", "guess-" + i);
            Assert.That((string?)(await wrong.BodyAsync())["error"], Is.EqualTo("invalid_client"));
        }
        using var limited = await server.RequestTokenAsync("demo-partner", "demo-secret");
        Assert.That((int)limited.StatusCode, Is.EqualTo(429), "the right secret waits too: guessing is slowed, not told apart");
        Assert.That(int.Parse(limited.Headers.RetryAfter!.ToString(), System.Globalization.CultureInfo.InvariantCulture), Is.InRange(1, 60));
        Assert.That((string?)(await limited.BodyAsync())["error"], Is.EqualTo("too_many_requests"), "the token endpoint's own error format");
        using var otherClient = await server.RequestTokenAsync("cards-partner", "cards-secret");
        Assert.That((int)otherClient.StatusCode, Is.EqualTo(429), "the address made the failures: every client from it waits");
        Assert.That(server.App.Services.GetRequiredService<Security.TokenThrottle>().KeyCount, Is.EqualTo(2), "one key per client id and one per address");
    }

    [Test]
    public async Task ShouldAskRequestHandlersAboutTheTokenServersEndpointsOnly()
    {
        // A request handler as OpenIddict's token server is one (asked whether it answers a request), counting the asks.
        // Registered after OpenIddict's, it is asked about every request OpenIddict's handler declines.
        await using var server = await GatewayServer.StartOnAsync(null, app => app.Services.GetRequiredService<IAuthenticationSchemeProvider>()
            .AddScheme(new AuthenticationScheme(CountingRequestHandler.Scheme, null, typeof(CountingRequestHandler))));
        var client = await server.ClientAsync();
        Assert.That(CountingRequestHandler.Asked, Is.EqualTo(0), "OpenIddict's handler, asked first, answered the token request");
        var account = await server.OpenAccountAsync();
        using var posted = await client.PostAsync($"/v1/accounts/{account.Branch}/{account.Number}/batches", Batch(Entry("ledger", "ask-1", 100, 5)));
        Assert.That((int)posted.StatusCode, Is.EqualTo(201));
        await client.BalancesAsync(account);
        using var anonymous = await server.Anonymous.GetAsync("/v1/history-codes");
        Assert.That((int)anonymous.StatusCode, Is.EqualTo(401), "an API request without a token is still refused");
        using var keys = await server.Anonymous.GetAsync("/.well-known/jwks");
        Assert.That((int)keys.StatusCode, Is.EqualTo(200), "the token server still answers its endpoints");
        Assert.That(CountingRequestHandler.Asked, Is.EqualTo(0), "API requests are not put to request handlers (OpenIddict's among them)");
    }

    private sealed class CountingRequestHandler : IAuthenticationRequestHandler
    {
        public const string Scheme = "counting-request-handler";
        private static int _asked;
        public static int Asked => Volatile.Read(ref _asked);

        public Task InitializeAsync(AuthenticationScheme scheme, HttpContext context) => Task.CompletedTask;
        public Task<bool> HandleRequestAsync()
        {
            Interlocked.Increment(ref _asked);
            return Task.FromResult(false);
        }
        public Task<AuthenticateResult> AuthenticateAsync() => Task.FromResult(AuthenticateResult.NoResult());
        public Task ChallengeAsync(AuthenticationProperties? properties) => Task.CompletedTask;
        public Task ForbidAsync(AuthenticationProperties? properties) => Task.CompletedTask;
    }

    [TestCase("demo-partner", "wrong-secret", TestName = "ShouldRefuseAWrongClientSecret")]
    [TestCase("nobody", "demo-secret", TestName = "ShouldRefuseAnUnknownClient")]
    public async Task ShouldRefuseBadClientCredentials(string clientId, string secret)
    {
        using var response = await Server.RequestTokenAsync(clientId, secret);
        Assert.That((int)response.StatusCode, Is.AnyOf(400, 401));
        Assert.That((string?)(await response.BodyAsync())["error"], Is.EqualTo("invalid_client"));
    }

    [Test]
    public void ShouldKeepTheSigningKeyInTheDataDirReadableByItsOwnerOnly()
    {
        string path = Path.Combine(Server.DataDir, "keys", "token-signing-key.pem");
        Assert.That(File.ReadAllText(path), Does.StartWith("-----BEGIN PRIVATE KEY-----"));
        if (!OperatingSystem.IsWindows())
        {
            Assert.That(File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        }
    }

    [Test]
    public async Task ShouldHonourTokensIssuedBeforeARestart()
    {
        string dataDir = GatewayServer.NewDataDir();
        string token;
        // A restart here listens on a new port, so the issuer is pinned as a deployment behind a fixed URL has it.
        const string issuer = "Ledger:Auth:Issuer=https://ledger.example.com/";
        await using (var first = await GatewayServer.StartOnAsync(dataDir, issuer))
        {
            token = await first.TokenAsync("demo-partner");
        }
        await using (var second = await GatewayServer.StartOnAsync(dataDir, issuer))
        {
            using var client = second.ClientWithToken(token);
            using var response = await client.GetAsync("/v1/accounts/1/1/balances");
            await response.ProblemAsync(404, "account-not-found"); // authenticated: the key survived the restart
        }
        Directory.Delete(dataDir, recursive: true);
    }

    [Test]
    public async Task ShouldAnswer429WhenAPartnerExceedsItsRate()
    {
        await using var server = await GatewayServer.StartAsync("Ledger:RateLimit:Partners:demo-partner=2");
        using var client = await server.ClientAsync();
        var statuses = new List<HttpStatusCode>();
        for (int i = 0; i < 6; i++)
        {
            using var response = await client.GetAsync("/v1/accounts/1/1/balances");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                await response.ProblemAsync(429, "rate-limited");
                Assert.That(response.Headers.RetryAfter, Is.Not.Null);
                break;
            }
        }
        Assert.That(statuses, Does.Contain(HttpStatusCode.TooManyRequests));
        using var admin = await server.ClientAsync("ledger-admin");
        using var other = await admin.GetAsync("/v1/accounts/1/1");
        Assert.That(other.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "another partner has its own bucket");
    }

    [Test]
    public async Task ShouldAnswer429ToFloodsOfSeveralPartnersAndOfRequestsWithoutATokenWhileAWellBehavedPartnerIsServed()
    {
        // Issue 17, item 5: floods past the limiters. Two partners and two kinds of token-less requests flood at once;
        // each is answered 429 rate-limited Problems with Retry-After once past its bucket (a partner's own, or the
        // remote address's for requests without a valid token), never a 5xx, and a partner within its rate is answered
        // throughout: the buckets are separate, so this does not depend on timing.
        await using var server = await GatewayServer.StartAsync("Ledger:RateLimit:PermitsPerSecond=5", "Ledger:RateLimit:AnonymousPermitsPerSecond=5");
        var account = await server.OpenAccountAsync();
        using var demo = await server.ClientAsync();
        using var cards = await server.ClientAsync("cards-partner");
        using var admin = await server.ClientAsync("ledger-admin");
        using var forged = server.ClientWithToken("not-a-token");
        (await demo.PostAsync(account.Batches, Deposit("funds", 1_000))).EnsureSuccessStatusCode();

        async Task<List<HttpResponseMessage>> Flood(HttpClient client, int requests) =>
            [.. await Task.WhenAll(Enumerable.Range(0, requests).Select(_ => client.GetAsync(account.Balances)))];
        var floods = new Dictionary<string, Task<List<HttpResponseMessage>>>
        {
            ["demo-partner"] = Flood(demo, 200),
            ["cards-partner"] = Flood(cards, 200),
            ["no token"] = Flood(server.Anonymous, 200),
            ["a refused token"] = Flood(forged, 200),
        };
        var wellBehaved = new List<HttpStatusCode>();
        for (int i = 0; i < 3; i++) // with the opening before and the balance after: five requests, its burst
        {
            using var response = await admin.GetAsync(account.Balances);
            wellBehaved.Add(response.StatusCode);
        }
        foreach (var (who, flood) in floods)
        {
            var responses = await flood;
            var statuses = responses.GroupBy(r => (int)r.StatusCode).ToDictionary(g => g.Key, g => g.Count());
            TestContext.Out.WriteLine($"{who}: {string.Join(", ", statuses.OrderBy(x => x.Key).Select(x => $"{x.Key}×{x.Value}"))}");
            Assert.That(statuses.Keys, Is.SubsetOf(who.EndsWith("partner", StringComparison.Ordinal) ? new[] { 200, 403, 429 } : new[] { 401, 429 }), who);
            Assert.That(statuses.GetValueOrDefault(429), Is.GreaterThan(0), $"{who}: the flood reaches its limiter");
            foreach (var limited in responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).Take(3))
            {
                var problem = await limited.ProblemAsync(429, "rate-limited");
                Assert.That(limited.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(1)), who);
                Assert.That((string?)problem["detail"], Does.Contain(who.EndsWith("partner", StringComparison.Ordinal) ? who : "without a valid token"));
            }
            foreach (var r in responses) r.Dispose();
        }
        Assert.That(wellBehaved, Is.All.EqualTo(HttpStatusCode.OK), "a partner within its rate is answered during the floods");
        Assert.That(await admin.BalancesAsync(account), Is.EqualTo((1_000L, 0L)), "the floods changed nothing");
    }

    [Test]
    public async Task ShouldAnswer431ToOversizedHeadersChangeNothingAndStayUp()
    {
        // Kestrel's limits (32 KiB of headers, 100 headers) answer before any application code runs: 431, not a 5xx,
        // with an empty body (no Problem: Kestrel writes it), and the next request on a new connection is served.
        var account = await Server.OpenAccountAsync();
        using var client = await Server.ClientAsync();
        (await client.PostAsync(account.Batches, Deposit("funds", 1_000))).EnsureSuccessStatusCode();
        using (var big = new HttpRequestMessage(HttpMethod.Post, account.Batches) { Content = Deposit("big-header", 5) })
        {
            big.Headers.TryAddWithoutValidation("X-Padding", new string('a', 64 * 1024));
            using var response = await client.SendAsync(big);
            Assert.That((int)response.StatusCode, Is.EqualTo(431), "one 64 KiB header");
        }
        using (var many = new HttpRequestMessage(HttpMethod.Post, account.Batches) { Content = Deposit("many-headers", 5) })
        {
            for (int i = 0; i < 5_000; i++) many.Headers.TryAddWithoutValidation($"X-H{i}", "v");
            using var response = await client.SendAsync(many);
            Assert.That((int)response.StatusCode, Is.EqualTo(431), "5 000 headers");
        }
        using (var bigToken = new HttpRequestMessage(HttpMethod.Get, account.Balances))
        {
            bigToken.Headers.TryAddWithoutValidation("Authorization", "Bearer " + new string('e', 64 * 1024));
            using var response = await Server.Anonymous.SendAsync(bigToken);
            Assert.That((int)response.StatusCode, Is.EqualTo(431), "a 64 KiB bearer token");
        }
        using var live = await Server.Anonymous.GetAsync("/health/live");
        Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK), "still up");
        Assert.That(await client.BalancesAsync(account), Is.EqualTo((1_000L, 0L)), "nothing of the refused requests applied");
    }

    [Test]
    public async Task ShouldValidateTokensOfAnExternalAuthorityInExternalMode()
    {
        int port = FreePort();
        string authorityUrl = $"http://127.0.0.1:{port}/";
        await using var authority = await GatewayServer.StartOnAsync(null, $"urls={authorityUrl}", $"Ledger:Auth:Issuer={authorityUrl}");
        await using var ledger = await GatewayServer.StartOnAsync(null,
            "Ledger:Auth:Mode=External", $"Ledger:Auth:Authority={authorityUrl}", "Ledger:Auth:RequireHttpsMetadata=false");

        using var noTokenEndpoint = await ledger.RequestTokenAsync("demo-partner", "demo-secret");
        Assert.That(noTokenEndpoint.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "external mode issues no tokens itself");

        string token = await authority.TokenAsync("demo-partner");
        using var client = ledger.ClientWithToken(token);
        using var accepted = await client.GetAsync("/v1/accounts/1/1/balances");
        await accepted.ProblemAsync(404, "account-not-found"); // authenticated and authorized: only the account is missing

        using var forged = ledger.ClientWithToken(Mint(new RsaSecurityKey(RSA.Create(2048)), issuer: authorityUrl));
        using var refused = await forged.GetAsync("/v1/accounts/1/1/balances");
        await refused.ProblemAsync(401, "unauthorized");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
