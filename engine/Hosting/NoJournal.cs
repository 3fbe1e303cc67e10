using Ledger.Engine.Commands;

namespace Ledger.Engine.Hosting;

/// <summary>A journal that keeps nothing: for benchmarks of the engine and ring alone, and tests of them.</summary>
public sealed class NoJournal : ICommandJournal
{
    public void Append(LedgerCommand command) { }
    public void Commit() { }
}
