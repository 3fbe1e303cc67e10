using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Ledger.Baselines.NoOp;

/// <summary>What the no-op server does with an acknowledged entry (<c>NoOp:Mode</c>).</summary>
public enum NoOpMode
{
    /// <summary>Nothing: parse, answer 201, forget (the HTTP ceiling; balances read zero).</summary>
    Ceiling,
    /// <summary>Keep each account's AVAILABLE and HELD in memory (ledger and blocking entries), so ledger-bench's full check can run.</summary>
    Track,
}

/// <summary>
/// The gateway's routes on bare Kestrel: <c>POST /connect/token</c> (a dummy token), <c>POST /v1/accounts</c>,
/// <c>POST /v1/accounts/import</c>, <c>POST /v1/accounts/{b}/{a}/batches</c>, <c>POST /v1/transaction-bundles</c>,
/// <c>GET …/balances</c>, <c>GET /v1/entries</c>. Bodies are parsed like any ASP.NET app would and every POST answers a
/// well-formed 201 in the gateway's shape. No security, no idempotency, no journal.
/// Faults for the bench's own tests (Track mode): <c>NoOp:DropEvery=N</c> acknowledges every N-th entry without applying
/// it, <c>NoOp:InventEvery=N</c> applies every N-th entry twice; ledger-bench's check must then fail.
/// Usage: <c>var app = NoOpApp.Build(["--urls=http://127.0.0.1:0", "--NoOp:Mode=Track"]); await app.StartAsync();</c>
/// </summary>
public static class NoOpApp
{
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        var config = app.Configuration;
        var mode = config.GetValue("NoOp:Mode", NoOpMode.Ceiling);
        var state = new NoOpState(mode, config.GetValue("NoOp:DropEvery", 0), config.GetValue("NoOp:InventEvery", 0));

        app.MapPost("/connect/token", BaselineAnswers.TokenAsync);
        app.MapPost("/v1/accounts", async http =>
        {
            var body = await BaselineAnswers.ReadAsync(http, BaselineJsonContext.Default.OpenAccountBody);
            if (body is null) return;
            state.Open(body.Branch ?? 0, body.Account ?? 0);
            http.Response.StatusCode = 201;
            await BaselineAnswers.BalancesAsync(http, body.Branch ?? 0, body.Account ?? 0, 0, 0, body.Currency ?? "USD");
        });
        app.MapPost("/v1/accounts/import", async http =>
        {
            var accounts = await BaselineAnswers.ReadImportAsync(http);
            foreach (var a in accounts) state.Open(a.Branch ?? 0, a.Account ?? 0);
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync($"{{\"lines\":{accounts.Count},\"opened\":{accounts.Count},\"alreadyOpen\":0}}");
        });
        app.MapPost("/v1/accounts/{branch:int}/{account:long}/batches", async (HttpContext http, int branch, long account) =>
        {
            var body = await BaselineAnswers.ReadAsync(http, BaselineJsonContext.Default.BatchRequest);
            if (body is null) return;
            var entries = body.Entries ?? [];
            var answers = new EntryAnswer[entries.Count];
            for (int i = 0; i < answers.Length; i++) answers[i] = state.Apply(branch, account, entries[i]);
            var (available, held) = state.Balances(branch, account);
            await BaselineAnswers.BatchCreatedAsync(http, answers, available, held, "USD");
        });
        app.MapPost("/v1/transaction-bundles", async http =>
        {
            var body = await BaselineAnswers.ReadAsync(http, BaselineJsonContext.Default.BundleRequest);
            if (body is null) return;
            var legs = body.Legs ?? [];
            var answers = new List<EntryAnswer>();
            foreach (var leg in legs)
            {
                foreach (var e in leg.Entries ?? []) answers.Add(state.Apply(leg.Branch ?? 0, leg.Account ?? 0, e));
            }
            var (available, held) = legs.Count > 0 ? state.Balances(legs[0].Branch ?? 0, legs[0].Account ?? 0) : (0, 0);
            await BaselineAnswers.BatchCreatedAsync(http, answers.ToArray(), available, held, "USD");
        });
        app.MapGet("/v1/accounts/{branch:int}/{account:long}/balances", (HttpContext http, int branch, long account) =>
        {
            var (available, held) = state.Balances(branch, account);
            return BaselineAnswers.BalancesAsync(http, branch, account, available, held, "USD");
        });
        app.MapGet("/v1/entries", (HttpContext http) =>
        {
            http.Response.ContentType = "application/json";
            return http.Response.WriteAsync("{\"entries\":[]}");
        });
        return app;
    }

    /// <summary>Ceiling: a sequence counter only. Track: balances per account in memory, with the optional faults.</summary>
    private sealed class NoOpState(NoOpMode mode, int dropEvery, int inventEvery)
    {
        private readonly ConcurrentDictionary<(int, long), long[]> _balances = new();
        private long _sequence;

        public void Open(int branch, long account)
        {
            if (mode == NoOpMode.Track) _balances.TryAdd((branch, account), new long[2]);
        }

        public EntryAnswer Apply(int branch, long account, EntryRequest e)
        {
            long seq = Interlocked.Increment(ref _sequence);
            long amount = e.Amount?.Value ?? 0;
            bool blocking = e.EntryKind == "blocking";
            if (mode == NoOpMode.Track && (e.EntryKind == "ledger" || blocking))
            {
                int times = dropEvery > 0 && seq % dropEvery == 0 ? 0 : inventEvery > 0 && seq % inventEvery == 0 ? 2 : 1;
                var b = _balances.GetOrAdd((branch, account), _ => new long[2]);
                long delta = amount * BaselineAnswers.Direction(e.EntryType ?? 0) * times;
                Interlocked.Add(ref b[0], blocking ? -amount * times : delta);
                if (blocking) Interlocked.Add(ref b[1], amount * times);
            }
            return new EntryAnswer(e.CorrelationId ?? "", e.EntryType ?? 0, blocking ? "PENDING" : "POSTED", seq, amount, e.Amount?.Currency ?? "USD");
        }

        public (long Available, long Held) Balances(int branch, long account) =>
            _balances.TryGetValue((branch, account), out var b) ? (Interlocked.Read(ref b[0]), Interlocked.Read(ref b[1])) : (0, 0);
    }
}
