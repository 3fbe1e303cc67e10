// ledger-bench: see Cli for the options and exit codes, docs/perf.md for how run-perf.sh uses it.
return await Ledger.Bench.Cli.RunAsync(args);
