using Ledger.Engine.Commands;
using Ledger.Engine.Ring;

namespace Ledger.Engine.Hosting;

/// <summary>Shared between stages: the first journal failure, after which nothing is acknowledged.</summary>
internal sealed class PipelineFault
{
    private Exception? _fault;
    public Exception? Value => Volatile.Read(ref _fault);
    public void Set(Exception fault) => Interlocked.CompareExchange(ref _fault, fault, null);
}

/// <summary>Stage 1 (engine thread): decide. No I/O here.</summary>
internal struct EngineStage(LedgerEngine engine, PipelineFault fault) : IBatchHandler<CommandSlot>
{
    public void OnEvent(ref CommandSlot slot, long sequence, bool endOfBatch)
    {
        if (fault.Value is null) engine.Apply(slot.Command!);
    }
}

/// <summary>Stage 2 (journal thread): append what changed, commit once per drained batch.</summary>
internal struct JournalStage(ICommandJournal journal, PipelineFault fault) : IBatchHandler<CommandSlot>
{
    private int _appended;

    public void OnEvent(ref CommandSlot slot, long sequence, bool endOfBatch)
    {
        if (fault.Value is not null) return;
        try
        {
            var command = slot.Command!;
            if (command.ChangedState)
            {
                journal.Append(command);
                _appended++;
            }
            if (endOfBatch && _appended > 0)
            {
                journal.Commit();
                _appended = 0;
            }
        }
        catch (Exception ex)
        {
            fault.Set(ex); // fail-stop: this batch and everything after is refused, never acknowledged
        }
    }
}

/// <summary>Stage 3 (publish thread): feed sinks, then release the producers.</summary>
internal struct PublishStage(ICommittedCommandSink[] sinks, PipelineFault fault) : IBatchHandler<CommandSlot>
{
    public void OnEvent(ref CommandSlot slot, long sequence, bool endOfBatch)
    {
        var command = slot.Command!;
        slot.Command = null;
        var failure = fault.Value;
        if (failure is not null)
        {
            command.Fail(new JournalFailedException(failure));
            return;
        }
        foreach (var sink in sinks) sink.OnCommitted(command);
        command.Complete();
    }
}

/// <summary>The journal failed; the command was not acknowledged and the host has stopped (fail-stop).</summary>
public sealed class JournalFailedException(Exception inner)
    : Exception("The journal failed; the ledger stopped without acknowledging this command.", inner);
