namespace Ledger.Engine.Ring;

/// <summary>A consumer loop on the ring (one stage, or two sharing a thread): run it on a dedicated thread; its sequence gates the next.</summary>
public interface IStageProcessor : ISequenceBarrierSource
{
    /// <summary>The last slot this processor has finished.</summary>
    Sequence Sequence { get; }

    /// <summary>The consumer loop; returns after <see cref="Halt"/> once the slots available then are processed.</summary>
    void Run();

    /// <summary>How this stage waits for its upstream.</summary>
    IWaitStrategy WaitStrategy { get; }

    /// <summary>
    /// Whom this stage wakes when it advances: the next stage's wait strategy, or for the last stage the producers
    /// waiting for room (null: nobody). By default the ring's shared strategy, which wakes every stage sharing it.
    /// </summary>
    void Wakes(IWakeable? downstream);

    /// <summary>Stops after the slots available now are processed (call once the producers have stopped).</summary>
    void Halt();
}
