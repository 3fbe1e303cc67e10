using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Ledger.Gateway.Hosting;
using Microsoft.AspNetCore;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Ledger.Gateway.Security;

/// <summary>A partner client of the embedded token server.</summary>
internal sealed record PartnerClient(string ClientId, byte[] SecretHash, string[] Scopes);

/// <summary>
/// The embedded OAuth2 token server: OpenIddict in degraded mode (no database) issuing client-credentials access
/// tokens (RS256 JWT, typ at+jwt) for the clients in configuration. Client secrets are compared in constant time;
/// a request that names no scope gets all of the client's scopes, one naming a scope the client lacks is refused.
/// </summary>
internal static class TokenServer
{
    /// <summary>The token server's endpoints: the only paths it answers (and the only ones its request handler is asked about).</summary>
    public const string TokenPath = "/connect/token", ConfigurationPath = "/.well-known/openid-configuration", KeySetPath = "/.well-known/jwks";

    /// <summary>Whether <paramref name="path"/> is one of the token server's endpoints.</summary>
    public static bool Serves(PathString path) =>
        path.Equals(TokenPath, StringComparison.Ordinal) || path.Equals(ConfigurationPath, StringComparison.Ordinal) || path.Equals(KeySetPath, StringComparison.Ordinal);

    /// <summary>The issuer of tokens this server issues in answer to <paramref name="request"/> when none is configured: its own base URL.</summary>
    public static string IssuerOf(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}/";

    /// <summary>
    /// Whether <paramref name="issuer"/> (a token's <c>iss</c>, when no issuer is configured) names this service as
    /// <paramref name="request"/> reached it: the same URL, or the same scheme, port and path through another loopback
    /// name (<c>localhost</c>, <c>127.0.0.1</c>, <c>[::1]</c>), which all reach this one process. A token fetched from
    /// <c>http://localhost:8080</c> is then good at <c>http://127.0.0.1:8080</c>. Other names still need one
    /// <c>Ledger:Auth:Issuer</c> (a public URL is one name for many addresses).
    /// </summary>
    public static bool IsOwnIssuer(string? issuer, HttpRequest request)
    {
        if (issuer is null) return false;
        string own = IssuerOf(request);
        if (string.Equals(issuer, own, StringComparison.Ordinal)) return true;
        if (!Uri.TryCreate(issuer, UriKind.Absolute, out var theirs) || !Uri.TryCreate(own, UriKind.Absolute, out var ours)) return false;
        return theirs.IsLoopback && ours.IsLoopback
            && string.Equals(theirs.Scheme, ours.Scheme, StringComparison.Ordinal)
            && theirs.Port == ours.Port
            && string.Equals(theirs.AbsolutePath, ours.AbsolutePath, StringComparison.Ordinal)
            && string.IsNullOrEmpty(theirs.Query) && string.IsNullOrEmpty(theirs.Fragment) && string.IsNullOrEmpty(theirs.UserInfo);
    }

    /// <summary>docs/contract.md section 5's demo clients. DEMO ONLY: configure Ledger:Auth:Clients for anything real.</summary>
    public static readonly ClientOptions[] DemoClients =
    [
        new() { ClientId = "demo-partner", ClientSecret = "demo-secret", Scopes = "ledger:read ledger:write domain:*" },
        new() { ClientId = "cards-partner", ClientSecret = "cards-secret", Scopes = "ledger:read ledger:write domain:cards" },
        new() { ClientId = "ledger-admin", ClientSecret = "admin-secret", Scopes = "ledger:admin ledger:read" },
    ];

    public static PartnerClient[] Clients(AuthOptions auth)
    {
        var configured = auth.Clients is { Count: > 0 } list ? list.ToArray() : DemoClients;
        var clients = new PartnerClient[configured.Length];
        for (int i = 0; i < configured.Length; i++)
        {
            var c = configured[i];
            if (string.IsNullOrWhiteSpace(c.ClientId) || string.IsNullOrEmpty(c.ClientSecret))
            {
                throw new InvalidOperationException($"Ledger:Auth:Clients:{i} needs a ClientId and a ClientSecret.");
            }
            clients[i] = new PartnerClient(c.ClientId, Hash(c.ClientSecret), c.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        }
        return clients;
    }

    private static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    /// <summary>
    /// Whether the client may ask for <paramref name="scope"/>: one it holds, or a narrower one (RFC 6749 section 3.3):
    /// any registered <c>domain:NAME</c> for a client that holds <c>domain:*</c>.
    /// </summary>
    private static bool Holds(PartnerClient client, string scope) =>
        Array.IndexOf(client.Scopes, scope) >= 0 ||
        (scope.StartsWith(PartnerIdentity.DomainPrefix, StringComparison.Ordinal) && Array.IndexOf(client.Scopes, PartnerIdentity.AllDomains) >= 0);

    public static void Configure(OpenIddictServerBuilder server, AuthOptions auth, SecurityKey signingKey, PartnerClient[] clients, IEnumerable<string> domains,
        TokenThrottle throttle)
    {
        var scopes = new HashSet<string>(StringComparer.Ordinal) { PartnerIdentity.ReadScope, PartnerIdentity.WriteScope, PartnerIdentity.AdminScope, PartnerIdentity.AllDomains };
        foreach (var domain in domains) scopes.Add(PartnerIdentity.DomainPrefix + domain);
        foreach (var client in clients) scopes.UnionWith(client.Scopes);

        server.SetTokenEndpointUris(TokenPath[1..]) // relative to the service's base URL (the issuer)
            .SetConfigurationEndpointUris(ConfigurationPath[1..])
            .SetJsonWebKeySetEndpointUris(KeySetPath[1..])
            .AllowClientCredentialsFlow()
            .EnableDegradedMode()
            .DisableAccessTokenEncryption()
            .AddEphemeralEncryptionKey() // required even though no token is encrypted
            .AddSigningKey(signingKey)
            .SetAccessTokenLifetime(auth.TokenLifetime)
            .RegisterScopes([.. scopes]);
        // Unset, OpenIddict takes the issuer from each request: where the service really answers.
        if (auth.Issuer is { Length: > 0 } issuer) server.SetIssuer(new Uri(issuer, UriKind.Absolute));
        server.UseAspNetCore().DisableTransportSecurityRequirement(); // mTLS/TLS is Kestrel's job (Ledger:Tls)

        server.AddEventHandler<OpenIddictServerEvents.ValidateTokenRequestContext>(b => b.UseInlineHandler(context =>
        {
            var client = Find(clients, context.ClientId);
            // Compare secrets in constant time, and against a dummy when the id is unknown, so timing tells nothing.
            var presented = Hash(context.Request.ClientSecret ?? "");
            bool secretMatches = CryptographicOperations.FixedTimeEquals(presented, client?.SecretHash ?? UnknownClientHash);
            if (client is null || !secretMatches)
            {
                throttle.Failed(context.ClientId, context.Transaction.GetHttpRequest()?.HttpContext.Connection.RemoteIpAddress);
                context.Reject(Errors.InvalidClient, "The client id or secret is not valid.");
                return default;
            }
            foreach (var scope in context.Request.GetScopes())
            {
                if (!Holds(client, scope))
                {
                    context.Reject(Errors.InvalidScope, $"The client may not request scope '{scope}'.");
                    return default;
                }
            }
            return default;
        }));

        server.AddEventHandler<OpenIddictServerEvents.HandleTokenRequestContext>(b => b.UseInlineHandler(context =>
        {
            var client = Find(clients, context.Request.ClientId)!;
            var requested = context.Request.GetScopes();
            var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
            identity.SetClaim(Claims.Subject, client.ClientId);
            identity.SetClaim(Claims.Name, client.ClientId);
            identity.SetScopes(requested.IsDefaultOrEmpty ? client.Scopes : [.. requested]);
            identity.SetAudiences(auth.Audience);
            identity.SetDestinations(static _ => [Destinations.AccessToken]);
            context.SignIn(new ClaimsPrincipal(identity));
            return default;
        }));
    }

    private static readonly byte[] UnknownClientHash = Hash(Guid.NewGuid().ToString());

    private static PartnerClient? Find(PartnerClient[] clients, string? clientId)
    {
        foreach (var client in clients)
        {
            if (string.Equals(client.ClientId, clientId, StringComparison.Ordinal)) return client;
        }
        return null;
    }
}
