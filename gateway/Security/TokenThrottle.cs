using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;

namespace Ledger.Gateway.Security;

/// <summary>
/// Failed client authentications at <c>/connect/token</c>, counted per client id and per remote address in fixed
/// one-minute windows: past <c>Ledger:Auth:FailedAuthenticationsPerMinute</c> (default 10) for either key, token
/// requests for it are answered 429 with <c>Retry-After</c> until the window ends, so a client secret cannot be guessed
/// at full speed from one address, nor from many addresses against one client. Successful requests count nothing.
/// Memory is bounded: at most <see cref="KeysMax"/> keys; past it, finished windows are dropped, and a key that still
/// finds no room is not counted (the other key of the request still is).
/// </summary>
internal sealed class TokenThrottle(int failuresPerMinute, TimeProvider time)
{
    public const int KeysMax = 100_000;
    private const int ClientIdCharsKept = 128;
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private sealed class Counter
    {
        public long StartTicks;
        public int Failures;
    }

    private readonly ConcurrentDictionary<string, Counter> _counters = new(StringComparer.Ordinal);

    public int FailuresPerMinute { get; } = failuresPerMinute;

    /// <summary>How long the caller must wait, or null when it may try.</summary>
    public TimeSpan? RetryAfter(string? clientId, IPAddress? address)
    {
        if (FailuresPerMinute <= 0) return null;
        long now = time.GetUtcNow().UtcTicks;
        TimeSpan? wait = null;
        foreach (var key in Keys(clientId, address))
        {
            if (key is null || !_counters.TryGetValue(key, out var counter)) continue;
            lock (counter)
            {
                long end = counter.StartTicks + Window.Ticks;
                if (counter.Failures >= FailuresPerMinute && end > now)
                {
                    var left = TimeSpan.FromTicks(end - now);
                    if (wait is null || left > wait) wait = left;
                }
            }
        }
        return wait;
    }

    /// <summary>Counts a failed authentication against the client id and the address.</summary>
    public void Failed(string? clientId, IPAddress? address)
    {
        if (FailuresPerMinute <= 0) return;
        long now = time.GetUtcNow().UtcTicks;
        foreach (var key in Keys(clientId, address))
        {
            if (key is null) continue;
            if (!_counters.TryGetValue(key, out var counter))
            {
                if (_counters.Count >= KeysMax) DropFinished(now);
                if (_counters.Count >= KeysMax) continue;
                counter = _counters.GetOrAdd(key, _ => new Counter { StartTicks = now });
            }
            lock (counter)
            {
                if (counter.StartTicks + Window.Ticks <= now)
                {
                    counter.StartTicks = now;
                    counter.Failures = 0;
                }
                counter.Failures++;
            }
        }
    }

    /// <summary>Keys counted now (for tests of the bound).</summary>
    public int KeyCount => _counters.Count;

    private void DropFinished(long now)
    {
        foreach (var (key, counter) in _counters)
        {
            if (Volatile.Read(ref counter.StartTicks) + Window.Ticks <= now) _counters.TryRemove(key, out _);
        }
    }

    private static string?[] Keys(string? clientId, IPAddress? address) =>
    [
        string.IsNullOrEmpty(clientId) ? null : "client:" + (clientId.Length > ClientIdCharsKept ? clientId[..ClientIdCharsKept] : clientId),
        address is null ? null : "address:" + address,
    ];

    /// <summary>The client id of a token request: the form's <c>client_id</c>, else the user of HTTP Basic authentication.</summary>
    public static async ValueTask<string?> ClientIdOfAsync(HttpRequest request)
    {
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
            if (form["client_id"].ToString() is { Length: > 0 } id) return id;
        }
        string header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return null;
        try
        {
            string pair = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
            int colon = pair.IndexOf(':', StringComparison.Ordinal);
            return Uri.UnescapeDataString(colon < 0 ? pair : pair[..colon]);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The 429 of the token endpoint, in its own (OAuth2) error format.</summary>
    public static Task WriteTooManyAsync(HttpResponse response, TimeSpan wait)
    {
        response.StatusCode = StatusCodes.Status429TooManyRequests;
        response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        response.Headers.CacheControl = "no-store";
        response.ContentType = "application/json;charset=UTF-8";
        return response.WriteAsync("{\"error\":\"too_many_requests\",\"error_description\":\"Too many failed authentications for this client or address; retry after the Retry-After seconds.\"}");
    }
}
