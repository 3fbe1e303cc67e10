// Placeholder until the operators' replay-tool lands (issue 3).
Console.Error.WriteLine("ledger-replay: not built yet (see issue 3).");
return 2;
