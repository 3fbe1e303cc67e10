namespace Ledger.Engine.Ring;

/// <summary>What a waiting consumer watches: the highest sequence it may consume now.</summary>
public interface ISequenceBarrierSource
{
    long AvailableSequence { get; }
}
