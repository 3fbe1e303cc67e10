using Ledger.Engine.Commands;
using Ledger.Engine.Ring;

namespace Ledger.Engine.Hosting;

/// <summary>Shared between stages: the first failure (journal, store, prefetch), after which nothing is acknowledged.</summary>
internal sealed class PipelineFault
{
    private Exception? _fault;
    public Exception? Value => Volatile.Read(ref _fault);
    public void Set(Exception fault) => Interlocked.CompareExchange(ref _fault, fault, null);
}

/// <summary>
/// Shared between stages: entries published but not yet released (the bound that keeps the engine's cache bounded, so
/// it is released only after the last stage), and the last journal record acknowledged (reads wait for the read side to
/// reach it: read-your-writes).
/// </summary>
internal sealed class InFlight
{
    public long Entries;
    public long AcknowledgedRecord;
}

/// <summary>
/// Stage 0 (prefetch thread): read from the entry store what each command names, batched per drained batch. It follows
/// the catalogs in ring order (the one in force when the first command came, then each LoadCatalog's from the next
/// command on, as the engine installs them) and tells each command whether a fee may be posted under its catalog
/// (<see cref="LedgerCommand.FeesInForce"/>), so a ledger without fees looks up no fee keys for new entries.
/// </summary>
internal struct PrefetchStage(IEntryPrefetcher prefetcher, PipelineFault fault, LedgerEngine engine) : IBatchHandler<CommandSlot>
{
    private bool _catalogKnown;
    private bool _feesInForce;

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031:Do not catch general exception types",
        Justification = "Fail-stop: whatever a stage throws stops the pipeline (PipelineFault) and no later command is acknowledged.")]
    public void OnEvent(ref CommandSlot slot, long sequence, bool endOfBatch)
    {
        if (fault.Value is not null) return;
        try
        {
            var command = slot.Command!;
            // The first command: the engine has decided nothing from the ring yet (it runs behind this stage), so its
            // catalog is the one in force.
            if (!_catalogKnown)
            {
                _feesInForce = engine.Catalog.HasFees;
                _catalogKnown = true;
            }
            if (command.Kind == CommandKind.LoadCatalog) _feesInForce = command.Catalog?.HasFees ?? true;
            else command.FeesInForce = _feesInForce;
            prefetcher.Add(command);
            if (endOfBatch) prefetcher.EndOfBatch();
        }
        catch (Exception ex)
        {
            fault.Set(ex); // the engine must not decide without what the store holds: stop
        }
    }
}

/// <summary>Stage 1 (engine thread): decide. No I/O here.</summary>
internal struct EngineStage(LedgerEngine engine, PipelineFault fault) : IBatchHandler<CommandSlot>
{
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031:Do not catch general exception types",
        Justification = "Fail-stop: whatever a stage throws stops the pipeline (PipelineFault) and no later command is acknowledged.")]
    public void OnEvent(ref CommandSlot slot, long sequence, bool endOfBatch)
    {
        if (fault.Value is null) engine.Apply(slot.Command!);
    }
}

/// <summary>
/// Stage 2 (journal thread): append what changed, commit once per drained batch, then answer every producer of the
/// batch (the journal is the write-ahead log: a command is durable when its commit returned). Commands that changed
/// nothing (an idempotent replay, a refusal before the ledger) are answered with their batch too, so no answer ever
/// overtakes the commit of something it relies on. A failed write answers the batch with the failure and stops the host.
/// </summary>
internal struct JournalStage(ICommandJournal journal, PipelineFault fault, InFlight inFlight, int batchMax) : IBatchHandler<CommandSlot>
{
    private readonly LedgerCommand[] _batch = new LedgerCommand[batchMax];
    private int _count;
    private int _appended;
    private long _lastRecord;

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031:Do not catch general exception types",
        Justification = "Fail-stop: whatever a stage throws stops the pipeline (PipelineFault) and no later command is acknowledged.")]
    public void OnEvent(ref CommandSlot slot, long sequence, bool endOfBatch)
    {
        var command = slot.Command!;
        _batch[_count++] = command;
        if (fault.Value is null)
        {
            try
            {
                if (command.ChangedState)
                {
                    journal.Append(command);
                    _lastRecord = command.RecordNumber;
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
        if (endOfBatch) Answer();
    }

    private void Answer()
    {
        var failure = fault.Value;
        if (failure is null && _lastRecord > 0) Volatile.Write(ref inFlight.AcknowledgedRecord, _lastRecord); // before any answer: a read after it waits for it
        for (int i = 0; i < _count; i++)
        {
            var c = _batch[i];
            _batch[i] = null!;
            if (failure is not null) c.Fail(new JournalFailedException(failure));
            else c.Complete();
        }
        _count = 0;
    }
}

/// <summary>Stage 3 (store thread): write what each committed command changed into the entry store, once per drained batch.</summary>
internal struct StoreStage(IEntryStoreWriter writer, PipelineFault fault) : IBatchHandler<CommandSlot>
{
    private int _added;

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031:Do not catch general exception types",
        Justification = "Fail-stop: whatever a stage throws stops the pipeline (PipelineFault) and no later command is acknowledged.")]
    public void OnEvent(ref CommandSlot slot, long sequence, bool endOfBatch)
    {
        if (fault.Value is not null) return;
        try
        {
            var command = slot.Command!;
            if (command.ChangedState)
            {
                writer.Add(command);
                _added++;
            }
            if (endOfBatch && _added > 0)
            {
                writer.EndOfBatch();
                _added = 0;
            }
        }
        catch (Exception ex)
        {
            fault.Set(ex); // the store's watermark would stop while the engine goes on: stop instead (restart rebuilds it from the journal)
        }
    }
}

/// <summary>
/// Stage 4 (publish thread), behind the answers: feed the sinks (read side, metrics) every acknowledged command of a
/// batch, let them finish it, then let go of the commands (back to their pools) and of their entries in flight. A
/// journal failure does not stop it: what was acknowledged before it is durable and stays readable. A sink that fails
/// stops the feeding (and the host: fail-stop).
/// </summary>
internal sealed class PublishStage(ICommittedCommandSink[] sinks, PipelineFault fault, InFlight inFlight, int batchMax) : IBatchHandler<CommandSlot>
{
    private readonly LedgerCommand[] _batch = new LedgerCommand[batchMax];
    private int _count;
    private bool _sinksFailed;

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031:Do not catch general exception types",
        Justification = "Fail-stop: whatever a stage throws stops the pipeline (PipelineFault) and no later command is acknowledged.")]
    public void OnEvent(ref CommandSlot slot, long sequence, bool endOfBatch)
    {
        var command = slot.Command!;
        slot.Command = null;
        if (!_sinksFailed && command.Failure is null)
        {
            foreach (var sink in sinks) sink.OnCommitted(command);
        }
        _batch[_count++] = command;
        if (!endOfBatch) return;
        if (!_sinksFailed)
        {
            try
            {
                foreach (var sink in sinks) sink.EndOfBatch();
            }
            catch (Exception ex)
            {
                _sinksFailed = true;
                fault.Set(ex); // a read side that cannot take the batch would leave reads waiting for ever: stop
            }
        }
        for (int i = 0; i < _count; i++)
        {
            var c = _batch[i];
            _batch[i] = null!;
            long entries = EngineHost.InFlightWeight(c); // read before the command is recycled: what publish reserved
            c.ReleaseFromPipeline();
            Interlocked.Add(ref inFlight.Entries, -entries);
        }
        _count = 0;
    }
}

/// <summary>The struct handler the ring's processor wants, around the publish stage (which keeps its batch in an array).</summary>
internal struct PublishStageHandler(PublishStage stage) : IBatchHandler<CommandSlot>
{
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031:Do not catch general exception types",
        Justification = "Fail-stop: whatever a stage throws stops the pipeline (PipelineFault) and no later command is acknowledged.")]
    public void OnEvent(ref CommandSlot slot, long sequence, bool endOfBatch) => stage.OnEvent(ref slot, sequence, endOfBatch);
}

/// <summary>The journal (or the entry store behind it) failed; the command was not acknowledged and the host has stopped (fail-stop).</summary>
public sealed class JournalFailedException(Exception inner)
    : Exception("The journal or the entry store failed; the ledger stopped without acknowledging this command.", inner);
