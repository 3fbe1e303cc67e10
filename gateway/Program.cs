// The Ledger gateway: REST on Kestrel over the single-writer engine. Registration and the pipeline live in
// Hosting/GatewayApp.cs; the composition of engine, journal and read model in Hosting/LedgerRuntime.cs.
using Ledger.Gateway.Hosting;

var app = GatewayApp.Build(args);
app.Run(); // SIGTERM/Ctrl+C: Kestrel drains, then the runtime drains the ring and stops; exit code 0

/// <summary>Entry point (public so tests can reference the assembly's app).</summary>
public partial class Program;
