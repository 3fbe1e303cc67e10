using Ledger.Engine.Commands;

namespace Ledger.Engine.Hosting;

/// <summary>A ring slot: a reference to the (pooled) command travelling through the pipeline.</summary>
public struct CommandSlot
{
    public LedgerCommand? Command;
}
