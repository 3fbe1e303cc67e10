using System.Globalization;
using System.Text.Json.Serialization;
using Ledger.Engine;
using Ledger.Engine.Catalog;
using Ledger.Gateway.Api;
using Ledger.Gateway.Edge;
using Ledger.Gateway.Observability;
using Ledger.Gateway.Problems;
using Ledger.Gateway.Security;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Prometheus;
using Scalar.AspNetCore;

namespace Ledger.Gateway.Hosting;

/// <summary>
/// Builds the gateway: registration and the request pipeline, in one place that Program.cs and the tests share.
/// Usage: <c>var app = GatewayApp.Build(args); app.Run();</c>
/// </summary>
public static class GatewayApp
{
    /// <summary>The embedded default address (docs/contract.md section 6); <c>--urls</c> or <c>ASPNETCORE_URLS</c> changes it.</summary>
    public const string DefaultUrl = "http://127.0.0.1:8080";

    /// <summary>The environment when none is named: the embedded defaults. <c>Production</c> is the profile with mTLS and an external authority.</summary>
    public const string DefaultEnvironment = "Embedded";

    /// <summary>
    /// Failed authentications at /connect/token past the limit get 429 before the token server sees the request. Every
    /// other request passes straight on (no async state machine of this middleware on the API's path).
    /// </summary>
    private static Task ThrottleTokenRequests(HttpContext context, RequestDelegate next) =>
        HttpMethods.IsPost(context.Request.Method) && context.Request.Path.Equals(TokenServer.TokenPath, StringComparison.Ordinal) &&
        context.RequestServices.GetService<TokenThrottle>() is { } throttle
            ? ThrottleTokenRequestAsync(context, next, throttle)
            : next(context);

    private static async Task ThrottleTokenRequestAsync(HttpContext context, RequestDelegate next, TokenThrottle throttle)
    {
        string? clientId = await TokenThrottle.ClientIdOfAsync(context.Request);
        if (throttle.RetryAfter(clientId, context.Connection.RemoteIpAddress) is { } wait)
        {
            await TokenThrottle.WriteTooManyAsync(context.Response, wait);
            return;
        }
        await next(context);
    }

    /// <summary>The listen addresses that are not https (from <c>urls</c>, else the default, and <c>Kestrel:Endpoints</c>).</summary>
    private static string[] PlainAddresses(ConfigurationManager configuration)
    {
        var addresses = (configuration["urls"] ?? (configuration.GetSection("Kestrel:Endpoints").Exists() ? "" : DefaultUrl))
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Concat(configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"] ?? ""));
        return addresses.Where(a => a.Length > 0 && !a.StartsWith("https://", StringComparison.OrdinalIgnoreCase)).ToArray();
    }

    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            // ASP.NET would assume Production when nothing is named; here that profile must be asked for.
            EnvironmentName = IsEnvironmentNamed(args) ? null : DefaultEnvironment,
            // appsettings*.json ship beside the binaries; relative paths such as Ledger:DataDir stay relative to the working directory.
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.AddLedgerGateway();
        var app = builder.Build();
        app.UseLedgerGateway();
        return app;
    }

    private static bool IsEnvironmentNamed(string[] args)
    {
        if (Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") is { Length: > 0 }) return true;
        if (Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") is { Length: > 0 }) return true;
        foreach (var arg in args)
        {
            if (arg.StartsWith("--environment", StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }

    public static void AddLedgerGateway(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(LedgerOptions.Section).Get<LedgerOptions>() ?? new LedgerOptions();
        var services = builder.Services;
        services.Configure<LedgerOptions>(builder.Configuration.GetSection(LedgerOptions.Section));
        if (ConfigurationCheck.Problem(options, builder.Configuration) is { } problem) throw new InvalidOperationException(problem);

        if (builder.Configuration["urls"] is null && !builder.Configuration.GetSection("Kestrel:Endpoints").Exists())
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }
        if (options.Tls.Enabled && PlainAddresses(builder.Configuration) is { Length: > 0 } plain)
        {
            // TLS on but an http:// address would serve the API in clear text and without client certificates.
            throw new InvalidOperationException(
                $"Ledger:Tls:Enabled is on but the service would listen on {string.Join(", ", plain)} (plain HTTP, no client certificates): " +
                "make every address https (--urls=https://0.0.0.0:8443, or Kestrel:Endpoints:*:Url), or turn Ledger:Tls:Enabled off.");
        }
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = Limits.RequestBodyBytesMax;
            MutualTls.Configure(kestrel, options.Tls);
        });

        // Everything the process keeps lives in the data directory (ASP.NET's own keys included).
        services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(options.DataDir, "keys", "data-protection")));
        services.AddSingleton<LedgerRuntime>();
        services.AddSingleton<SimulationRunner>();
        services.AddHostedService<LedgerRuntimeService>();
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));

        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, GatewayJsonContext.Default);
            o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
            // Numbers are JSON numbers only (what the handlers accept), so the document types them "integer", not "integer | string".
            o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
            o.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        });
        // The catalog, loaded once: a bad one fails start-up here with a sentence naming the file and what to fix.
        var catalog = HistoryCatalogFile.Load(options.HistoryCodesPath);
        services.AddSingleton(catalog);
        builder.AddLedgerSecurity(options, catalog);
        // Not ready is an answer (503 + why), not an error: without this every poll of a load balancer during a
        // catch-up wrote a "fail:" line. The runtime logs when it becomes ready and why it stops.
        builder.Logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService", LogLevel.Critical);
        services.AddHealthChecks()
            .AddCheck<ReadinessCheck>("ledger", tags: ["ready"])
            .AddCheck<LivenessCheck>("pipeline", tags: ["live", "ready"]);
        services.AddOpenApi("v1", o => o.AddDocumentTransformer<OpenApiDocumentInfo>()
            .AddOperationTransformer<OpenApiOperationContract>()
            .AddSchemaTransformer<OpenApiSchemaContract>());
    }

    /// <summary>
    /// A statements replica: every write method under /v1 and /v2 gets 421 <c>read-only-replica</c> saying this node serves
    /// reads only, and where writes go when <c>Ledger:Statements:WritesUrl</c> is set (a load balancer that sent it here
    /// should send writes to the ledger process instead).
    /// </summary>
    private static void MapReadOnlyRefusals(WebApplication app, LedgerRuntime runtime)
    {
        string detail = runtime.WritesUrl is { } url
            ? $"This node is a statements replica and serves reads only; send writes to {url}."
            : "This node is a statements replica and serves reads only; send writes to the ledger process.";
        foreach (string version in ReplicaRefusedPrefixes)
        {
            app.MapMethods("/" + version + "{**path}", ReplicaRefusedMethods, () => Problem.Of(ProblemTypes.ReadOnlyReplica, detail)).ExcludeFromDescription();
        }
    }

    private static readonly string[] ReplicaRefusedMethods = ["POST", "PUT", "PATCH", "DELETE"];
    private static readonly string[] ReplicaRefusedPrefixes = ["v1/", "v2/"];

    /// <summary>Whether a statements replica answers 421 <c>read-only-replica</c> to this method and path (relative, no leading slash): what the OpenAPI document declares.</summary>
    internal static bool RefusedOnAReplica(string? method, string? relativePath) =>
        method is not null && relativePath is not null
        && Array.Exists(ReplicaRefusedMethods, m => string.Equals(m, method, StringComparison.OrdinalIgnoreCase))
        && Array.Exists(ReplicaRefusedPrefixes, p => relativePath.StartsWith(p, StringComparison.Ordinal));

    /// <summary>
    /// The 415's detail: what was sent and what the endpoint takes. Routing refuses the content type before an endpoint
    /// is chosen, so the endpoint is found again by method and route (rare: only on this refusal).
    /// </summary>
    private static string UnsupportedMediaTypeDetail(HttpContext http)
    {
        var accepts = AcceptedContentTypes(http);
        string sent = string.IsNullOrEmpty(http.Request.ContentType) ? "no Content-Type" : $"Content-Type '{Refusal.Quote(http.Request.ContentType)}'";
        return accepts is { Count: > 0 }
            ? $"The body was sent with {sent}; {http.Request.Path} takes {string.Join(" or ", accepts)}."
            : $"The body was sent with {sent}, which {http.Request.Path} does not take.";
    }

    private static IReadOnlyList<string>? AcceptedContentTypes(HttpContext http)
    {
        var sources = http.RequestServices.GetServices<Microsoft.AspNetCore.Routing.EndpointDataSource>();
        foreach (var endpoint in sources.SelectMany(s => s.Endpoints).OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>())
        {
            var accepts = endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>();
            var methods = endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.IHttpMethodMetadata>();
            if (accepts is null || methods is null || !methods.HttpMethods.Contains(http.Request.Method, StringComparer.OrdinalIgnoreCase)) continue;
            var matcher = new Microsoft.AspNetCore.Routing.Template.TemplateMatcher(
                Microsoft.AspNetCore.Routing.Template.TemplateParser.Parse(endpoint.RoutePattern.RawText ?? ""), new RouteValueDictionary());
            if (matcher.TryMatch(http.Request.Path, new RouteValueDictionary())) return accepts.ContentTypes;
        }
        return null;
    }

    public static void UseLedgerGateway(this WebApplication app)
    {
        var runtime = app.Services.GetRequiredService<LedgerRuntime>();
        LedgerMetrics.RegisterScrapeCallback(runtime);

        app.Use(RequestCorrelation.Middleware);
        // Any exception that escapes is a 500 Problem (and a bug to fix); malformed input never gets here.
        app.UseExceptionHandler(error => error.Run(context =>
        {
            var exception = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            if (exception is BadHttpRequestException bad)
            {
                return ProblemResult.Write(context.Response, Problem.Body(ProblemTypes.OfStatus(bad.StatusCode), bad.Message));
            }
            return ProblemResult.Write(context.Response, Problem.Body(ProblemTypes.Internal, "The ledger failed to answer this request; it was logged."));
        }));
        // Statuses the framework sets without a body (unknown route, wrong method...) become Problems too.
        app.UseStatusCodePages(context =>
        {
            var response = context.HttpContext.Response;
            var kind = ProblemTypes.OfStatus(response.StatusCode);
            string detail = response.StatusCode switch
            {
                404 => $"No resource at {context.HttpContext.Request.Path}; see /docs for the API.",
                405 => $"{context.HttpContext.Request.Method} is not allowed on {context.HttpContext.Request.Path}.",
                415 => UnsupportedMediaTypeDetail(context.HttpContext),
                _ => kind.Title + ".",
            };
            return ProblemResult.Write(response, Problem.Body(kind, detail));
        });

        app.UseRouting();
        app.Use(HttpRequestMetrics.Middleware);
        app.Use(ThrottleTokenRequests);
        app.UseLedgerAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();

        // A statements replica serves the read endpoints only: the ledger it reads is another process's.
        bool writes = !app.Services.GetRequiredService<IOptions<LedgerOptions>>().Value.IsStatementsRole;
        if (writes)
        {
            app.MapBatchesApi();
            app.MapBundlesApi();
        }
        app.MapAccountsApi(writes);
        app.MapBalancesApi();
        app.MapEntriesApi();
        app.MapHistoryCodesApi(writes);
        if (writes) app.MapSimulationsApi();
        else MapReadOnlyRefusals(app, runtime);
        app.MapPerfApi(app.Configuration);

        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = c => c.Tags.Contains("live"), ResponseWriter = ReadinessCheck.Write })
            .ExcludeFromDescription();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = ReadinessCheck.Write })
            .ExcludeFromDescription();
        app.MapMetrics("/metrics");
        app.MapOpenApi("/openapi/{documentName}.json");
        var auth = app.Services.GetRequiredService<IOptions<LedgerOptions>>().Value.Auth;
        app.MapScalarApiReference("/docs", o =>
        {
            // A private banking API: no AI chat, MCP, telemetry or the developer toolbar's cloud buttons (Deploy, Share).
            o.WithTitle("Ledger API").DisableDefaultFonts().WithOpenApiRoutePattern("/openapi/{documentName}.json")
                .DisableAgent().DisableMcp().DisableTelemetry().HideDeveloperTools();
            // The embedded demo clients (docs/contract.md section 5, demo only) prefilled, with the scopes demo-partner holds:
            // a token request for scopes a client lacks is refused, so "all scopes" (admin too) is no client's.
            if (auth.Clients is not { Count: > 0 } && string.Equals(auth.Mode, "Embedded", StringComparison.OrdinalIgnoreCase))
            {
                var demo = TokenServer.DemoClients[0];
                o.AddPreferredSecuritySchemes([OpenApiDocumentInfo.Scheme])
                    .AddClientCredentialsFlow(OpenApiDocumentInfo.Scheme, flow => flow
                        .WithClientId(demo.ClientId).WithClientSecret(demo.ClientSecret)
                        .WithSelectedScopes(demo.Scopes.Split(' ')));
            }
        });
    }
}

/// <summary>Ready once the ledger has recovered and rebuilt its read model, and not while it stops.</summary>
internal sealed class ReadinessCheck(LedgerRuntime runtime) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(runtime.IsReady
            ? runtime.Publisher?.PositionFault is { } publisher
                ? HealthCheckResult.Degraded($"the {publisher.Component} could not save its position since {publisher.AtUtc:O} ({publisher.Reason}); " +
                    "it retries and publishes again once it can; writes and reads are served")
                : HealthCheckResult.Healthy("ready")
            : runtime.WriteFault is { } fault ? HealthCheckResult.Unhealthy(fault.Component + " failed") : HealthCheckResult.Unhealthy("recovering or stopping"));

    /// <summary>200 "Healthy", or the Problem: <c>journal-failed</c> when the pipeline stopped on a failed write, else <c>not-ready</c>.</summary>
    public static Task Write(HttpContext context, HealthReport report)
    {
        var progress = context.RequestServices.GetRequiredService<LedgerRuntime>().FeedProgress;
        if (report.Status == HealthStatus.Healthy)
        {
            context.Response.ContentType = "text/plain";
            // A statements replica also says how far behind ledger.events it is (first word stays "Healthy" for probes).
            return context.Response.WriteAsync(progress is null ? "Healthy" : "Healthy: " + Describe(progress));
        }
        if (report.Status == HealthStatus.Degraded)
        {
            // Ready (200: writes and reads are served), saying which component cannot write: the Kafka publisher's position.
            context.Response.ContentType = "text/plain";
            return context.Response.WriteAsync("Degraded: " + string.Join("; ", report.Entries.Values.Where(e => e.Status == HealthStatus.Degraded).Select(e => e.Description)));
        }
        if (context.RequestServices.GetRequiredService<LedgerRuntime>().WriteFault is { } writeFault)
        {
            return ProblemResult.Write(context.Response, Api.HttpEdge.WriteRefusedBody(writeFault));
        }
        if (report.Entries.Values.FirstOrDefault(e => e.Exception is not null) is { Exception: { } fault })
        {
            return ProblemResult.Write(context.Response, Problem.Body(ProblemTypes.JournalFailed,
                $"The journal failed ({fault.Message}); the ledger stopped accepting commands. Restart the process: recovery cuts any torn tail."));
        }
        if (context.RequestServices.GetRequiredService<LedgerRuntime>().FeedFault is { } feedFault)
        {
            return ProblemResult.Write(context.Response, Problem.Body(ProblemTypes.NotReady, Api.HttpEdge.FeedStopped(feedFault)));
        }
        return ProblemResult.Write(context.Response, Problem.Body(ProblemTypes.NotReady, progress is null
            ? "The ledger is recovering or stopping."
            : "This statements replica is catching up with ledger.events (ready once it holds every partition up to its end offset at start): " + Describe(progress)));
    }

    /// <summary>How far a replica is, in one line: record, lag, each partition's held/end offsets.</summary>
    internal static string Describe(Kafka.FeedProgress p)
    {
        if (!p.Assigned) return "no partitions assigned yet.";
        var text = new System.Text.StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"journal record {p.Record}, sequence {p.LastSequence}; {p.RecordsBehind} records and {p.SecondsBehind:F1} s behind; {p.PendingEvents} events of {p.IncompleteRecords} records not yet whole held; partitions (held/end, end at start):");
        foreach (var x in p.Partitions) text.Append(CultureInfo.InvariantCulture, $" {x.Partition}={x.NextOffset}/{x.EndOffset} ({x.EndAtStart})");
        return text.Append('.').ToString();
    }
}

/// <summary>
/// Live unless the pipeline stopped on a failed journal write (fail-stop): the process then can never accept a command
/// again, so a supervisor must restart it. Recovering or draining is still live.
/// </summary>
internal sealed class LivenessCheck(LedgerRuntime runtime) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(runtime.Host?.Fault is { } fault && runtime.WriteFault is null // a write failure is probed and recovered in process
            ? HealthCheckResult.Unhealthy("journal-failed", fault)
            : HealthCheckResult.Healthy("live"));
}
