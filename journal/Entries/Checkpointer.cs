using Microsoft.Extensions.Logging;

namespace Ledger.Journal.Entries;

/// <summary>
/// Checkpoints a store derived from the journal (the entry store, the read store) every <c>every</c> on its own thread:
/// a memtable flush, which makes the store's checkpoint durable so a restart replays at most that much journal. The pipeline
/// threads take no part (RocksDB keeps accepting writes into a new memtable meanwhile). A failure is logged and kept in
/// <see cref="LastError"/>; the ledger keeps running (the journal alone is enough to recover), and the next tick tries again.
/// Usage: <c>store.Checkpoints.Start(); ... store.Checkpoints.Stop();</c>
/// </summary>
public sealed class Checkpointer : IDisposable
{
    private readonly string _name;
    private readonly Func<bool> _hasNew;
    private readonly Action _checkpoint;
    private readonly TimeSpan _every;
    private readonly ILogger? _logger;
    private readonly CancellationTokenSource _stop = new();
    private Thread? _thread;
    private Exception? _error;

    /// <param name="name">What is checkpointed (thread name and log lines).</param>
    /// <param name="hasNew">Whether anything was written since the last checkpoint.</param>
    /// <param name="checkpoint">The checkpoint itself.</param>
    /// <param name="every">How often.</param>
    /// <param name="logger">Where failures go.</param>
    public Checkpointer(string name, Func<bool> hasNew, Action checkpoint, TimeSpan every, ILogger? logger)
    {
        _name = name;
        _hasNew = hasNew;
        _checkpoint = checkpoint;
        _every = every;
        _logger = logger;
    }

    /// <summary>The last checkpoint failure, or null.</summary>
    public Exception? LastError => Volatile.Read(ref _error);

    /// <param name="now">Checkpoint at once, then every <c>every</c>: after a catch-up from the journal at start, so a
    /// crash before the first tick does not make the next start feed the same records again.</param>
    /// <param name="firstAfter">The first tick's wait, when not <c>every</c>: two checkpointers started together with
    /// different first waits never flush at the same moment (their bursts of flush CPU and disk writes do not add up).</param>
    public void Start(bool now = false, TimeSpan firstAfter = default)
    {
        if (_thread is not null) throw new InvalidOperationException("The checkpointer is already started.");
        if (firstAfter < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(firstAfter), firstAfter, "The first wait cannot be negative.");
        var token = _stop.Token;
        var wait = firstAfter > TimeSpan.Zero ? firstAfter : _every;
        _thread = new Thread(() => Run(now, wait, token)) { Name = "checkpoint " + _name, IsBackground = true };
        _thread.Start();
    }

    private void Run(bool now, TimeSpan wait, CancellationToken token)
    {
        while (now || !token.WaitHandle.WaitOne(wait))
        {
            now = false;
            wait = _every;
            if (!_hasNew()) continue;
            try
            {
                _checkpoint();
                Volatile.Write(ref _error, null);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Volatile.Write(ref _error, ex);
                _logger?.LogError(ex, "Checkpoint of the {Name} failed; the journal still has everything, a restart replays more of it.", _name);
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
