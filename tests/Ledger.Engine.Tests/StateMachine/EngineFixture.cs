using Ledger.Testing;
using NUnit.Framework;

namespace Ledger.Engine.Tests.StateMachine;

/// <summary>
/// Runs every test of a deriving class twice: with every entry in the engine's cache, and with a real entry store behind
/// a cache trimmed after each command (nearly every lookup of an existing entry then goes through prefetch to the store),
/// so old entries behave exactly as recent ones.
/// </summary>
[TestFixture(CacheMode.Roomy)]
[TestFixture(CacheMode.Tiny)]
public abstract class EngineFixture(CacheMode mode)
{
    protected CacheMode Mode { get; } = mode;

    [SetUp]
    public void UseCacheMode() => EngineRigs.Mode = Mode;

    [TearDown]
    public void DisposeRigs()
    {
        EngineRigs.DisposeBuilt();
        EngineRigs.Mode = CacheMode.Roomy; // tests outside these fixtures build plain engines
    }
}
