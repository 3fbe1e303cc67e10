using Ledger.Gateway.Problems;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.IdentityModel.Tokens;

namespace Ledger.Gateway.Security;

/// <summary>Authorization policies by ledger scope (docs/contract.md section 5). Domains are checked by the engine per entry.</summary>
public static class Policies
{
    public const string Read = "ledger:read";
    public const string Write = "ledger:write";
    public const string Admin = "ledger:admin";
    /// <summary>Reading an account: partners (read) and operators (admin).</summary>
    public const string ReadOrAdmin = "ledger:read|ledger:admin";

    internal static void Add(AuthorizationOptions options)
    {
        Add(options, Read, LedgerScopes.Read);
        Add(options, Write, LedgerScopes.Write);
        Add(options, Admin, LedgerScopes.Admin);
        Add(options, ReadOrAdmin, LedgerScopes.Read | LedgerScopes.Admin);
    }

    private static void Add(AuthorizationOptions options, string name, LedgerScopes anyOf) =>
        options.AddPolicy(name, p => p.RequireAuthenticatedUser().AddRequirements(new ScopeRequirement(anyOf)));
}

/// <summary>Met when the token grants any of <see cref="AnyOf"/>.</summary>
public sealed class ScopeRequirement(LedgerScopes anyOf) : AuthorizationHandler<ScopeRequirement>, IAuthorizationRequirement
{
    public LedgerScopes AnyOf { get; } = anyOf;

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        if (context.User.Identity is PartnerIdentity partner && (partner.Scopes & requirement.AnyOf) != 0) context.Succeed(requirement);
        return Task.CompletedTask;
    }
}

/// <summary>Turns the authorization outcome into Problems: 401 (no or bad token, saying why) and 403 (naming the missing scope).</summary>
internal sealed class ProblemAuthorizationResultHandler(AuthMode mode) : IAuthorizationMiddlewareResultHandler
{
    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Succeeded)
        {
            await next(context);
            return;
        }
        if (authorizeResult.Challenged)
        {
            // The handler caches its result per request, so this reads why the token failed without validating it again.
            var failure = (await context.AuthenticateAsync()).Failure;
            await context.ChallengeAsync(); // the bearer scheme sets 401 and WWW-Authenticate (with error="invalid_token" when one was sent)
            await ProblemResult.Write(context.Response, Problem.Body(ProblemTypes.Unauthorized, Describe(failure)));
            return;
        }
        var needed = LedgerScopes.None;
        foreach (var requirement in policy.Requirements)
        {
            if (requirement is ScopeRequirement scope) needed |= scope.AnyOf;
        }
        string granted = context.User.Identity is PartnerIdentity partner && partner.GrantedScopes.Length > 0 ? partner.GrantedScopes : "none";
        await ProblemResult.Write(context.Response, Problem.Body(ProblemTypes.InsufficientScope,
            $"This operation needs scope {PartnerIdentity.NameOf(needed)}; the token grants: {granted}."));
    }

    private string Describe(Exception? failure) => failure switch
    {
        null => mode == AuthMode.Embedded
            ? "No bearer token. Get one with the client-credentials grant at POST /connect/token and send it as 'Authorization: Bearer <token>'."
            : "No bearer token. Get one from the configured authority and send it as 'Authorization: Bearer <token>'.",
        SecurityTokenExpiredException => "The token has expired; get a new one.",
        SecurityTokenNotYetValidException => "The token is not valid yet.",
        SecurityTokenInvalidAudienceException => "The token was issued for another audience.",
        SecurityTokenInvalidIssuerException => "The token was issued by an issuer this ledger does not trust.",
        SecurityTokenInvalidTypeException => "The token is not an access token (typ).",
        SecurityTokenInvalidAlgorithmException => "The token's signing algorithm is not accepted.",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "The token's signature is missing or not valid.",
        SecurityTokenMalformedException or ArgumentException => "The token is not a well-formed JWT.",
        _ => "The token is not valid.",
    };
}

/// <summary>Where tokens come from.</summary>
public enum AuthMode
{
    /// <summary>This process issues them at /connect/token (the embedded default; demo clients unless configured).</summary>
    Embedded,
    /// <summary>An external authority issues them (production).</summary>
    External,
}
