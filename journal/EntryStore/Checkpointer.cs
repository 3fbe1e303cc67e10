using Microsoft.Extensions.Logging;

namespace Ledger.Journal.EntryStore;

/// <summary>
/// Checkpoints the entry store every <see cref="EntryStoreSettings.CheckpointEvery"/> on its own thread: a memtable
/// flush, which makes the store's cut durable so a restart replays at most that much journal. The pipeline threads take
/// no part (RocksDB keeps accepting writes into a new memtable meanwhile). A failure is logged and kept in
/// <see cref="LastError"/>; the ledger keeps running (the journal alone is enough to recover), and the next tick tries again.
/// Usage: <c>store.Checkpoints.Start(); ... store.Checkpoints.Stop();</c>
/// </summary>
public sealed class Checkpointer : IDisposable
{
    private readonly EntryStore _store;
    private readonly ILogger? _logger;
    private readonly CancellationTokenSource _stop = new();
    private Thread? _thread;
    private Exception? _error;

    internal Checkpointer(EntryStore store, ILogger? logger)
    {
        _store = store;
        _logger = logger;
    }

    /// <summary>The last checkpoint failure, or null.</summary>
    public Exception? LastError => Volatile.Read(ref _error);

    public void Start()
    {
        if (_thread is not null) throw new InvalidOperationException("The checkpointer is already started.");
        var token = _stop.Token;
        _thread = new Thread(() => Run(token)) { Name = "ledger-checkpoint", IsBackground = true };
        _thread.Start();
    }

    private void Run(CancellationToken token)
    {
        while (!token.WaitHandle.WaitOne(_store.Settings.CheckpointEvery))
        {
            if (_store.DurableWatermark == _store.Watermark) continue; // nothing new
            try
            {
                _store.Checkpoint();
                Volatile.Write(ref _error, null);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Volatile.Write(ref _error, ex);
                _logger?.LogError(ex, "Entry store checkpoint failed; the journal still has everything, a restart replays more of it.");
            }
        }
    }

    public void Stop()
    {
        if (_thread is null) return;
        _stop.Cancel();
        _thread.Join();
        _thread = null;
    }

    public void Dispose()
    {
        Stop();
        _stop.Dispose();
    }
}
