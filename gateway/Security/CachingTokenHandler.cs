using System.Collections.Concurrent;
using System.Security.Claims;
using Ledger.Engine.Catalog;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Ledger.Gateway.Security;

/// <summary>
/// Validates JWTs like <see cref="JsonWebTokenHandler"/> (signature, issuer, audience, lifetime, type), turns the
/// identity into a <see cref="PartnerIdentity"/>, and remembers a validated token until it expires, so a partner
/// that reuses its token skips the ~45 µs RS256 check on every request. Keyed by the token's exact text: a cached
/// entry can only be hit by the very token that passed. Bounded: when full, the cache starts over.
/// </summary>
internal sealed class CachingTokenHandler(Func<HistoryCatalog> catalog, int capacity, TimeProvider time) : JsonWebTokenHandler
{
    private readonly ConcurrentDictionary<string, Cached> _cache = new(StringComparer.Ordinal);

    private sealed record Cached(TokenValidationResult Result, DateTime ExpiresUtc, DateTime NotBeforeUtc)
    {
        /// <summary>Whether the cached validation still holds at <paramref name="now"/> (never past the token's own expiry).</summary>
        public bool HoldsAt(DateTime now) => now < ExpiresUtc && now >= NotBeforeUtc;
    }

    public int CachedCount => _cache.Count;

    /// <summary>
    /// The identity of a token this handler validated and still holds (not expired, not before its start), looked up
    /// by the token's text without copying it; false for any other token (validate it through JwtBearer then).
    /// </summary>
    public bool TryGetValidated(ReadOnlySpan<char> token, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ClaimsIdentity? identity)
    {
        identity = null;
        if (capacity <= 0 || !_cache.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(token, out var hit)) return false;
        if (!hit.HoldsAt(time.GetUtcNow().UtcDateTime)) return false;
        identity = hit.Result.ClaimsIdentity;
        return identity is not null;
    }

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (capacity > 0 && _cache.TryGetValue(token, out var hit))
        {
            if (hit.HoldsAt(now)) return hit.Result;
            _cache.TryRemove(token, out _);
        }
        var result = await base.ValidateTokenAsync(token, validationParameters);
        if (!result.IsValid)
        {
            NameWhatWasRefused(result, token);
            return result;
        }
        result.ClaimsIdentity = new PartnerIdentity(result.ClaimsIdentity, catalog()); // the catalog in force: a promotion may add domains
        if (capacity > 0 && result.SecurityToken is JsonWebToken jwt && jwt.ValidTo != DateTime.MinValue)
        {
            if (_cache.Count >= capacity) _cache.Clear();
            // Cached without clock skew: a cached token is never honoured past its own expiry.
            _cache[token] = new Cached(result, jwt.ValidTo, jwt.ValidFrom == DateTime.MinValue ? DateTime.MinValue : jwt.ValidFrom - validationParameters.ClockSkew);
        }
        return result;
    }

    /// <summary>
    /// JwtBearer builds <c>WWW-Authenticate</c>'s error_description from the exception's InvalidAudience / InvalidIssuer,
    /// which this handler's validation leaves null ("The audience '(null)' is invalid"): name the token's own values.
    /// </summary>
    private void NameWhatWasRefused(TokenValidationResult result, string token)
    {
        if (result.Exception is not (SecurityTokenInvalidAudienceException { InvalidAudience: null } or SecurityTokenInvalidIssuerException { InvalidIssuer: null })) return;
        if (!CanReadToken(token)) return;
        var jwt = ReadJsonWebToken(token);
        switch (result.Exception)
        {
            case SecurityTokenInvalidAudienceException audience:
                audience.InvalidAudience = string.Join(" ", jwt.Audiences);
                break;
            case SecurityTokenInvalidIssuerException issuer:
                issuer.InvalidIssuer = jwt.Issuer;
                break;
        }
    }
}
