namespace Ledger.Engine.Ring;

/// <summary>What a stage wakes when it advances: the next stage's wait strategy, or (after the last stage) producers waiting for room.</summary>
public interface IWakeable
{
    /// <summary>Wakes blocked waiters after a publish or a consumer's progress.</summary>
    void SignalAllWhenBlocking();
}
