namespace Ledger.Gateway.Api;

/// <summary>
/// <c>POST /perf/noop</c>: reads and discards the body and answers 201, nothing else (<c>/perf/noop-auth</c>: the same
/// behind the bearer-token check). The HTTP benchmark measures it
/// in the same run as the ledger's POST, so the ledger's figure reads as a fraction of what Kestrel alone does on
/// the same box. Mapped only when <c>Ledger:Perf:NoOpEndpoint</c> is true (never by default).
/// </summary>
public static class PerfApi
{
    public const string Setting = "Ledger:Perf:NoOpEndpoint";

    public static IEndpointRouteBuilder MapPerfApi(this IEndpointRouteBuilder app, IConfiguration configuration)
    {
        if (!configuration.GetValue<bool>(Setting)) return app;
        app.MapPost("/perf/noop", static async (HttpContext http) =>
        {
            var body = http.Request.BodyReader;
            while (true)
            {
                var read = await body.ReadAsync(http.RequestAborted);
                body.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted) break;
            }
            http.Response.StatusCode = StatusCodes.Status201Created;
        }).ExcludeFromDescription();
        // The same behind the ledger's bearer-token check and ledger:write policy: separates the cost of security from the ledger's.
        app.MapPost("/perf/noop-auth", static (HttpContext http) =>
        {
            http.Response.StatusCode = StatusCodes.Status201Created;
            return Task.CompletedTask;
        }).ExcludeFromDescription().RequireAuthorization(Security.Policies.Write);
        return app;
    }
}
