using BenchmarkDotNet.Running;

// The gateway (referenced by the codec benches) has a top-level Program too: name this assembly by one of its benchmarks.
BenchmarkSwitcher.FromAssembly(typeof(Ledger.Benchmarks.EngineApplyBenchmarks).Assembly).Run(args);
