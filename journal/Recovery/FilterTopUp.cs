using Ledger.Journal.Entries;
using Microsoft.Extensions.Logging;

namespace Ledger.Journal.Recovery;

/// <summary>
/// Tops up the entry store's key filter after a start whose filter file lags the store's checkpoint (the file is saved
/// at the 30 s checkpoint, the store's checkpoint moves with every memtable flush): adds the keys of the journal records
/// between the file's coverage and the checkpoint recovery started from, then marks the filter complete; if those records
/// cannot be read, refills it from the store's keys. The records after that checkpoint need nothing: the replay and the
/// pipeline write them through the store writer, which adds their keys.
/// <para>The service runs it on its own thread once the ledger is ready (<see cref="Start"/>, owned by
/// <see cref="LedgerStore"/>, stopped and awaited before the store closes); tools run it in line (<see cref="Run"/>).
/// Until it completes the filter is not trusted for "absent" (every lookup goes to RocksDB, as without a filter) and
/// its file is not rewritten (<see cref="EntryStore.Checkpoint"/>), so a crash meanwhile leaves the old file and the
/// next start tops up again.</para>
/// Usage: <c>using var topUp = FilterTopUp.Start(log, store, checkpoint, logger, hold: null); ... topUp.Dispose();</c>
/// </summary>
public sealed class FilterTopUp : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Thread _thread;
    private bool _disposed;

    private FilterTopUp(JournalLog log, EntryStore store, StoreCheckpoint checkpoint, ILogger? logger, WaitHandle? hold)
    {
        var token = _stop.Token;
        _thread = new Thread(() => Background(log, store, checkpoint, logger, hold, token))
        {
            Name = "key filter top-up",
            IsBackground = true,
            Priority = ThreadPriority.BelowNormal, // start-up work the pipeline must not wait for
        };
    }

    /// <summary>Completes when the top-up ended: done, stopped, or failed (then logged; the filter stays incomplete, lookups go to RocksDB).</summary>
    public Task Completion => _done.Task;

    /// <summary>
    /// Starts topping up <paramref name="store"/>'s filter up to <paramref name="checkpoint"/> (the one recovery started
    /// from) on its own thread. <paramref name="hold"/> (tests): the thread waits for it to be set before it begins.
    /// </summary>
    public static FilterTopUp Start(JournalLog log, EntryStore store, StoreCheckpoint checkpoint, ILogger? logger, WaitHandle? hold)
    {
        var topUp = new FilterTopUp(log, store, checkpoint, logger, hold);
        topUp._thread.Start();
        return topUp;
    }

    private void Background(JournalLog log, EntryStore store, StoreCheckpoint checkpoint, ILogger? logger, WaitHandle? hold, CancellationToken token)
    {
        try
        {
            if (hold is not null && WaitHandle.WaitAny([hold, token.WaitHandle]) == 1) return;
            Run(log, store, checkpoint, logger, token);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // stopped (the store closes): the filter stays incomplete, its old file stays, the next start tops up again
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            logger?.LogError(ex, "The key filter's top-up failed; lookups keep going to the entry store (correct, slower) until the next start tops it up again.");
        }
        finally
        {
            _done.TrySetResult();
        }
    }

    /// <summary>
    /// Adds to the store's key filter the keys of the journal records between the filter's last save and
    /// <paramref name="checkpoint"/> (at most a checkpoint interval of them), then marks it complete; if those records cannot
    /// be read, refills it from the store.
    /// Returns the time it took, in <see cref="System.Diagnostics.Stopwatch"/> ticks.
    /// </summary>
    public static long Run(JournalLog log, EntryStore store, StoreCheckpoint checkpoint, ILogger? logger, CancellationToken cancel = default)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var filter = store.Filter;
        Span<byte> id = stackalloc byte[Engine.State.EntryKeys.LengthMax];
        Span<byte> key = stackalloc byte[StoreCodec.KeyBytesMax];
        long added = 0;
        bool complete = false;
        long from = filter.Covered + 1;
        if (store.FilterNextAddress >= log.StartAddress)
        {
            using var cursor = new JournalCursor(log, store.FilterNextAddress, from, 0, follow: false);
            var record = new JournalRecord();
            while (cursor.TryRead(record) == ReadOutcome.Record && record.RecordNumber <= checkpoint.RecordNumber)
            {
                if ((record.RecordNumber & 0xFF) == 0) cancel.ThrowIfCancellationRequested();
                var c = record.Command;
                for (int i = 0; i < c.EntryCount; i++)
                {
                    ref readonly var e = ref c.Entries[i];
                    int length = Engine.State.EntryKeys.Normalize(e.CorrelationId, id);
                    if (length > 0)
                    {
                        filter.Add(KeyFilter.HashOf(key[..StoreCodec.EntryKey(e.Account.Packed, id[..length], key)]));
                        added++;
                    }
                }
                if (c.BundleId is not null && Engine.State.EntryKeys.Normalize(c.BundleId, id) is var b and > 0)
                {
                    filter.Add(KeyFilter.HashOf(key[..StoreCodec.EntryKey(Engine.State.EntryKeys.BundleAccount, id[..b], key)]));
                    added++;
                }
                if (record.RecordNumber == checkpoint.RecordNumber) complete = true;
            }
        }
        filter.Count(added);
        if (complete)
        {
            store.FilterCovers(checkpoint.RecordNumber);
            if (logger?.IsEnabled(LogLevel.Information) == true) logger.LogInformation("Key filter topped up from the journal with {Keys} keys (records {From}..{To}) in {Seconds:0.000} s.", added, from, checkpoint.RecordNumber, clock.Elapsed.TotalSeconds);
        }
        else
        {
            long keys = store.RebuildFilter(cancel);
            logger?.LogWarning("Key filter refilled from the entry store ({Keys} keys): the journal after its last save could not be read.", keys);
        }
        return clock.ElapsedTicks;
    }

    /// <summary>Stops the top-up (it ends at its next record) and waits for its thread. Call before the store closes.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _stop.Cancel();
        _thread.Join();
        _stop.Dispose();
    }
}
