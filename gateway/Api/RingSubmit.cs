using Ledger.Engine.Commands;
using Ledger.Engine.Hosting;
using Ledger.Gateway.Hosting;
using Ledger.Gateway.Problems;

namespace Ledger.Gateway.Api;

/// <summary>Publishes a filled command on the ring without blocking a request thread: a full ring is a 503, not a wait.</summary>
internal static class RingSubmit
{
    /// <summary>True when published: await <paramref name="done"/> (a ValueTask on the pooled command itself, no Task per request).</summary>
    public static bool TryPublish(LedgerRuntime runtime, LedgerCommand command, out ValueTask done, out ProblemResult? problem)
    {
        problem = null;
        done = default;
        var host = runtime.Host;
        if (host is null || !runtime.IsReady)
        {
            problem = Edge.NotReady(runtime);
            return false;
        }
        if (host.TrySubmit(command, out done)) return true;
        problem = host.Fault is not null || !runtime.IsReady
            ? Edge.NotReady(runtime) ?? Problem.Of(ProblemTypes.NotReady, "The ledger is stopping; retry shortly.")
            : Problem.Of(ProblemTypes.Busy, $"All {host.RingSize} ring slots are in flight; retry shortly.");
        return false;
    }

    public static ProblemResult Failed(JournalFailedException ex) =>
        Problem.Of(ProblemTypes.JournalFailed, $"The journal failed ({ex.InnerException?.Message}); this request was not applied durably and the ledger stopped.");
}
