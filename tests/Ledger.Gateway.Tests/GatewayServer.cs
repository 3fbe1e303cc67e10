using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Ledger.Gateway.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Ledger.Gateway.Tests;

/// <summary>
/// The real gateway (Kestrel on 127.0.0.1, a free port) over a temporary data directory, with real HttpClients.
/// Usage: <c>await using var server = await GatewayServer.StartAsync("Ledger:RateLimit:PermitsPerSecond=5");</c>
/// </summary>
public sealed class GatewayServer : IAsyncDisposable
{
    private static long _nextAccount = 100_000;
    private readonly Dictionary<string, string> _tokens = new(StringComparer.Ordinal);
    private readonly HttpMessageHandler _handler;
    private readonly bool _ownsDataDir;

    private GatewayServer(WebApplication app, string dataDir, Uri address, HttpMessageHandler handler, bool ownsDataDir)
    {
        App = app;
        DataDir = dataDir;
        Address = address;
        _handler = handler;
        _ownsDataDir = ownsDataDir;
        Anonymous = new HttpClient(handler, disposeHandler: false) { BaseAddress = address };
    }

    public WebApplication App { get; }
    public string DataDir { get; }
    public Uri Address { get; }
    public HttpClient Anonymous { get; }
    public LedgerRuntime Runtime => App.Services.GetRequiredService<LedgerRuntime>();

    public static string NewDataDir() => Path.Combine(Path.GetTempPath(), "ledger-gateway-tests", Guid.NewGuid().ToString("N"));

    /// <summary>Starts a gateway; settings are <c>Key=Value</c> configuration overrides.</summary>
    public static Task<GatewayServer> StartAsync(params string[] settings) => StartOnAsync(null, settings);

    /// <summary>Starts a gateway on a given data directory (kept on dispose), or a fresh one when null.</summary>
    public static Task<GatewayServer> StartOnAsync(string? dataDir, params string[] settings) => StartOnAsync(dataDir, null, settings);

    /// <summary>As above, with <paramref name="beforeStart"/> called on the built app before it starts (to wire a test fault).</summary>
    public static async Task<GatewayServer> StartOnAsync(string? dataDir, Action<WebApplication>? beforeStart, params string[] settings)
    {
        bool owns = dataDir is null;
        dataDir ??= NewDataDir();
        var args = new List<string>
        {
            "--urls=http://127.0.0.1:0",
            $"--Ledger:DataDir={dataDir}",
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Ledger.Gateway.Hosting.LedgerRuntime=Error",
            // Test-sized RAM for the entry store (the defaults are a production machine's: a 256 MiB key filter and cache).
            "--Ledger:Memory:KeyFilterBytes=1048576",
            "--Ledger:Memory:StoreBlockCacheBytes=8388608",
            "--Ledger:Memory:StoreWriteBufferBytes=4194304",
            // Every test connects from 127.0.0.1: the per-address limit on failed authentications would couple them.
            "--Ledger:Auth:FailedAuthenticationsPerMinute=1000",
        };
        foreach (var setting in settings) args.Add("--" + setting);
        var app = GatewayApp.Build([.. args]);
        beforeStart?.Invoke(app);
        await app.StartAsync();
        await app.Services.GetRequiredService<LedgerRuntime>().WhenReady.WaitAsync(TimeSpan.FromSeconds(60));
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        var address = new Uri(addresses.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        return new GatewayServer(app, dataDir, address, new SocketsHttpHandler(), owns);
    }

    /// <summary>A client-credentials token from the embedded server (cached per client and scope).</summary>
    public async Task<string> TokenAsync(string clientId, string? scope = null)
    {
        string key = clientId + " " + scope;
        if (_tokens.TryGetValue(key, out var cached)) return cached;
        using var response = await RequestTokenAsync(clientId, SecretOf(clientId), scope);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToJsonString());
        string token = (string)body["access_token"]!;
        _tokens[key] = token;
        return token;
    }

    public Task<HttpResponseMessage> RequestTokenAsync(string clientId, string secret, string? scope = null)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret };
        if (scope is not null) form["scope"] = scope;
        return Anonymous.PostAsync("/connect/token", new FormUrlEncodedContent(form));
    }

    public static string SecretOf(string clientId) => clientId switch
    {
        "demo-partner" => "demo-secret",
        "cards-partner" => "cards-secret",
        "ledger-admin" => "admin-secret",
        _ => throw new ArgumentException(clientId),
    };

    /// <summary>An HttpClient sending a bearer token of the client.</summary>
    public async Task<HttpClient> ClientAsync(string clientId = "demo-partner")
    {
        var client = new HttpClient(_handler, disposeHandler: false) { BaseAddress = Address };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(clientId));
        return client;
    }

    public HttpClient ClientWithToken(string token)
    {
        var client = new HttpClient(_handler, disposeHandler: false) { BaseAddress = Address };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Opens a fresh account (a new number each call) and returns its path prefix, e.g. <c>/v1/accounts/1/100001</c>.</summary>
    public async Task<TestAccount> OpenAccountAsync(string currency = "USD", long overdraftLimit = 0, int branch = 1)
    {
        long number = Interlocked.Increment(ref _nextAccount);
        using var admin = await ClientAsync("ledger-admin");
        using var response = await admin.PostAsJsonAsync("/v1/accounts", new { branch, account = number, currency, overdraftLimit });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        return new TestAccount(branch, number);
    }

    public async ValueTask DisposeAsync()
    {
        Anonymous.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        _handler.Dispose();
        if (_ownsDataDir)
        {
            try
            {
                Directory.Delete(DataDir, recursive: true);
            }
            catch (IOException)
            {
                // best effort
            }
        }
    }
}

/// <summary>An account opened for a test.</summary>
public sealed record TestAccount(int Branch, long Number)
{
    public string Path => $"/v1/accounts/{Branch}/{Number}";
    public string Batches => Path + "/batches";
    public string Balances => Path + "/balances";
    public string Statement => $"/v1/entries?branch={Branch}&account={Number}";
    public string StatementV2 => $"/v2/entries?branch={Branch}&account={Number}";
}

/// <summary>Request bodies and response readers shared by the tests.</summary>
public static class Http
{
    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static string Entry(string kind, string correlationId, int? entryType = null, long? amount = null, string? currency = "USD",
        string? description = null, string? reverses = null, string? unblocks = null, string? removes = null, string? expiresAt = null)
    {
        var e = new JsonObject { ["entryKind"] = kind, ["correlationId"] = correlationId };
        if (description is not null) e["description"] = description;
        if (entryType is not null) e["entryType"] = entryType;
        if (amount is not null) e["amount"] = currency is null ? new JsonObject { ["value"] = amount } : new JsonObject { ["value"] = amount, ["currency"] = currency };
        if (reverses is not null) e["reverses"] = reverses;
        if (unblocks is not null) e["unblocks"] = unblocks;
        if (removes is not null) e["removes"] = removes;
        if (expiresAt is not null) e["expiresAt"] = expiresAt;
        return e.ToJsonString();
    }

    public static StringContent Batch(params string[] entries) => Json("{\"entries\":[" + string.Join(",", entries) + "]}");

    public static StringContent Deposit(string correlationId, long amount, string currency = "USD") =>
        Batch(Entry("ledger", correlationId, 100, amount, currency));

    public static async Task<JsonNode> BodyAsync(this HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync()) ?? throw new AssertionException("empty body");

    /// <summary>AVAILABLE and HELD of a balances array.</summary>
    public static (long Available, long Held) Balances(JsonNode balances)
    {
        long available = 0, held = 0;
        foreach (var b in balances.AsArray())
        {
            if ((string)b!["type"]! == "AVAILABLE") available = (long)b["value"]!;
            else held = (long)b["value"]!;
        }
        return (available, held);
    }

    public static async Task<(long Available, long Held)> BalancesAsync(this HttpClient client, TestAccount account)
    {
        using var response = await client.GetAsync(account.Balances);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return Balances((await response.BodyAsync())["balances"]!);
    }

    public static async Task<JsonArray> StatementAsync(this HttpClient client, TestAccount account, string query = "")
    {
        using var response = await client.GetAsync(account.Statement + query);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        return (await response.BodyAsync())["entries"]!.AsArray();
    }

    /// <summary>Asserts a Problem: status, content type, type URI suffix; returns the body for further checks.</summary>
    public static async Task<JsonNode> ProblemAsync(this HttpResponseMessage response, int status, string reason)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.That((int)response.StatusCode, Is.EqualTo(status), text);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"), text);
        var body = JsonNode.Parse(text)!;
        Assert.That((string?)body["type"], Is.EqualTo("https://ledger.example/problems/" + reason), text);
        Assert.That((int?)body["status"], Is.EqualTo(status));
        Assert.That((string?)body["title"], Is.Not.Empty);
        Assert.That((string?)body["detail"], Is.Not.Empty);
        return body;
    }
}
