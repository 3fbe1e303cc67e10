// The Ledger gateway: REST on Kestrel over the single-writer engine. Registration and the pipeline live in
// Hosting/GatewayApp.cs; the composition of engine, journal and read model in Hosting/LedgerRuntime.cs.
using Ledger.Engine.Catalog;
using Ledger.Gateway.Hosting;

WebApplication app;
try
{
    app = GatewayApp.Build(args);
}
catch (Exception ex) when (ex is InvalidOperationException or CatalogException)
{
    // Bad configuration: one sentence saying what to fix, no stack trace.
    Console.Error.WriteLine($"Ledger gateway cannot start: {ex.Message}");
    return 1;
}
app.Run(); // SIGTERM/Ctrl+C: Kestrel drains, then the runtime drains the ring and stops
return Environment.ExitCode;

/// <summary>Entry point (public so tests can reference the assembly's app).</summary>
public partial class Program;
