using Ledger.Engine;
using Ledger.Engine.Catalog;
using Microsoft.Extensions.Logging;

namespace Ledger.Journal.Recovery;

/// <summary>Settings of one recovery (the service uses the defaults plus <see cref="CutDamage"/>; tools add bounds and observers).</summary>
public sealed record RecoverySettings
{
    /// <summary>The catalog of a new ledger (an empty journal). A journal's first record is always its catalog.</summary>
    public HistoryCatalog? InitialCatalog { get; init; }

    public EngineSettings? EngineSettings { get; init; }

    /// <summary>Cut a damaged tail (read-write journal only): record the cut so every reader jumps over it.</summary>
    public bool CutDamage { get; init; }

    /// <summary>Stop before the first command whose last sequence exceeds this.</summary>
    public long UntilSequence { get; init; } = long.MaxValue;

    /// <summary>Stop before the record after this one (a bound fixed when a reader starts on a journal that grows).</summary>
    public long UntilRecordNumber { get; init; } = long.MaxValue;

    /// <summary>Stop before the first command applied after this instant (UTC ticks).</summary>
    public long UntilTimestampTicks { get; init; } = long.MaxValue;

    /// <summary>Also compare every event the engine decides again with the journaled one, field by field (verify).</summary>
    public bool CompareEvents { get; init; }

    /// <summary>Called after each record is applied (the engine holds the state right after it).</summary>
    public Action<JournalRecord, LedgerEngine>? OnRecord { get; init; }

    /// <summary>Called every few thousand records.</summary>
    public Action<RecoveryProgress>? OnProgress { get; init; }

    public ILogger? Logger { get; init; }

    /// <summary>
    /// Leave the key filter's top-up from the journal to the caller (<see cref="RecoveryResult.FilterTopUpUntil"/>; the
    /// service runs it in the background with <see cref="FilterTopUp.Start"/> once ready) unless topping it up first
    /// pays for itself in the replay (<see cref="LedgerRecovery.TopUpFirstRatio"/>). Default false: tools always top it
    /// up before the replay.
    /// </summary>
    public bool FilterTopUpLater { get; init; }
}
