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
    private int _failNext;

    /// <summary>The next commit throws, as a full disk makes it; true once it has.</summary>
    public void ArmFailure() => Volatile.Write(ref _failNext, 1);

    public void DisarmFailure() => Volatile.Write(ref _failNext, 0);

    public bool Failed { get; private set; }

    public void Arm(Action afterCommit) => Volatile.Write(ref _afterCommit, afterCommit);

    /// <summary>Disarms; true if the action had not run.</summary>
    public bool Disarm() => Interlocked.Exchange(ref _afterCommit, null) is not null;

    public void Append(LedgerCommand command) => inner.Append(command);

    public void Commit()
    {
        if (Interlocked.Exchange(ref _failNext, 0) == 1)
        {
            Failed = true;
            throw new IOException("No space left on device (simulated)");
        }
        inner.Commit();
        Interlocked.Exchange(ref _afterCommit, null)?.Invoke();
    }
}

/// <summary>The entry store's writer seam: when armed, the next end of batch throws (the store cannot flush or write).</summary>
internal sealed class FaultStoreWriter(IEntryStoreWriter inner) : IEntryStoreWriter
{
    private int _failNext;

    public bool Failed { get; private set; }

    public void ArmFailure() => Volatile.Write(ref _failNext, 1);

    public void DisarmFailure() => Volatile.Write(ref _failNext, 0);

    public void Add(LedgerCommand command) => inner.Add(command);

    public void EndOfBatch()
    {
        if (Interlocked.Exchange(ref _failNext, 0) == 1)
        {
            Failed = true;
            throw new IOException("No space left on device (simulated, entry store)");
        }
        inner.EndOfBatch();
    }
}

/// <summary>The read store's feed seam: when armed, the next end of batch throws.</summary>
internal sealed class FaultReadSink(ICommittedCommandSink inner) : ICommittedCommandSink
{
    private int _failNext;

    public bool Failed { get; private set; }

    public void ArmFailure() => Volatile.Write(ref _failNext, 1);

    public void DisarmFailure() => Volatile.Write(ref _failNext, 0);

    public void OnCommitted(LedgerCommand command) => inner.OnCommitted(command);

    public void EndOfBatch()
    {
        if (Interlocked.Exchange(ref _failNext, 0) == 1)
        {
            Failed = true;
            throw new IOException("No space left on device (simulated, read store)");
        }
        inner.EndOfBatch();
    }
}
