using Ledger.Engine.Catalog;
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
/// What a batching stage does with a drained batch: <see cref="Add"/> for each command, <see cref="EndOfBatch"/> once
/// after the last (one store read, one group commit, one store write), then <see cref="HandOver"/> with the whole batch
/// (answers). <see cref="BatchingStage{TStep}"/> runs it; a struct, so the calls are direct.
/// </summary>
internal interface IBatchStep
{
    /// <summary>True when the step hands the batch over (<see cref="HandOver"/> is called and the stage keeps the batch's commands for it).</summary>
    static abstract bool HandsOver { get; }

    /// <summary>One command of the batch; true when it gave <see cref="EndOfBatch"/> something to do.</summary>
    bool Add(LedgerCommand command);

    /// <summary>After the batch's last <see cref="Add"/>, when one of them returned true.</summary>
    void EndOfBatch();

    /// <summary>Every command of the batch, in order, after <see cref="EndOfBatch"/>, also when the pipeline failed (<paramref name="failure"/>).</summary>
    void HandOver(ReadOnlySpan<LedgerCommand> batch, Exception? failure);
}

/// <summary>
/// The one shape of the pipeline's batching stages (prefetch, journal, store): each command of a drained batch is
/// added, the batch is finished once, then handed over. After the first failure anywhere (<see cref="PipelineFault"/>)
/// nothing is added or finished any more, but the batch is still handed over, with the failure. Fail-stop: whatever
/// the step throws becomes the pipeline's failure. A struct over a struct step: no virtual call, no allocation per batch.
/// </summary>
internal struct BatchingStage<TStep>(TStep step, PipelineFault fault, int batchMax) : IBatchHandler<CommandSlot>
    where TStep : struct, IBatchStep
{
    private TStep _step = step;
    private readonly LedgerCommand[] _batch = TStep.HandsOver ? new LedgerCommand[batchMax] : [];
    private int _count;
    private bool _pending;

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031:Do not catch general exception types",
        Justification = "Fail-stop: whatever a stage throws stops the pipeline (PipelineFault) and no later command is acknowledged.")]
    public void OnEvent(ref CommandSlot slot, long sequence, bool endOfBatch)
    {
        var command = slot.Command!;
        if (TStep.HandsOver) _batch[_count++] = command;
        if (fault.Value is null)
        {
            try
            {
                if (_step.Add(command)) _pending = true;
                if (endOfBatch && _pending)
                {
                    _pending = false;
                    _step.EndOfBatch();
                }
            }
            catch (Exception ex)
            {
                fault.Set(ex); // fail-stop: this batch and everything after is refused, never acknowledged
            }
        }
        if (!endOfBatch) return;
        _pending = false;
        if (!TStep.HandsOver) return;
        _step.HandOver(_batch.AsSpan(0, _count), fault.Value);
        Array.Clear(_batch, 0, _count);
        _count = 0;
    }
}

/// <summary>
/// Stage 0 (prefetch thread): the one owner of which fees are in force. It follows the catalogs in ring order (the one
/// in force when the first command came, then each LoadCatalog's from the next command on, as the engine installs
/// them), so for each command it knows the catalog the engine will decide it under: it stamps whether a fee may be
/// posted (<see cref="LedgerCommand.FeesInForce"/>, so a ledger without fees looks up no fee keys for new entries),
/// derives the fee ids the engine will post with (<see cref="LedgerCommand.DeriveLedgerFeeIds"/> before the lookups,
/// <see cref="LedgerCommand.DeriveReversalFeeIds"/> after them, from what the store holds), and reads from the entry
/// store what each command names, batched per drained batch (the engine must not decide without it). Without an entry
/// store it only derives, on the engine's thread, before the engine. It allocates only the fee ids themselves: nothing
/// for a command that cannot post a fee.
/// </summary>
internal struct PrefetchStep(IEntryPrefetcher? prefetcher, LedgerEngine engine) : IBatchStep
{
    private HistoryCatalog? _catalog;
    // Some catalog in force since the host started had a fee, or the engine had posted one before: an entry the engine
    // holds and the store does not may carry a fee (the store answers for the entries it holds).
    private bool _feesSeen;

    public static bool HandsOver => true;

    public bool Add(LedgerCommand command)
    {
        // The first command: the engine has decided nothing from the ring yet (it runs behind this stage), so its
        // catalog is the one in force.
        if (_catalog is null)
        {
            _catalog = engine.Catalog;
            _feesSeen = _catalog.HasFees || engine.FeesPosted > 0;
        }
        if (command.Kind == CommandKind.LoadCatalog)
        {
            if (command.Catalog is { } next) _catalog = next; // null: the engine stops on it (an invariant)
            _feesSeen |= _catalog.HasFees;
        }
        else
        {
            command.FeesInForce = _catalog.HasFees;
            command.DeriveLedgerFeeIds(_catalog);
        }
        if (prefetcher is null) return false;
        prefetcher.Add(command);
        return true;
    }

    public void EndOfBatch() => prefetcher!.EndOfBatch();

    /// <summary>After the lookups (or, after a failure, whatever they hold: the engine decides nothing then).</summary>
    public void HandOver(ReadOnlySpan<LedgerCommand> batch, Exception? failure)
    {
        foreach (var command in batch) command.DeriveReversalFeeIds(_feesSeen);
    }
}

/// <summary>Stage 1 (engine thread): decide. No I/O here.</summary>
internal struct EngineStage(LedgerEngine engine, PipelineFault fault) : IBatchHandler<CommandSlot>
{
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
internal struct JournalStep(ICommandJournal journal, InFlight inFlight) : IBatchStep
{
    private long _lastRecord;    // the last record appended; once the batch's commit returned, the last durable one
    private int _added;          // commands of the batch given to Add (all of them while the pipeline had not failed)
    private int _durable;        // of those, how many the last commit covers: they are answered whatever fails after it

    public static bool HandsOver => true;

    public bool Add(LedgerCommand command)
    {
        _added++;
        if (!command.ChangedState) return false;
        journal.Append(command);
        _lastRecord = command.RecordNumber;
        return true;
    }

    public void EndOfBatch()
    {
        journal.Commit();
        _durable = _added;
    }

    /// <summary>
    /// Answers the batch. A command the commit covered is durable and is acknowledged even when another stage failed
    /// after the commit returned (refusing it would say "not applied" of what a restart applies); the rest of a failed
    /// batch is refused, never acknowledged. Whatever is acknowledged ends at <c>_lastRecord</c>: without a failure every
    /// record added was committed, and after one only a batch whose commit returned is acknowledged, and its commit came
    /// after its last <see cref="Add"/>.
    /// </summary>
    public void HandOver(ReadOnlySpan<LedgerCommand> batch, Exception? failure)
    {
        int acknowledged = failure is null ? batch.Length : _durable;
        if (acknowledged > 0 && _lastRecord > 0) Volatile.Write(ref inFlight.AcknowledgedRecord, _lastRecord); // before any answer: a read after it waits for it
        for (int i = 0; i < batch.Length; i++)
        {
            if (i < acknowledged) batch[i].Complete();
            else batch[i].Fail(new JournalFailedException(failure!));
        }
        _added = 0;
        _durable = 0;
    }
}

/// <summary>
/// Stage 3 (store thread): write what each committed command changed into the entry store, once per drained batch. A
/// failure stops the pipeline: the store's watermark would stop while the engine goes on (a restart rebuilds it from the journal).
/// </summary>
internal readonly struct StoreStep(IEntryStoreWriter writer) : IBatchStep
{
    public static bool HandsOver => false;

    public bool Add(LedgerCommand command)
    {
        if (!command.ChangedState) return false;
        writer.Add(command);
        return true;
    }

    public void EndOfBatch() => writer.EndOfBatch();

    public void HandOver(ReadOnlySpan<LedgerCommand> batch, Exception? failure) { }
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
