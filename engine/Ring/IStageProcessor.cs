namespace Ledger.Engine.Ring;

/// <summary>A consumer loop on the ring (one stage, or two sharing a thread): run it on a dedicated thread; its sequence gates the next.</summary>
public interface IStageProcessor : ISequenceBarrierSource
{
    /// <summary>The last slot this processor has finished.</summary>
    Sequence Sequence { get; }

    /// <summary>The consumer loop; returns after <see cref="Halt"/> once the slots available then are processed.</summary>
    void Run();

    /// <summary>Stops after the slots available now are processed (call once the producers have stopped).</summary>
    void Halt();
}
