// Placeholder until the REST gateway lands (issue 4): starts the engine on its embedded defaults.
using Ledger.Engine;
using Ledger.Engine.Hosting;
using Ledger.Journal.Catalog;

var catalog = HistoryCatalogFile.Load(HistoryCatalogFile.DefaultPath);
using var host = new EngineHost(new LedgerEngine(catalog), new NoJournal(), []);
host.Start();
Console.WriteLine($"Ledger engine ready: {catalog.Definitions.Count} history codes, ring of {host.RingSize} slots. Ctrl+C stops.");
var stop = new ManualResetEventSlim();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Set(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Set();
stop.Wait();
host.Stop();
