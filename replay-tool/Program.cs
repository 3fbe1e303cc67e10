using System.CommandLine;
using Ledger.ReplayTool;
using Ledger.ReplayTool.Commands;

// ledger-replay: the operators' tool after a failover. It reads a data directory strictly read-only (the journal is
// opened read-only, nothing is ever cut or written there) and goes through the same journal and engine code as the
// service: one recovery path, not two.
var root = new RootCommand("Ledger replay-tool: verify, replay and query a ledger's journal without running the service. " + ExitCodes.Help)
{
    VerifyCommand.Build(),
    ReplayCommand.Build(),
    BalancesCommand.Build(),
    StatementCommand.Build(),
    DiffCommand.Build(),
};
return root.Parse(args).Invoke();
