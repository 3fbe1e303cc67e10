using Ledger.Engine.Commands;
using Ledger.Engine.Hosting;

namespace Ledger.Simulator;

/// <summary>
/// The journal seam: passes everything to the real journal and, when armed, runs an action right after the next commit
/// returned and before the journal stage answers (the "power cut between the commit and the answer" point). The action
/// runs on the journal thread while the store and read stages wait behind it.
/// </summary>
internal sealed class FaultJournal(ICommandJournal inner) : ICommandJournal
{
    private Action? _afterCommit;

    public void Arm(Action afterCommit) => Volatile.Write(ref _afterCommit, afterCommit);

    /// <summary>Disarms; true if the action had not run.</summary>
    public bool Disarm() => Interlocked.Exchange(ref _afterCommit, null) is not null;

    public void Append(LedgerCommand command) => inner.Append(command);

    public void Commit()
    {
        inner.Commit();
        Interlocked.Exchange(ref _afterCommit, null)?.Invoke();
    }
}
