using Ledger.Engine.Ring;

namespace Ledger.Engine.Hosting;

/// <summary>Settings of the engine host, with defaults for a small shared machine (the service's: its configuration starts from these).</summary>
public sealed record EngineHostSettings
{
    /// <summary>Ring slots (a power of two). Default 8 192. When they are all in flight <c>TrySubmit</c> says no (the gateway answers 503) and <c>SubmitAsync</c> waits.</summary>
    public int RingSize { get; init; } = 8_192;

    /// <summary>How the stage threads wait. Default blocking: spin briefly, then sleep (the stage threads share two cores here, and spinning would starve them).</summary>
    public Func<IWaitStrategy> WaitStrategy { get; init; } = () => new BlockingWaitStrategy();

    /// <summary>
    /// Which stages share a thread. <see cref="PipelineLayout.Compact"/> (default, for a machine of two cores): prefetch,
    /// engine and journal on one thread, the entry store and the read side on the other. <see cref="PipelineLayout.Shared"/>:
    /// the journal on a thread of its own (three). <see cref="PipelineLayout.Separate"/>: a thread per stage (five), for
    /// machines with a core to spare for each.
    /// </summary>
    public PipelineLayout Layout { get; init; } = PipelineLayout.Compact;

    /// <summary>How often a Tick advances the ledger clock (expires holds without traffic). Default 1 s; zero disables.</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Entries published but not yet released, at most (producers wait past it, <c>TrySubmit</c> says no). It bounds
    /// what the engine's cache must hold beyond its open holds (entries decided but not yet in the store), so size the
    /// cache for it (see <see cref="EngineSettings.EntryCacheEntries"/>). Default 131 072.
    /// </summary>
    public int InFlightEntriesMax { get; init; } = 131_072;

    /// <summary>
    /// Commands the prefetch stage reads together at most (one batched store read), before the engine may start on them,
    /// in the <see cref="PipelineLayout.Shared"/> and <see cref="PipelineLayout.Separate"/> layouts. Default 32. The
    /// <see cref="PipelineLayout.Compact"/> layout takes all that is there (up to the ring): its batch is also the journal's commit.
    /// </summary>
    public int PrefetchBatchMax { get; init; } = 32;

    /// <summary>Commands the store stage writes in one store write at most (behind the answers; its commands are let go only after it and the publish stage). Default 256.</summary>
    public int StoreBatchMax { get; init; } = 256;

    /// <summary>Commands the publish stage hands the sinks before it lets go of them together (the read store writes once per batch). Default 256.</summary>
    public int PublishBatchMax { get; init; } = 256;

    /// <summary>The wall clock that stamps commands at publish (UTC ticks). The engine itself never reads a clock.</summary>
    public Func<long> UtcNowTicks { get; init; } = static () => DateTime.UtcNow.Ticks;

    /// <summary>
    /// Names the stage threads (<c>ledger-engine</c>, ...) for diagnostics. Off only in tests/Ledger.Concurrency.Tests:
    /// Coyote 1.7.11 tells the threads it controls apart by their names, and a renamed thread escapes its scheduler.
    /// </summary>
    internal bool NamesThreads { get; init; } = true;

    internal void Validate()
    {
        if (PrefetchBatchMax < 1 || StoreBatchMax < 1 || PublishBatchMax < 1) throw new ArgumentException("Stage batch sizes must be at least 1.");
        if (InFlightEntriesMax < Limits.EntriesPerBatchMax)
            throw new ArgumentException($"InFlightEntriesMax must be at least {Limits.EntriesPerBatchMax} (one full batch), not {InFlightEntriesMax}.");
    }
}

/// <summary>How the pipeline's stages map onto threads (see <see cref="EngineHostSettings.Layout"/>).</summary>
public enum PipelineLayout
{
    /// <summary>Three threads: prefetch + engine, journal, entry store + read side.</summary>
    Shared,

    /// <summary>Five threads: one per stage.</summary>
    Separate,

    /// <summary>
    /// Two threads: prefetch + engine + journal (the thread that decided a batch commits it and answers), entry store +
    /// read side. One wake-up less per batch than <see cref="Shared"/>: measured less CPU per single-entry request on two
    /// cores, the same at 100-entry batches (docs/decisions.md, "Threads").
    /// </summary>
    Compact,
}
