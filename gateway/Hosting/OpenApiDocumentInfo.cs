using Ledger.Gateway.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Ledger.Gateway.Hosting;

/// <summary>Title, description and the OAuth2 client-credentials scheme of the generated OpenAPI document.</summary>
internal sealed class OpenApiDocumentInfo(Microsoft.Extensions.Options.IOptions<LedgerOptions> options) : IOpenApiDocumentTransformer
{
    public const string Scheme = "oauth2";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = "Ledger REST API";
        document.Info.Description =
            "Post entries and read balances and statements. Amounts are whole minor units ($50.00 is 5000 USD). " +
            "Errors are RFC-7807 Problems (application/problem+json) with a stable type per reason. " +
            "Authenticate with an OAuth2 client-credentials bearer token (POST /connect/token in the embedded default); " +
            "scopes: ledger:read, ledger:write, ledger:admin and domain:NAME (or domain:*). A client gets only scopes it holds: " +
            "ask for a subset of them, or for none to get them all.";
        var auth = options.Value.Auth;
        if (auth.Clients is not { Count: > 0 } && string.Equals(auth.Mode, "Embedded", StringComparison.OrdinalIgnoreCase))
        {
            document.Info.Description += " Demo clients of this embedded default (demo only; Ledger:Auth:Clients replaces them): " +
                string.Join("; ", TokenServer.DemoClients.Select(c => $"{c.ClientId} / {c.ClientSecret} ({c.Scopes})")) + ".";
        }
        // No licence is granted to partners: the API is theirs to call under their agreement, the document says so.
        document.Info.License = new OpenApiLicense { Name = "Proprietary: use under the partner agreement", Identifier = "LicenseRef-Proprietary" };
        document.Tags = new HashSet<OpenApiTag>
        {
            new() { Name = "Entries", Description = "Post batches of entries (ledger, blocking, unblocking, reversal, removal), remove a pending entry, post a transaction bundle across accounts." },
            new() { Name = "Balances and statements", Description = "Balances now and at an instant, statements of an account or of the whole ledger, the history-code catalog: the Balance & Statements read side." },
            new() { Name = "Accounts", Description = "Open and read accounts, import many at once (administrators)." },
        };
        // Server URLs without a trailing slash: every path starts with one.
        foreach (var server in document.Servers ?? []) server.Url = server.Url?.TrimEnd('/');
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[Scheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.OAuth2,
            Description = "Client-credentials tokens (JWT). Domains: add domain:NAME scopes (or domain:*) for the history-code domains a partner may post.",
            Flows = new OpenApiOAuthFlows
            {
                ClientCredentials = new OpenApiOAuthFlow
                {
                    TokenUrl = new Uri("/connect/token", UriKind.Relative),
                    Scopes = new Dictionary<string, string>
                    {
                        [PartnerIdentity.ReadScope] = "balances, statements, accounts",
                        [PartnerIdentity.WriteScope] = "batches, deletes, bundles",
                        [PartnerIdentity.AdminScope] = "opening and importing accounts",
                        [PartnerIdentity.AllDomains] = "post in every history-code domain",
                    },
                },
            },
        };
        return Task.CompletedTask;
    }
}
