using System.Collections.Concurrent;

namespace Ledger.Engine.Commands;

/// <summary>
/// A bounded pool of reusable commands, so steady-state ingress allocates no command objects.
/// Past <see cref="Capacity"/> retained instances, returned ones are dropped for the GC.
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
        return new LedgerCommand();
    }

    public void Return(LedgerCommand command)
    {
        command.Reset();
        if (Interlocked.Increment(ref _count) <= Capacity) _free.Enqueue(command);
        else Interlocked.Decrement(ref _count);
    }
}
