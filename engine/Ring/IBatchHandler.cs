namespace Ledger.Engine.Ring;

/// <summary>
/// A consumer stage's logic. Implement it as a struct: <see cref="BatchEventProcessor{T,THandler}"/> is generic
/// over the handler type, so the JIT specialises the loop and the calls are direct, not virtual.
/// </summary>
public interface IBatchHandler<T> where T : struct
{
    /// <summary>One slot; <paramref name="endOfBatch"/> is true on the last slot of the batch drained at once (group commit goes there).</summary>
    void OnEvent(ref T slot, long sequence, bool endOfBatch);
}
