using System.Text.Json.Serialization;
using Ledger.Engine;
using Ledger.Gateway.Api;
using Ledger.Gateway.Observability;
using Ledger.Gateway.Problems;
using Ledger.Gateway.Security;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Prometheus;
using Scalar.AspNetCore;

namespace Ledger.Gateway.Hosting;

/// <summary>
/// Builds the gateway: registration and the request pipeline, in one place that Program.cs and the tests share.
/// Usage: <c>var app = GatewayApp.Build(args); app.Run();</c>
/// </summary>
public static class GatewayApp
{
    /// <summary>The embedded default address (contract.md section 6); <c>--urls</c> or <c>ASPNETCORE_URLS</c> changes it.</summary>
    public const string DefaultUrl = "http://127.0.0.1:8080";

    /// <summary>The environment when none is named: the embedded defaults. <c>Production</c> is the profile with mTLS and an external authority.</summary>
    public const string DefaultEnvironment = "Embedded";

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
        if (options.Memory.Problem() is { } memory) throw new InvalidOperationException(memory);
        if (options.Checkpoint.EverySeconds < 1) throw new InvalidOperationException($"Ledger:Checkpoint:EverySeconds must be at least 1, not {options.Checkpoint.EverySeconds}.");
        if (builder.Configuration.GetSection(LedgerOptions.Section + ":Snapshot").Exists())
        {
            throw new InvalidOperationException(
                "Ledger:Snapshot:* is set, but the ledger no longer writes snapshots (the entry store's checkpoint is the cut): remove it, and use Ledger:Checkpoint:EverySeconds.");
        }
        if (!string.IsNullOrWhiteSpace(options.Kafka.BootstrapServers))
        {
            // Refuse rather than run without the Kafka ingress/egress an operator asked for.
            throw new InvalidOperationException(
                "Ledger:Kafka:BootstrapServers is set, but this build has no Kafka ingress or egress yet: unset it (REST is the only ingress).");
        }

        if (builder.Configuration["urls"] is null && !builder.Configuration.GetSection("Kestrel:Endpoints").Exists())
        {
            builder.WebHost.UseUrls(DefaultUrl);
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
        services.AddHostedService<LedgerRuntimeService>();
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));

        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, GatewayJsonContext.Default);
            o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
            o.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        });
        builder.AddLedgerSecurity(options);
        services.AddHealthChecks().AddCheck<ReadinessCheck>("ledger", tags: ["ready"]);
        services.AddOpenApi("v1", o => o.AddDocumentTransformer<OpenApiDocumentInfo>().AddOperationTransformer<OpenApiOperationSecurity>());
    }

    public static void UseLedgerGateway(this WebApplication app)
    {
        var runtime = app.Services.GetRequiredService<LedgerRuntime>();
        LedgerMetrics.RegisterScrapeCallback(runtime);

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
                _ => kind.Title + ".",
            };
            return ProblemResult.Write(response, Problem.Body(kind, detail));
        });

        app.UseRouting();
        app.UseHttpMetrics();
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();

        app.MapBatchesApi();
        app.MapBundlesApi();
        app.MapAccountsApi();
        app.MapBalancesApi();
        app.MapEntriesApi();
        app.MapPerfApi(app.Configuration);

        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = ReadinessCheck.Write })
            .ExcludeFromDescription();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = ReadinessCheck.Write })
            .ExcludeFromDescription();
        app.MapMetrics("/metrics");
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapScalarApiReference("/docs", o => o.WithTitle("Ledger API").DisableDefaultFonts().WithOpenApiRoutePattern("/openapi/{documentName}.json"));
    }
}

/// <summary>Ready once the ledger has recovered and rebuilt its read model, and not while it stops.</summary>
internal sealed class ReadinessCheck(LedgerRuntime runtime) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(runtime.IsReady ? HealthCheckResult.Healthy("ready") : HealthCheckResult.Unhealthy("recovering or stopping"));

    public static Task Write(HttpContext context, HealthReport report)
    {
        if (report.Status == HealthStatus.Healthy)
        {
            context.Response.ContentType = "text/plain";
            return context.Response.WriteAsync("Healthy");
        }
        return ProblemResult.Write(context.Response, Problem.Body(ProblemTypes.NotReady, "The ledger is recovering or stopping."));
    }
}
