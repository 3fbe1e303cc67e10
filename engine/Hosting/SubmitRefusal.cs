using Ledger.Engine.Commands;

namespace Ledger.Engine.Hosting;

/// <summary>Why <see cref="EngineHost.TrySubmit(LedgerCommand, out ValueTask, out SubmitRefusal)"/> did not publish.</summary>
public enum SubmitRefusal
{
    /// <summary>Published.</summary>
    None,
    /// <summary>The host is stopping or a stage failed: not ready.</summary>
    Stopped,
    /// <summary><see cref="EngineHostSettings.InFlightEntriesMax"/> entries are published and not yet through the last stage.</summary>
    EntriesInFlight,
    /// <summary>Every ring slot holds a command not yet through the last stage.</summary>
    RingFull,
}
