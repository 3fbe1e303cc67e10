using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Features.Authentication;

namespace Ledger.Gateway.Security;

/// <summary>
/// Authentication for every request. The token server's endpoints (<see cref="TokenServer.Serves"/>) go through ASP.NET
/// Core's authentication middleware, which asks each request handler (OpenIddict's) whether it answers the request; every
/// other request is only authenticated with the default scheme (the bearer token), which is what that middleware does
/// once the handlers have declined. Asked about every API request, OpenIddict's handler declined each one at about 6 %
/// of the service's CPU at 10-entry batches (docs/perf.md, "2026-12-07 (later)"). A token the token cache holds is
/// answered from it (docs/perf.md, "2026-12-07 (later still)").
/// Usage: <c>app.UseRouting(); app.UseLedgerAuthentication(); app.UseAuthorization();</c>
/// </summary>
internal static class LedgerAuthentication
{
    public static void UseLedgerAuthentication(this IApplicationBuilder app)
    {
        // A WebApplication puts ASP.NET Core's authentication middleware first in its pipeline (before the token
        // throttle, on every request) unless the app says it placed authentication itself, with the key
        // UseAuthentication sets. This is where the app places it. (SecurityTests' 429 test fails if that key changes.)
        app.Properties[AuthenticationPlacedKey] = true;
        var tokens = app.ApplicationServices.GetRequiredService<CachingTokenHandler>();
        app.Use(next =>
        {
            var tokenServer = app.New();
            tokenServer.UseAuthentication();
            tokenServer.Run(next);
            var throughTokenServer = tokenServer.Build();
            return context => TokenServer.Serves(context.Request.Path) ? throughTokenServer(context) : AuthenticateBearerAsync(context, tokens, next);
        });
    }

    private const string AuthenticationPlacedKey = "__AuthenticationMiddlewareSet";

    /// <summary>
    /// As the authentication middleware does after its request handlers: the default scheme's result becomes the
    /// request's user. A bearer token the token cache validated before and still holds is answered from the cache
    /// without JwtBearer (which would copy the token, clone its validation parameters and build a ticket per request,
    /// only to find the same cached result); every other request, and every challenge, goes through JwtBearer.
    /// </summary>
    private static async Task AuthenticateBearerAsync(HttpContext context, CachingTokenHandler tokens, RequestDelegate next)
    {
        context.Features.Set<IAuthenticationFeature>(new AuthenticationFeature { OriginalPath = context.Request.Path, OriginalPathBase = context.Request.PathBase });
        var result = CachedBearer(context, tokens) ?? await context.AuthenticateAsync();
        if (result.Principal is not null) context.User = result.Principal;
        if (result.Succeeded)
        {
            var authenticated = new Authenticated(result);
            context.Features.Set<IHttpAuthenticationFeature>(authenticated);
            context.Features.Set<IAuthenticateResultFeature>(authenticated);
        }
        await next(context);
    }

    /// <summary>The result for a request whose one Authorization header is "Bearer" and a token the cache holds, else null.</summary>
    private static AuthenticateResult? CachedBearer(HttpContext context, CachingTokenHandler tokens)
    {
        var authorization = context.Request.Headers.Authorization;
        if (authorization.Count != 1 || authorization[0] is not { } header) return null;
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return null;
        if (!tokens.TryGetValidated(header.AsSpan(scheme.Length).Trim(), out var identity)) return null;
        return AuthenticateResult.Success(new AuthenticationTicket(new System.Security.Claims.ClaimsPrincipal(identity), JwtBearerDefaults.AuthenticationScheme));
    }

    /// <summary>The request's authentication result, where the authorization middleware looks for it.</summary>
    private sealed class Authenticated(AuthenticateResult result) : IAuthenticateResultFeature, IHttpAuthenticationFeature
    {
        public AuthenticateResult? AuthenticateResult { get; set; } = result;

        public System.Security.Claims.ClaimsPrincipal? User
        {
            get => AuthenticateResult?.Principal;
            set => AuthenticateResult = value is null ? null : AuthenticateResult.Success(new AuthenticationTicket(value, AuthenticateResult?.Ticket?.AuthenticationScheme ?? ""));
        }
    }
}
