using Ledger.Engine.Commands;
using Ledger.Engine.Hosting;
using Ledger.Gateway.Hosting;
using Ledger.Gateway.Problems;

namespace Ledger.Gateway.Api;

/// <summary>Publishes a filled command on the ring without blocking a request thread: no room within Ledger:BusyWaitMax is a 503.</summary>
internal static class RingSubmit
{
    /// <summary>
    /// Null when published: await <c>command.WhenDone</c> (a ValueTask on the pooled command itself, no Task per request).
    /// When the stages behind the answers lag and the ring or the entries in flight are full, it waits for room
    /// (<see cref="LedgerOptions.BusyWaitMax"/>, no thread held) before answering 503 <c>busy</c>.
    /// </summary>
    private static async ValueTask<ProblemResult?> PublishAsync(LedgerRuntime runtime, LedgerCommand command)
    {
        var host = runtime.Host;
        if (host is null || !runtime.IsReady) return Stopping(runtime);
        var refused = await host.TrySubmitAsync(command, runtime.BusyWaitMax);
        if (refused == SubmitRefusal.None) return null;
        return refused == SubmitRefusal.Stopped || host.Fault is not null || !runtime.IsReady ? Stopping(runtime) : Busy(host, refused);
    }

    private static ProblemResult Stopping(LedgerRuntime runtime) =>
        HttpEdge.NotReady(runtime) ?? Problem.Of(ProblemTypes.NotReady, "The ledger is stopping; retry shortly.");

    /// <summary>The 503 <c>busy</c> naming the bound that refused: the ring's slots or the entries in flight.</summary>
    internal static ProblemResult Busy(EngineHost host, SubmitRefusal refused) => refused == SubmitRefusal.EntriesInFlight
        ? Problem.Of(ProblemTypes.Busy, $"{host.InFlightEntriesMax} entries are in flight through the pipeline (Ledger:Memory:InFlightEntriesMax); retry shortly.")
        : Problem.Of(ProblemTypes.Busy, $"All {host.RingSize} ring slots are in flight (Ledger:RingSize); retry shortly.");

    /// <summary>
    /// Publishes the command and waits until it is durable and decided. Null when it was decided (read
    /// <c>command.Result</c>); otherwise the Problem to answer: no room (busy), not ready, or the journal failed.
    /// </summary>
    public static async ValueTask<ProblemResult?> SubmitAsync(LedgerRuntime runtime, LedgerCommand command)
    {
        if (await PublishAsync(runtime, command) is { } problem) return problem;
        try
        {
            await command.WhenDone;
        }
        catch (JournalFailedException ex)
        {
            return runtime.WriteFault is { } fault ? HttpEdge.WriteRefused(fault) : Failed(ex);
        }
        return null;
    }

    private static ProblemResult Failed(JournalFailedException ex) =>
        Problem.Of(ProblemTypes.JournalFailed, $"The journal failed ({ex.InnerException?.Message}); this request was not applied durably and the ledger stopped.");
}
