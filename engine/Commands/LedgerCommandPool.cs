using System.Collections.Concurrent;

namespace Ledger.Engine.Commands;

/// <summary>
/// A bounded pool of reusable commands, so steady-state ingress allocates no command objects.
/// Past <see cref="Capacity"/> retained instances, returned ones are dropped for the GC. A command the producer returns
/// while the pipeline still reads it (it is answered after the journal commit, before the stores) is recycled by the
/// pipeline's last stage instead (see <see cref="LedgerCommand"/>).
/// </summary>
public sealed class LedgerCommandPool(int capacity = 4096)
{
    private readonly ConcurrentQueue<LedgerCommand> _free = new();
    private int _count;

    public int Capacity { get; } = capacity;

    public LedgerCommand Rent()
    {
        if (_free.TryDequeue(out var command))
        {
            Interlocked.Decrement(ref _count);
            return command;
        }
        return new LedgerCommand { Pool = this };
    }

    /// <summary>The producer is done with the command (it read the answer): recycled now, or by the pipeline once it lets go.</summary>
    public void Return(LedgerCommand command)
    {
        command.Pool ??= this; // a command made with new is adopted
        Invariant.That(command.Pool == this, "a command was returned to a pool it does not belong to");
        if (command.ReturnFromProducer()) Recycle(command);
    }

    internal void Recycle(LedgerCommand command)
    {
        command.Reset();
        if (Interlocked.Increment(ref _count) <= Capacity) _free.Enqueue(command);
        else Interlocked.Decrement(ref _count);
    }
}
