using System.Diagnostics;
using System.Net.Http.Headers;

namespace Ledger.Bench;

/// <summary>
/// Puts the client's bearer token on every request, and takes a new one when half of the current one's lifetime has
/// passed (one refresh at a time; requests meanwhile go on with the token they have, still valid). Without it a run
/// longer than a token lives is answered 401 (429 past the gateway's limit for requests without a valid token) from
/// that moment on. <see cref="EnsureTokenAsync"/> takes the first token before any request (so a wrong secret fails the
/// set-up). It sits on a handler it does not own (the clients share one): dispose it with its client, after the client.
/// </summary>
internal sealed class BearerTokenHandler(HttpMessageHandler inner, Func<CancellationToken, Task<(string Token, TimeSpan Lifetime)>> fetch)
    : DelegatingHandler(inner)
{
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private AuthenticationHeaderValue? _header;
    private long _refreshAt;

    /// <summary>Takes a token now if there is none yet (or the one there is is due for renewal); requests then use it.</summary>
    public Task EnsureTokenAsync(CancellationToken cancel) => HeaderAsync(cancel);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = await HeaderAsync(cancellationToken).ConfigureAwait(false);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private Task<AuthenticationHeaderValue> HeaderAsync(CancellationToken cancel)
    {
        var header = Volatile.Read(ref _header);
        return header is null || Stopwatch.GetTimestamp() >= Volatile.Read(ref _refreshAt) ? RefreshAsync(header, cancel) : Task.FromResult(header);
    }

    private async Task<AuthenticationHeaderValue> RefreshAsync(AuthenticationHeaderValue? seen, CancellationToken cancel)
    {
        // Only the first request past the refresh time waits for the token when one is still valid; the rest use it.
        if (seen is not null && !await _refreshing.WaitAsync(0, cancel).ConfigureAwait(false)) return seen;
        if (seen is null) await _refreshing.WaitAsync(cancel).ConfigureAwait(false);
        try
        {
            var current = Volatile.Read(ref _header);
            if (current is not null && current != seen) return current; // another request refreshed it meanwhile
            var (token, lifetime) = await fetch(cancel).ConfigureAwait(false);
            var header = new AuthenticationHeaderValue("Bearer", token);
            Volatile.Write(ref _refreshAt, Stopwatch.GetTimestamp() + (long)(lifetime.TotalSeconds / 2 * Stopwatch.Frequency));
            Volatile.Write(ref _header, header);
            return header;
        }
        finally
        {
            _refreshing.Release();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _refreshing.Dispose();
        base.Dispose(disposing);
    }
}
