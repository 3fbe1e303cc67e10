using Ledger.Engine.Commands;
using Ledger.Engine.Hosting;

namespace Ledger.Testing;

/// <summary>
/// The entry store's writer, held at the end of each batch while the gate is closed (answers come after the journal, so
/// commands go on being acknowledged meanwhile). Counts the largest batch it passed on.
/// Usage: <c>runtime.WrapStoreWriter = writer => new HeldStoreWriter(writer, gate);</c>
/// </summary>
public sealed class HeldStoreWriter(IEntryStoreWriter inner, ManualResetEventSlim gate) : IEntryStoreWriter
{
    private int _batch;

    /// <summary>The most commands one batch held.</summary>
    public int LargestBatch { get; private set; }

    public void Add(LedgerCommand command)
    {
        inner.Add(command);
        LargestBatch = Math.Max(LargestBatch, ++_batch);
    }

    public void EndOfBatch()
    {
        gate.Wait();
        inner.EndOfBatch();
        _batch = 0;
    }
}

/// <summary>The read store's feed, held at the end of each batch while the gate is closed.</summary>
public sealed class HeldSink(ICommittedCommandSink inner, ManualResetEventSlim gate) : ICommittedCommandSink
{
    public void OnCommitted(LedgerCommand command) => inner.OnCommitted(command);

    public void EndOfBatch()
    {
        gate.Wait();
        inner.EndOfBatch();
    }
}
