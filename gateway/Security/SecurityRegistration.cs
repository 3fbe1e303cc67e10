using System.Threading.RateLimiting;
using Ledger.Gateway.Hosting;
using Ledger.Gateway.Problems;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Ledger.Gateway.Security;

/// <summary>Registers authentication (embedded token server or external authority), scope policies and the per-partner rate limiter.</summary>
internal static class SecurityRegistration
{
    public static void AddLedgerSecurity(this WebApplicationBuilder builder, LedgerOptions options, Ledger.Engine.Catalog.HistoryCatalog catalog)
    {
        var auth = options.Auth;
        var mode = ParseMode(auth.Mode);
        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);

        SecurityKey? signingKey = null;
        if (mode == AuthMode.Embedded)
        {
            signingKey = SigningKeyStore.Load(options.DataDir, auth.SigningKeyPath);
            var clients = TokenServer.Clients(auth);
            var domains = catalog.Domains;
            var throttle = new TokenThrottle(auth.FailedAuthenticationsPerMinute, TimeProvider.System);
            services.AddSingleton(throttle);
            services.AddOpenIddict().AddServer(server => TokenServer.Configure(server, auth, signingKey, clients, domains, throttle));
        }
        else if (string.IsNullOrWhiteSpace(auth.Authority))
        {
            throw new InvalidOperationException("Ledger:Auth:Mode is External but Ledger:Auth:Authority is not set: set it to the OAuth2 authority's URL (and Ledger:Auth:Audience).");
        }

        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        // One cache of validated tokens: JwtBearer validates through it, and LedgerAuthentication answers a cached token from it.
        services.AddSingleton(provider => new CachingTokenHandler(() => provider.GetRequiredService<LedgerRuntime>().Catalog, auth.TokenCacheSize,
            provider.GetRequiredService<TimeProvider>()));
        if (mode == AuthMode.Embedded && string.IsNullOrEmpty(auth.Issuer)) services.AddHttpContextAccessor();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IServiceProvider>((jwt, provider) =>
            {
                jwt.MapInboundClaims = false;
                jwt.SaveToken = false; // nothing reads the token back from the ticket: storing it cost a dictionary and an array per request
                jwt.TokenHandlers.Clear();
                jwt.TokenHandlers.Add(provider.GetRequiredService<CachingTokenHandler>());
                jwt.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidAudience = auth.Audience,
                    ValidateAudience = true,
                    ValidateLifetime = true,
                    RequireExpirationTime = true,
                    RequireSignedTokens = true,
                    ClockSkew = auth.ClockSkew,
                    NameClaimType = "sub",
                };
                if (mode == AuthMode.Embedded)
                {
                    if (!string.IsNullOrEmpty(auth.Issuer))
                    {
                        jwt.TokenValidationParameters.ValidIssuer = auth.Issuer;
                    }
                    else
                    {
                        // The issuer is this service as the request reached it (what the token server wrote into the token),
                        // through any of its loopback names. InvalidIssuer is what WWW-Authenticate's error_description names.
                        var requests = provider.GetRequiredService<IHttpContextAccessor>();
                        jwt.TokenValidationParameters.IssuerValidator = (issuer, _, _) =>
                            requests.HttpContext is { } http && TokenServer.IsOwnIssuer(issuer, http.Request)
                                ? issuer
                                : throw new SecurityTokenInvalidIssuerException($"The token's issuer '{issuer}' is not this service.") { InvalidIssuer = issuer };
                    }
                    jwt.TokenValidationParameters.IssuerSigningKey = signingKey;
                    jwt.TokenValidationParameters.ValidTypes = ["at+jwt"];
                    jwt.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.RsaSha256];
                }
                else
                {
                    jwt.Authority = auth.Authority;
                    jwt.Audience = auth.Audience;
                    jwt.RequireHttpsMetadata = auth.RequireHttpsMetadata;
                }
            });

        services.AddAuthorization(Policies.Add);
        services.AddSingleton<IAuthorizationMiddlewareResultHandler>(new ProblemAuthorizationResultHandler(mode));
        AddRateLimiter(services, options.RateLimit);
    }

    private static AuthMode ParseMode(string mode) => mode switch
    {
        _ when string.Equals(mode, "Embedded", StringComparison.OrdinalIgnoreCase) => AuthMode.Embedded,
        _ when string.Equals(mode, "External", StringComparison.OrdinalIgnoreCase) => AuthMode.External,
        _ => throw new InvalidOperationException($"Ledger:Auth:Mode is '{mode}': use Embedded (this process issues tokens) or External (validate Ledger:Auth:Authority's)."),
    };

    private const string AnonymousKeyPrefix = " address ";

    private static void AddRateLimiter(IServiceCollection services, RateLimitOptions limits)
    {
        static RateLimiter Bucket(int perSecond, int burst) => new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(1, burst),
            TokensPerPeriod = Math.Max(1, perSecond),
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
        // One limiter factory for all partners, built once (no closure per request).
        Func<string, RateLimiter> bucketOf = clientId =>
        {
            int perSecond = limits.Partners.TryGetValue(clientId, out int own) ? own : limits.PermitsPerSecond;
            return Bucket(perSecond, limits.Burst ?? perSecond);
        };
        Func<string, RateLimiter> anonymousBucketOf = _ => Bucket(limits.AnonymousPermitsPerSecond, limits.AnonymousPermitsPerSecond);
        services.AddRateLimiter(o =>
        {
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
            {
                if (http.User.Identity is not PartnerIdentity partner)
                {
                    // No valid token: a bucket per remote address (the key's leading space is in no client id), so a
                    // flood without tokens is answered 429 and takes nothing from the partners' buckets.
                    if (limits.AnonymousPermitsPerSecond <= 0) return RateLimitPartition.GetNoLimiter("");
                    return RateLimitPartition.Get(AnonymousKeyPrefix + http.Connection.RemoteIpAddress, anonymousBucketOf);
                }
                int perSecond = limits.Partners.TryGetValue(partner.ClientId, out int own) ? own : limits.PermitsPerSecond;
                return perSecond <= 0 ? RateLimitPartition.GetNoLimiter(partner.ClientId) : RateLimitPartition.Get(partner.ClientId, bucketOf);
            });
            o.OnRejected = (context, _) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = "1";
                string detail = context.HttpContext.User.Identity is PartnerIdentity p
                    ? $"{p.ClientId} is over its request rate; retry after a second."
                    : $"Requests without a valid token from {context.HttpContext.Connection.RemoteIpAddress} are over their rate; retry after a second.";
                return new ValueTask(ProblemResult.Write(context.HttpContext.Response, Problem.Body(ProblemTypes.TooManyRequests, detail)));
            };
        });
    }
}
