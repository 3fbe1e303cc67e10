using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Ledger.Gateway.Hosting;

/// <summary>Title and description of the generated OpenAPI document.</summary>
internal sealed class OpenApiDocumentInfo : IOpenApiDocumentTransformer
{
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = "Ledger REST API";
        document.Info.Description =
            "Post entries and read balances and statements. Amounts are whole minor units ($50.00 is 5000 USD). " +
            "Errors are RFC-7807 Problems (application/problem+json) with a stable type per reason. " +
            "Authenticate with an OAuth2 client-credentials bearer token (POST /connect/token in the embedded default); " +
            "scopes: ledger:read, ledger:write, ledger:admin and domain:NAME (or domain:*).";
        return Task.CompletedTask;
    }
}
