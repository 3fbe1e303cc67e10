using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Ledger.Bench;

/// <summary>
/// The calls around a run: tokens (one per client), opening accounts by CSV import, funding, reading balances.
/// One keep-alive <see cref="SocketsHttpHandler"/> for everything; the load itself goes through <see cref="Writer"/>.
/// </summary>
public sealed class LedgerApi : IDisposable
{
    private readonly SocketsHttpHandler _handler;
    private readonly BearerTokenHandler _writerTokens;
    private readonly BearerTokenHandler _adminTokens;
    private readonly BenchOptions _options;

    public LedgerApi(BenchOptions options)
    {
        _options = options;
        _handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.Connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        Anonymous = NewClient(_handler);
        _writerTokens = new BearerTokenHandler(_handler, cancel => TokenAsync(_options.WriterClient, _options.WriterSecret, cancel));
        _adminTokens = new BearerTokenHandler(_handler, cancel => TokenAsync(_options.AdminClient, _options.AdminSecret, cancel));
        Writer = NewClient(_writerTokens);
        Admin = NewClient(_adminTokens);
    }

    public HttpClient Anonymous { get; }
    /// <summary>The partner's client (ledger:write, ledger:read): the load and the balance reads.</summary>
    public HttpClient Writer { get; }
    /// <summary>The admin's client (ledger:admin): account opening.</summary>
    public HttpClient Admin { get; }

    private HttpClient NewClient(HttpMessageHandler handler) => new(handler, disposeHandler: false)
    {
        BaseAddress = _options.Url,
        Timeout = TimeSpan.FromSeconds(_options.TimeoutSeconds),
        DefaultRequestVersion = HttpVersion.Version11,
    };

    /// <summary>
    /// Takes a client-credentials token for the partner and for the admin client now (a wrong secret fails the set-up, not
    /// the first request); each client takes a new one by itself when half of its token's lifetime has passed, so a run
    /// longer than a token lives (an hour's soak) keeps its credentials.
    /// </summary>
    public async Task AuthenticateAsync(CancellationToken cancel)
    {
        await _writerTokens.EnsureTokenAsync(cancel);
        await _adminTokens.EnsureTokenAsync(cancel);
    }

    private async Task<(string Token, TimeSpan Lifetime)> TokenAsync(string client, string secret, CancellationToken cancel)
    {
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = client, ["client_secret"] = secret,
        });
        using var response = await Anonymous.PostAsync(new Uri("/connect/token", UriKind.Relative), form, cancel);
        string text = await response.Content.ReadAsStringAsync(cancel);
        if (!response.IsSuccessStatusCode) throw new BenchSetupException($"POST /connect/token for {client} answered {(int)response.StatusCode}: {Shorten(text)}");
        using var json = JsonDocument.Parse(text);
        string token = json.RootElement.GetProperty("access_token").GetString() ?? throw new BenchSetupException($"The token answer for {client} has no access_token.");
        var lifetime = json.RootElement.TryGetProperty("expires_in", out var expires) && expires.TryGetInt64(out long seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds) : TimeSpan.FromMinutes(5);
        return (token, lifetime);
    }

    /// <summary>Opens the run's accounts with CSV imports (<c>branch,account,currency</c>); accounts already open are fine.</summary>
    public async Task OpenAccountsAsync(CancellationToken cancel)
    {
        const int chunk = 100_000;
        for (int start = 0; start < _options.Accounts; start += chunk)
        {
            int count = Math.Min(chunk, _options.Accounts - start);
            var csv = new StringBuilder(count * 16);
            csv.Append("branch,account,currency\n");
            for (int i = 0; i < count; i++) csv.Append(_options.Branch).Append(',').Append(_options.FirstAccount + start + i).Append(",USD\n");
            using var content = new StringContent(csv.ToString(), Encoding.ASCII, "text/csv");
            using var response = await Admin.PostAsync(new Uri("/v1/accounts/import", UriKind.Relative), content, cancel);
            if (!response.IsSuccessStatusCode)
            {
                throw new BenchSetupException($"POST /v1/accounts/import answered {(int)response.StatusCode}: {Shorten(await response.Content.ReadAsStringAsync(cancel))}");
            }
        }
    }

    /// <summary>AVAILABLE and HELD of every account (16 reads in flight).</summary>
    public async Task<(long Available, long Held)[]> ReadBalancesAsync(CancellationToken cancel)
    {
        var balances = new (long, long)[_options.Accounts];
        await Parallel.ForEachAsync(Enumerable.Range(0, _options.Accounts), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancel },
            async (i, ct) => balances[i] = await ReadBalanceAsync(_options.FirstAccount + i, ct));
        return balances;
    }

    private async Task<(long Available, long Held)> ReadBalanceAsync(long account, CancellationToken cancel)
    {
        var path = new Uri($"/v1/accounts/{_options.Branch}/{account}/balances", UriKind.Relative);
        for (int attempt = 1; ; attempt++)
        {
            using var response = await Writer.GetAsync(path, cancel);
            string text = await response.Content.ReadAsStringAsync(cancel);
            if (response.IsSuccessStatusCode) return ParseBalances(text);
            if (attempt == 3 || (int)response.StatusCode < 500)
            {
                throw new BenchSetupException($"GET {path} answered {(int)response.StatusCode}: {Shorten(text)}");
            }
            await Task.Delay(200, cancel);
        }
    }

    /// <summary>Reads <c>{"balances":[{"type":"AVAILABLE","value":…},{"type":"HELD",…}]}</c>.</summary>
    public static (long Available, long Held) ParseBalances(string json)
    {
        using var doc = JsonDocument.Parse(json);
        long available = 0, held = 0;
        foreach (var b in doc.RootElement.GetProperty("balances").EnumerateArray())
        {
            string? type = b.GetProperty("type").GetString();
            long value = b.GetProperty("value").GetInt64();
            if (type == "AVAILABLE") available = value;
            else if (type == "HELD") held = value;
        }
        return (available, held);
    }

    public static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";

    public void Dispose()
    {
        Anonymous.Dispose();
        Writer.Dispose();
        Admin.Dispose();
        // The clients do not own their handlers (they share _handler); a token handler disposes its inner one too, so
        // _handler's own Dispose after them finds it done (disposing twice is allowed).
        _writerTokens.Dispose();
        _adminTokens.Dispose();
        _handler.Dispose();
    }
}

/// <summary>The run cannot start or finish its check: the message says why.</summary>
public sealed class BenchSetupException : Exception
{
    public BenchSetupException(string message) : base(message)
    {
    }

    public BenchSetupException()
    {
    }

    public BenchSetupException(string message, Exception inner) : base(message, inner)
    {
    }
}
