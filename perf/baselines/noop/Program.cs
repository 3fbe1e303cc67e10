// The no-op baseline (docs/perf.md, "Baselines"): dotnet Ledger.Baselines.NoOp.dll --urls=http://127.0.0.1:8092 [--NoOp:Mode=Track]
var app = Ledger.Baselines.NoOp.NoOpApp.Build(args);
await app.RunAsync();
