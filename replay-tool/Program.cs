using System.CommandLine;
using Ledger.ReplayTool;
using Ledger.ReplayTool.Commands;

// ledger-replay: the operators' tool after a failover. verify, replay, balances, statement and diff read a data
// directory strictly read-only (journal and entry store opened read-only, nothing is ever cut or written there) and
// go through the same journal and engine code as the service: one recovery path, not two. archive and rebuild-store
// change the directory and take its lock (the service must be stopped).
var root = new RootCommand("Ledger replay-tool: verify, replay and query a ledger's journal without running the service. " + ExitCodes.Help)
{
    VerifyCommand.Build(),
    ReplayCommand.Build(),
    BalancesCommand.Build(),
    StatementCommand.Build(),
    DiffCommand.Build(),
    ArchiveCommand.Build(),
    RebuildStoreCommand.Build(),
    WhatIfCommand.Build(),
};
return root.Parse(args).Invoke();
