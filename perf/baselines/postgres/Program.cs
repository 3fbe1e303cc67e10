// The PostgreSQL baseline (docs/perf.md, "Baselines"):
//   dotnet Ledger.Baselines.Postgres.dll --urls=http://127.0.0.1:8094 --Postgres:ConnectionString="Host=127.0.0.1;Port=55432;Username=postgres"
var app = await Ledger.Baselines.Postgres.PostgresApp.BuildAsync(args);
await app.RunAsync();
