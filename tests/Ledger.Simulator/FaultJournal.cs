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

    /// <summary>When armed, the next commit throws, as a full disk makes it.</summary>
    public ArmedFailure Failure { get; } = new("No space left on device (simulated)");

    public void Arm(Action afterCommit) => Volatile.Write(ref _afterCommit, afterCommit);

    /// <summary>Disarms; true if the action had not run.</summary>
    public bool Disarm() => Interlocked.Exchange(ref _afterCommit, null) is not null;

    private TaskCompletionSource? _held;
    private readonly ManualResetEventSlim _release = new(false);
    private bool _heldFails;

    /// <summary>The next commit is held (a slow fsync) until <see cref="Release"/>, then goes on or fails; the task completes once it is held.</summary>
    public Task ArmHold(bool fail)
    {
        _heldFails = fail;
        _release.Reset();
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _held, held);
        return held.Task;
    }

    /// <summary>Disarms the hold; true if no commit was held.</summary>
    public bool DisarmHold() => Interlocked.Exchange(ref _held, null) is not null;

    public void Release() => _release.Set();

    public void Append(LedgerCommand command) => inner.Append(command);

    public void Commit()
    {
        if (Interlocked.Exchange(ref _held, null) is { } held)
        {
            held.SetResult();
            _release.Wait(); // the journal thread, as in a slow fsync; the stages behind it wait too
            if (_heldFails) Failure.Throw("Input/output error (simulated: a slow commit that failed)");
        }
        Failure.ThrowIfArmed();
        inner.Commit();
        Interlocked.Exchange(ref _afterCommit, null)?.Invoke();
    }
}

/// <summary>The entry store's writer seam: when armed, the next end of batch throws (the store cannot flush or write).</summary>
internal sealed class FaultStoreWriter(IEntryStoreWriter inner) : IEntryStoreWriter
{
    public ArmedFailure Failure { get; } = new("No space left on device (simulated, entry store)");

    public void Add(LedgerCommand command) => inner.Add(command);

    public void EndOfBatch()
    {
        Failure.ThrowIfArmed();
        inner.EndOfBatch();
    }
}

/// <summary>The read store's feed seam: when armed, the next end of batch throws.</summary>
internal sealed class FaultReadSink(ICommittedCommandSink inner) : ICommittedCommandSink
{
    public ArmedFailure Failure { get; } = new("No space left on device (simulated, read store)");

    public void OnCommitted(LedgerCommand command) => inner.OnCommitted(command);

    public void EndOfBatch()
    {
        Failure.ThrowIfArmed();
        inner.EndOfBatch();
    }
}

/// <summary>The entry store's prefetch seam: when armed, the next end of batch throws before the reads complete (a read error).</summary>
internal sealed class FaultPrefetcher(IEntryPrefetcher inner) : IEntryPrefetcher
{
    public ArmedFailure Failure { get; } = new("Input/output error (simulated: an entry store read in the prefetch stage)");

    public void Add(LedgerCommand command) => inner.Add(command);

    public void EndOfBatch()
    {
        Failure.ThrowIfArmed();
        inner.EndOfBatch();
    }
}

/// <summary>A failure a seam throws once when armed (an <see cref="IOException"/>, as the disk gives it); <see cref="Fired"/> once it has.</summary>
internal sealed class ArmedFailure(string message)
{
    private int _armed;

    public bool Fired { get; private set; }

    public void Arm() => Volatile.Write(ref _armed, 1);

    public void Disarm() => Volatile.Write(ref _armed, 0);

    public void ThrowIfArmed()
    {
        if (Interlocked.Exchange(ref _armed, 0) == 1) Throw(message);
    }

    /// <summary>Throws now (a failure the seam decided otherwise, e.g. after holding a commit).</summary>
    public void Throw(string why)
    {
        Fired = true;
        throw new IOException(why);
    }
}
