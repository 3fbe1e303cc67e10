using Ledger.Engine.Commands;
using Ledger.Engine.Hosting;
using Ledger.Gateway.Hosting;
using Ledger.Gateway.Problems;

namespace Ledger.Gateway.Api;

/// <summary>Publishes a filled command on the ring without blocking a request thread: a full ring is a 503, not a wait.</summary>
internal static class RingSubmit
{
    /// <summary>True when published: await <paramref name="done"/> (a ValueTask on the pooled command itself, no Task per request).</summary>
    private static bool TryPublish(LedgerRuntime runtime, LedgerCommand command, out ValueTask done, out ProblemResult? problem)
    {
        problem = null;
        done = default;
        var host = runtime.Host;
        if (host is null || !runtime.IsReady)
        {
            problem = Edge.NotReady(runtime);
            return false;
        }
        if (host.TrySubmit(command, out done, out var refused)) return true;
        problem = refused == SubmitRefusal.Stopped || host.Fault is not null || !runtime.IsReady
            ? Edge.NotReady(runtime) ?? Problem.Of(ProblemTypes.NotReady, "The ledger is stopping; retry shortly.")
            : Busy(host, refused);
        return false;
    }

    /// <summary>The 503 <c>busy</c> naming the bound that refused: the ring's slots or the entries in flight.</summary>
    internal static ProblemResult Busy(EngineHost host, SubmitRefusal refused) => refused == SubmitRefusal.EntriesInFlight
        ? Problem.Of(ProblemTypes.Busy, $"{host.InFlightEntriesMax} entries are in flight through the pipeline (Ledger:Memory:InFlightEntriesMax); retry shortly.")
        : Problem.Of(ProblemTypes.Busy, $"All {host.RingSize} ring slots are in flight (Ledger:RingSize); retry shortly.");

    /// <summary>
    /// Publishes the command and waits until it is durable and decided. Null when it was decided (read
    /// <c>command.Result</c>); otherwise the Problem to answer: ring full, not ready, or the journal failed.
    /// </summary>
    public static async ValueTask<ProblemResult?> SubmitAsync(LedgerRuntime runtime, LedgerCommand command)
    {
        if (!TryPublish(runtime, command, out var done, out var problem)) return problem;
        try
        {
            await done;
        }
        catch (JournalFailedException ex)
        {
            return runtime.WriteFault is { } fault ? Edge.WriteRefused(fault) : Failed(ex);
        }
        return null;
    }

    private static ProblemResult Failed(JournalFailedException ex) =>
        Problem.Of(ProblemTypes.JournalFailed, $"The journal failed ({ex.InnerException?.Message}); this request was not applied durably and the ledger stopped.");
}
