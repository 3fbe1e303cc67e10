using Ledger.Journal.Entries;
using NUnit.Framework;

namespace Ledger.Journal.Tests;

/// <summary>The checkpointer's ticks: the first one at its own wait when asked (two stores started together stay apart), only when there is something new.</summary>
public class CheckpointerTests
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1), Bound = TimeSpan.FromSeconds(30);

    [Test]
    public void ShouldTakeTheFirstCheckpointAfterItsOwnWaitThenKeepTheInterval()
    {
        using var ticked = new SemaphoreSlim(0);
        using var checkpointer = new Checkpointer("test", () => true, () => ticked.Release(), Hour, logger: null);
        checkpointer.Start(firstAfter: TimeSpan.FromMilliseconds(20));
        Assert.That(ticked.Wait(Bound), Is.True, "the first tick comes after firstAfter, not after the hour");
        Assert.That(ticked.Wait(TimeSpan.FromMilliseconds(300)), Is.False, "then the interval: no second tick before the hour");
    }

    [Test]
    public void ShouldCheckpointAtOnceWhenAskedAndOnlyWhenSomethingIsNew()
    {
        int asked = 0, taken = 0;
        using var askedTwice = new ManualResetEventSlim();
        using (var checkpointer = new Checkpointer("test", () => { if (Interlocked.Increment(ref asked) >= 3) askedTwice.Set(); return false; },
                   () => Interlocked.Increment(ref taken), TimeSpan.FromMilliseconds(10), logger: null))
        {
            checkpointer.Start(now: true);
            Assert.That(askedTwice.Wait(Bound), Is.True);
        }
        Assert.That(Volatile.Read(ref taken), Is.Zero, "nothing new, nothing flushed");
    }

    [Test]
    public void ShouldRefuseANegativeFirstWait()
    {
        using var checkpointer = new Checkpointer("test", () => true, () => { }, Hour, logger: null);
        Assert.That(() => checkpointer.Start(firstAfter: TimeSpan.FromSeconds(-1)), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }
}
