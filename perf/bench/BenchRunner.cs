using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;

namespace Ledger.Bench;

/// <summary>
/// Runs one ledger-bench invocation: set-up (tokens, accounts, funding, balances before), warm-up, the measured steps
/// (closed loop, open loop or a sweep), then the check of its own counts against the server.
/// Usage: <c>using var runner = new BenchRunner(options, progress); BenchResult result = await runner.RunAsync(cancel);</c>
/// </summary>
public sealed class BenchRunner : IDisposable
{
    private const int RefsMax = 100_000;
    private const int ReplayRingSize = 4_096;
    private static readonly MediaTypeHeaderValue JsonType = new("application/json");

    private readonly BenchOptions _options;
    private readonly IBenchProgress _progress;
    private readonly LedgerApi _api;
    private readonly Bodies _bodies;
    private readonly double[]? _zipfCdf;
    private KafkaTransport? _kafka;

    // Whole-run tally (funding, warm-up and re-sends included): what the check holds against the server.
    private long _requestsSent, _requestsOk, _requestsDeclined, _requestsFailed;
    private long _entriesSent, _entriesOk, _entriesDeclined, _entriesFailed;
    private long _replayMismatches;
    private readonly long[] _expectedAvailable;
    private readonly long[] _expectedHeld;
    private readonly ConcurrentQueue<PlannedRequest> _unknown = new();

    // What follow-ups may reference: acknowledged holds and ledger entries, and a ring of acknowledged requests to replay.
    private readonly ConcurrentQueue<EntryRef> _holds = new();
    private readonly ConcurrentQueue<EntryRef> _ledgerEntries = new();
    private int _holdCount, _ledgerEntryCount;
    private readonly PlannedRequest[] _replayRing = new PlannedRequest[ReplayRingSize];
    private long _replayWritten;
    private readonly Lock _replayLock = new();

    private long _seq;
    private int _inFlight;
    private readonly ConcurrentQueue<string> _errorSamples = new();

    public BenchRunner(BenchOptions options, IBenchProgress progress)
    {
        _options = options;
        _progress = progress;
        _api = new LedgerApi(options);
        string run = DateTime.UtcNow.ToString("MMddHHmmss", System.Globalization.CultureInfo.InvariantCulture) + "r" + Random.Shared.Next(1000, 9999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        _bodies = new Bodies(run, options);
        _zipfCdf = AccountPicker.BuildZipfCdf(options);
        _expectedAvailable = new long[options.Accounts];
        _expectedHeld = new long[options.Accounts];
    }

    /// <summary>The first few answers that were not 2xx or 422, for the log.</summary>
    public IReadOnlyCollection<string> ErrorSamples => _errorSamples;

    public async Task<BenchResult> RunAsync(CancellationToken cancel)
    {
        var result = new BenchResult
        {
            Target = _options.Target, Label = _options.Label, Section = _options.Section, Round = _options.Round, Url = _options.Url.ToString(), Mode = _options.Mode, StartedAtUtc = DateTime.UtcNow,
            Workload = new WorkloadEcho
            {
                Mix = _options.Mix.ToString(), BatchSize = _options.BatchSize, Accounts = _options.Accounts,
                Distribution = _options.Distribution.ToString().ToLowerInvariant(), Connections = _options.Connections,
                DurationSeconds = _options.DurationSeconds, WarmupSeconds = _options.WarmupSeconds, Transport = _options.Transport,
            },
        };
        await _api.AuthenticateAsync(cancel);
        if (_options.OpenAccounts) await _api.OpenAccountsAsync(cancel);
        if (_options.KafkaBootstrapServers is not null)
        {
            _progress.Note($"Kafka: commands to {_options.KafkaCommandsTopic}, results from {_options.KafkaResultsTopic} at {_options.KafkaBootstrapServers}");
            _kafka = new KafkaTransport(_options, _bodies);
        }
        (long Available, long Held)[]? before = null;
        if (_options.Check == CheckLevel.Full) before = await _api.ReadBalancesAsync(cancel);

        using var sampler = new TimelineSampler(this, _options.ServerPid);
        if (_options.Mix.MovesMoneyOut) await FundAsync(cancel);

        switch (_options.Mode)
        {
            case BenchMode.Closed:
                if (_options.WarmupSeconds > 0) await RunClosedAsync("warm-up", _options.WarmupSeconds, record: false, cancel);
                result.Steps.Add(await RunClosedAsync("closed", _options.DurationSeconds, record: true, cancel));
                break;
            case BenchMode.Open:
                if (_options.WarmupSeconds > 0) await RunOpenAsync("warm-up", _options.RatePerSecond, _options.WarmupSeconds, record: false, cancel);
                result.Steps.Add(await RunOpenAsync(Name(_options.RatePerSecond), _options.RatePerSecond, _options.DurationSeconds, record: true, cancel));
                break;
            case BenchMode.Sweep:
                await RunSweepAsync(result, cancel);
                break;
        }

        result.Timeline = sampler.Stop();
        result.Check = await CheckAsync(before, cancel);
        return result;
    }

    private static string Name(double rate) => $"open {rate:0} req/s";

    private async Task RunSweepAsync(BenchResult result, CancellationToken cancel)
    {
        var rates = _options.SweepRates.ToList();
        if (_options.WarmupSeconds > 0) await RunClosedAsync("warm-up", _options.WarmupSeconds, record: false, cancel);
        if (rates.Count == 0)
        {
            // Automatic steps: fractions of the peak a short closed-loop probe finds.
            var probe = await RunClosedAsync("probe (closed)", Math.Max(1, Math.Min(3, _options.DurationSeconds)), record: true, cancel);
            result.Steps.Add(probe);
            double peak = Math.Max(10, probe.AcceptedRps);
            rates = _options.SweepFractions.Select(f => Math.Max(1, Math.Round(peak * f))).ToList();
        }
        foreach (double rate in rates)
        {
            var step = await RunOpenAsync(Name(rate), rate, _options.DurationSeconds, record: true, cancel);
            result.Steps.Add(step);
        }
        result.Knee = FindKnee(result.Steps, _options.KneeP99MsMax);
    }

    /// <summary>
    /// The highest open-loop step whose accepted rate kept within 5 % of the offered one, whose p99 stayed within the bound and
    /// that had no failures. Every step is considered, not only those below the first miss: a short first step's p99 often
    /// carries the last of the warm-up.
    /// </summary>
    public static KneeResult? FindKnee(IEnumerable<StepResult> steps, double p99MsMax)
    {
        KneeResult? knee = null;
        foreach (var s in steps.Where(s => s.OfferedRps is > 0).OrderBy(s => s.OfferedRps))
        {
            if (s.AcceptedRps < 0.95 * s.OfferedRps!.Value || s.Latency.P99Ms > p99MsMax || s.Failed > 0) continue;
            knee = new KneeResult
            {
                OfferedRps = s.OfferedRps.Value, AcceptedRps = s.AcceptedRps, P99Ms = s.Latency.P99Ms,
                Rule = $"highest step with accepted >= 95% of offered, p99 <= {p99MsMax:0.#} ms and no failures",
            };
        }
        return knee;
    }

    // ---------------- pacing ----------------

    private async Task<StepResult> RunClosedAsync(string name, double seconds, bool record, CancellationToken cancel)
    {
        var stats = new StepStats(name, BenchMode.Closed, null, _options.Connections, seconds);
        _progress.StepStarted(name, seconds);
        long end = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var workers = new Task[_options.Connections];
        stats.Restart();
        for (int w = 0; w < workers.Length; w++)
        {
            int seed = _options.Seed * 7919 + w + (record ? 0 : 100_003);
            workers[w] = Task.Run(async () =>
            {
                var random = new Random(seed);
                var picker = new AccountPicker(_options, _zipfCdf);
                while (Stopwatch.GetTimestamp() < end && !cancel.IsCancellationRequested)
                {
                    var p = Plan(random, picker);
                    await ExecuteAsync(p, Stopwatch.GetTimestamp(), stats);
                }
            }, cancel);
        }
        await Task.WhenAll(workers);
        var step = stats.ToResult();
        _progress.StepFinished(step, record);
        return step;
    }

    private async Task<StepResult> RunOpenAsync(string name, double rate, double seconds, bool record, CancellationToken cancel)
    {
        var stats = new StepStats(name, BenchMode.Open, rate, _options.Connections, seconds);
        _progress.StepStarted(name, seconds);
        var random = new Random(_options.Seed * 31 + (int)rate + (record ? 0 : 100_003));
        var picker = new AccountPicker(_options, _zipfCdf);
        long total = Math.Max(1, (long)(rate * seconds));
        double ticksPerRequest = Stopwatch.Frequency / rate;
        stats.Restart();
        long start = stats.StartTicks;
        long sent = 0;
        while (sent < total && !cancel.IsCancellationRequested)
        {
            long due = Math.Min(total, (long)((Stopwatch.GetTimestamp() - start) / ticksPerRequest) + 1);
            // Every request keeps its intended send time, however late it leaves: the lateness is latency too.
            while (sent < due && Volatile.Read(ref _inFlight) < _options.InFlightMax)
            {
                long intended = start + (long)(sent * ticksPerRequest);
                var p = Plan(random, picker);
                Interlocked.Increment(ref _inFlight);
                _ = ExecuteTrackedAsync(p, intended, stats);
                sent++;
            }
            if (sent < total) await Task.Delay(1, cancel);
        }
        // Drain: the step ends with its last answer (the elapsed time, and so the accepted rate, include it).
        long drainUntil = Stopwatch.GetTimestamp() + (long)(Math.Max(5, _options.TimeoutSeconds + 5) * Stopwatch.Frequency);
        while (Volatile.Read(ref _inFlight) > 0 && Stopwatch.GetTimestamp() < drainUntil) await Task.Delay(2, CancellationToken.None);
        var step = stats.ToResult();
        _progress.StepFinished(step, record);
        return step;
    }

    private async Task ExecuteTrackedAsync(PlannedRequest p, long intended, StepStats stats)
    {
        try
        {
            await ExecuteAsync(p, intended, stats);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    // ---------------- planning ----------------

    private long NextSeq() => Interlocked.Increment(ref _seq);

    private PlannedRequest Plan(Random random, AccountPicker picker)
    {
        var kind = _options.Mix.Pick(random.NextDouble());
        switch (kind)
        {
            case OpKind.Release:
                if (_holds.TryDequeue(out var hold))
                {
                    Interlocked.Decrement(ref _holdCount);
                    return new PlannedRequest(OpKind.Release, hold.Account, -1, NextSeq(), hold.Seq, hold.Index, OpKind.Hold, 1, false);
                }
                kind = OpKind.Hold; // nothing to release yet: make something to release
                break;
            case OpKind.Reversal:
                if (_ledgerEntries.TryDequeue(out var entry))
                {
                    Interlocked.Decrement(ref _ledgerEntryCount);
                    return new PlannedRequest(OpKind.Reversal, entry.Account, -1, NextSeq(), entry.Seq, entry.Index, entry.Kind, 1, false);
                }
                kind = OpKind.Deposit;
                break;
            case OpKind.Replay:
                lock (_replayLock)
                {
                    long written = _replayWritten;
                    if (written > 0) return _replayRing[random.Next((int)Math.Min(written, ReplayRingSize))] with { Replay = true };
                }
                kind = OpKind.Deposit;
                break;
            case OpKind.Bundle:
                if (_options.Accounts < 2)
                {
                    kind = OpKind.Deposit;
                    break;
                }
                int from = picker.Next(random);
                int to = picker.Next(random);
                if (to == from) to = (from + 1) % _options.Accounts;
                return new PlannedRequest(OpKind.Bundle, from, to, NextSeq(), 0, 0, OpKind.Bundle, 2, false);
            case OpKind.Balance:
            case OpKind.Statement:
                return new PlannedRequest(kind, picker.Next(random), -1, 0, 0, 0, kind, 0, false);
        }
        return new PlannedRequest(kind, picker.Next(random), -1, NextSeq(), 0, 0, kind, _options.BatchSize, false);
    }

    // ---------------- sending ----------------

    private async Task ExecuteAsync(PlannedRequest p, long intendedTicks, StepStats? stats)
    {
        Interlocked.Increment(ref _requestsSent);
        Interlocked.Add(ref _entriesSent, p.Entries);
        int status = await SendAsync(p);
        stats?.Record(status, p.Entries, intendedTicks);
        Settle(p, status, resend: false);
    }

    /// <summary>Counts the outcome and, for a 2xx, applies the request's effect to the expected balances.</summary>
    private void Settle(in PlannedRequest p, int status, bool resend)
    {
        if (status is >= 200 and < 300)
        {
            if (!resend) Interlocked.Increment(ref _requestsOk);
            Interlocked.Add(ref _entriesOk, p.Entries);
            if (!p.Replay && !p.IsRead) Acknowledged(p);
        }
        else if (status is >= 400 and < 500)
        {
            if (!resend) Interlocked.Increment(ref _requestsDeclined);
            Interlocked.Add(ref _entriesDeclined, p.Entries);
            // An acknowledged request sent again must get its first answer again; a 429 is the rate limit, not an answer.
            if (p.Replay && status != 429) Interlocked.Increment(ref _replayMismatches);
        }
        else if (!resend)
        {
            Interlocked.Increment(ref _requestsFailed);
            Interlocked.Add(ref _entriesFailed, p.Entries);
            // Outcome unknown (5xx, timeout, connection lost): sent again after the run, idempotency gives the answer.
            if (!p.Replay && !p.IsRead) _unknown.Enqueue(p);
        }
    }

    private void Acknowledged(in PlannedRequest p)
    {
        int a = p.Account;
        switch (p.Kind)
        {
            case OpKind.Deposit:
                Interlocked.Add(ref _expectedAvailable[a], Bodies.DepositMinor * p.Entries);
                RememberLedger(p);
                break;
            case OpKind.Debit:
                Interlocked.Add(ref _expectedAvailable[a], -Bodies.DebitMinor * p.Entries);
                RememberLedger(p);
                break;
            case OpKind.Hold:
                Interlocked.Add(ref _expectedAvailable[a], -Bodies.HoldMinor * p.Entries);
                Interlocked.Add(ref _expectedHeld[a], Bodies.HoldMinor * p.Entries);
                if (_options.Mix.Has(OpKind.Release))
                {
                    for (short i = 0; i < p.Entries && Volatile.Read(ref _holdCount) < RefsMax; i++)
                    {
                        Interlocked.Increment(ref _holdCount);
                        _holds.Enqueue(new EntryRef(a, p.Seq, i, OpKind.Hold));
                    }
                }
                break;
            case OpKind.Release:
                Interlocked.Add(ref _expectedAvailable[a], Bodies.HoldMinor);
                Interlocked.Add(ref _expectedHeld[a], -Bodies.HoldMinor);
                break;
            case OpKind.Reversal:
                Interlocked.Add(ref _expectedAvailable[a], p.RefKind == OpKind.Deposit ? -Bodies.DepositMinor : Bodies.DebitMinor);
                break;
            case OpKind.Bundle:
                Interlocked.Add(ref _expectedAvailable[a], -Bodies.TransferMinor);
                Interlocked.Add(ref _expectedAvailable[p.Account2], Bodies.TransferMinor);
                break;
        }
        if (_options.Mix.Has(OpKind.Replay) && p.Kind is OpKind.Deposit or OpKind.Debit or OpKind.Hold or OpKind.Bundle)
        {
            lock (_replayLock) _replayRing[_replayWritten++ % ReplayRingSize] = p;
        }
    }

    private void RememberLedger(in PlannedRequest p)
    {
        if (!_options.Mix.Has(OpKind.Reversal)) return;
        for (short i = 0; i < p.Entries && Volatile.Read(ref _ledgerEntryCount) < RefsMax; i++)
        {
            Interlocked.Increment(ref _ledgerEntryCount);
            _ledgerEntries.Enqueue(new EntryRef(p.Account, p.Seq, i, p.Kind));
        }
    }

    /// <summary>Sends one request; returns the status, 0 for a transport error or timeout. The body comes from the pool.</summary>
    private async Task<int> SendAsync(PlannedRequest p)
    {
        if (_kafka is not null && !p.IsRead) return await _kafka.SendAsync(p);
        byte[]? body = null;
        using var request = new HttpRequestMessage(p.IsRead ? HttpMethod.Get : HttpMethod.Post, new Uri(_bodies.PathOf(p), UriKind.Relative));
        try
        {
            if (!p.IsRead)
            {
                body = ArrayPool<byte>.Shared.Rent(_bodies.SizeMax(p));
                int length = _bodies.Write(p, body);
                request.Content = new ByteArrayContent(body, 0, length);
                request.Content.Headers.ContentType = JsonType;
            }
            using var response = await _api.Writer.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            int status = (int)response.StatusCode;
            if (status >= 300 && status != 422 && _errorSamples.Count < 5)
            {
                _errorSamples.Enqueue($"{request.Method} {request.RequestUri} -> {status}: {LedgerApi.Shorten(await response.Content.ReadAsStringAsync())}");
                return status;
            }
            await DrainAsync(response);
            return status;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or OperationCanceledException)
        {
            if (_errorSamples.Count < 5) _errorSamples.Enqueue($"{request.Method} {request.RequestUri} -> {ex.GetType().Name}: {ex.Message}");
            return 0;
        }
        finally
        {
            if (body is not null) ArrayPool<byte>.Shared.Return(body);
        }
    }

    /// <summary>Reads the answer into a pooled buffer and drops it: the connection is reused, no body is kept.</summary>
    private static async Task DrainAsync(HttpResponseMessage response)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync();
            while (await stream.ReadAsync(buffer) > 0)
            {
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // ---------------- set-up and check ----------------

    /// <summary>One deposit of the funding amount per account, so debits, holds and transfers rarely meet insufficient funds.</summary>
    private async Task FundAsync(CancellationToken cancel)
    {
        var funding = new BenchOptions { Branch = _options.Branch, FirstAccount = _options.FirstAccount, Accounts = _options.Accounts, BatchSize = 1 };
        var bodies = new Bodies(_bodies.Run + "f", funding);
        _progress.Note($"funding {_options.Accounts} accounts with {_options.FundingMinor} minor units each");
        await Parallel.ForEachAsync(Enumerable.Range(0, _options.Accounts), new ParallelOptions { MaxDegreeOfParallelism = Math.Min(16, _options.Connections), CancellationToken = cancel },
            async (a, ct) =>
            {
                string json = $"{{\"entries\":[{{\"entryKind\":\"ledger\",\"correlationId\":\"{bodies.CorrelationId(a, 0)}\",\"entryType\":100,\"amount\":{{\"value\":{_options.FundingMinor},\"currency\":\"USD\"}}}}]}}";
                for (int attempt = 1; ; attempt++)
                {
                    using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
                    using var response = await _api.Writer.PostAsync(new Uri($"/v1/accounts/{_options.Branch}/{_options.FirstAccount + a}/batches", UriKind.Relative), content, ct);
                    if (response.IsSuccessStatusCode)
                    {
                        Interlocked.Add(ref _expectedAvailable[a], _options.FundingMinor);
                        return;
                    }
                    if (attempt == 3 || (int)response.StatusCode < 500)
                    {
                        throw new BenchSetupException($"funding account {_options.FirstAccount + a} answered {(int)response.StatusCode}: {LedgerApi.Shorten(await response.Content.ReadAsStringAsync(ct))}");
                    }
                }
            });
    }

    private async Task<CheckResult> CheckAsync((long Available, long Held)[]? before, CancellationToken cancel)
    {
        var check = new CheckResult { Level = _options.Check };
        // Unknown outcomes first: the same bytes again; idempotency answers what happened the first time.
        while (_unknown.TryDequeue(out var p))
        {
            check.Resent++;
            int status = 0;
            for (int attempt = 0; attempt < 3 && (status == 0 || status >= 500); attempt++) status = await SendAsync(p);
            if (status == 0 || status >= 500) check.Unresolved++;
            else Settle(p, status, resend: true);
        }

        check.RequestsSent = Interlocked.Read(ref _requestsSent);
        check.RequestsOk = Interlocked.Read(ref _requestsOk);
        check.RequestsDeclined = Interlocked.Read(ref _requestsDeclined);
        check.RequestsFailed = Interlocked.Read(ref _requestsFailed);
        check.EntriesSent = Interlocked.Read(ref _entriesSent);
        check.EntriesOk = Interlocked.Read(ref _entriesOk);
        check.EntriesDeclined = Interlocked.Read(ref _entriesDeclined);
        check.EntriesFailed = Interlocked.Read(ref _entriesFailed);
        check.ReplayMismatches = Interlocked.Read(ref _replayMismatches);
        if (_options.Check == CheckLevel.None)
        {
            check.Passed = true;
            return check;
        }

        if (check.RequestsSent != check.RequestsOk + check.RequestsDeclined + check.RequestsFailed)
        {
            check.Failures.Add($"requests sent {check.RequestsSent} != 2xx {check.RequestsOk} + 4xx {check.RequestsDeclined} + failed {check.RequestsFailed}.");
        }
        // Entries whose first outcome was unknown and resolved on the re-send are counted once more on the resolved side.
        long resolvedEntries = check.EntriesOk + check.EntriesDeclined + check.EntriesFailed;
        if (check.EntriesSent > resolvedEntries)
        {
            check.Failures.Add($"entries sent {check.EntriesSent} > 2xx {check.EntriesOk} + 4xx {check.EntriesDeclined} + failed {check.EntriesFailed}.");
        }
        if (check.Unresolved > 0) check.Failures.Add($"{check.Unresolved} requests had no answer even when sent again: their effect is unknown.");
        if (check.ReplayMismatches > 0) check.Failures.Add($"{check.ReplayMismatches} acknowledged requests sent again did not answer 2xx (idempotency).");

        if (_options.Check == CheckLevel.Full && before is not null)
        {
            var after = await _api.ReadBalancesAsync(cancel);
            int reported = 0;
            for (int a = 0; a < _options.Accounts; a++)
            {
                long expectedAvailable = Interlocked.Read(ref _expectedAvailable[a]);
                long expectedHeld = Interlocked.Read(ref _expectedHeld[a]);
                long movedAvailable = after[a].Available - before[a].Available;
                long movedHeld = after[a].Held - before[a].Held;
                check.ExpectedAvailableMovedMinor += expectedAvailable;
                check.ExpectedHeldMovedMinor += expectedHeld;
                check.ObservedAvailableMovedMinor += movedAvailable;
                check.ObservedHeldMovedMinor += movedHeld;
                if ((movedAvailable != expectedAvailable || movedHeld != expectedHeld) && reported++ < 5)
                {
                    check.Failures.Add($"account {_options.Branch}/{_options.FirstAccount + a}: AVAILABLE moved {movedAvailable}, acknowledged {expectedAvailable}; " +
                                       $"HELD moved {movedHeld}, acknowledged {expectedHeld}.");
                }
            }
            check.AccountsChecked = _options.Accounts;
            if (reported > 5) check.Failures.Add($"… {reported - 5} more accounts disagree.");
            if (check.ObservedAvailableMovedMinor != check.ExpectedAvailableMovedMinor || check.ObservedHeldMovedMinor != check.ExpectedHeldMovedMinor)
            {
                check.Failures.Add($"sum over accounts: AVAILABLE moved {check.ObservedAvailableMovedMinor}, acknowledged {check.ExpectedAvailableMovedMinor}; " +
                                   $"HELD moved {check.ObservedHeldMovedMinor}, acknowledged {check.ExpectedHeldMovedMinor}.");
            }
        }
        check.Passed = check.Failures.Count == 0;
        return check;
    }

    // ---------------- timeline ----------------

    /// <summary>Once a second: 2xx/s and entries/s over the whole run, the server's RSS (from /proc) and the bench's own.</summary>
    private sealed class TimelineSampler : IDisposable
    {
        private readonly BenchRunner _runner;
        private readonly int? _pid;
        private readonly List<TimelineSample> _samples = [];
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public TimelineSampler(BenchRunner runner, int? pid)
        {
            _runner = runner;
            _pid = pid;
            _loop = Task.Run(LoopAsync);
        }

        private async Task LoopAsync()
        {
            var clock = Stopwatch.StartNew();
            long ok = 0, entries = 0;
            double last = 0;
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token))
                {
                    double now = clock.Elapsed.TotalSeconds;
                    long okNow = Interlocked.Read(ref _runner._requestsOk);
                    long entriesNow = Interlocked.Read(ref _runner._entriesOk);
                    double span = Math.Max(1e-3, now - last);
                    lock (_samples)
                    {
                        _samples.Add(new TimelineSample
                        {
                            Seconds = Math.Round(now, 2), OkPerSecond = Math.Round((okNow - ok) / span, 1), EntriesPerSecond = Math.Round((entriesNow - entries) / span, 1),
                            ServerRssMiB = _pid is { } pid ? RssMiB($"/proc/{pid}/status") : null, BenchRssMiB = RssMiB("/proc/self/status") ?? 0,
                        });
                    }
                    _runner._progress.Tick(now, (okNow - ok) / span, (entriesNow - entries) / span);
                    ok = okNow;
                    entries = entriesNow;
                    last = now;
                }
            }
            catch (OperationCanceledException)
            {
                // stopped
            }
        }

        private static double? RssMiB(string statusFile)
        {
            try
            {
                foreach (var line in File.ReadLines(statusFile))
                {
                    if (!line.StartsWith("VmRSS:", StringComparison.Ordinal)) continue;
                    var kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
                    return Math.Round(double.Parse(kb, System.Globalization.CultureInfo.InvariantCulture) / 1024, 1);
                }
            }
            catch (IOException)
            {
                // the process is gone, or not Linux
            }
            catch (UnauthorizedAccessException)
            {
                // not ours to read
            }
            return null;
        }

        public List<TimelineSample> Stop()
        {
            _stop.Cancel();
            _loop.Wait();
            lock (_samples) return [.. _samples];
        }

        public void Dispose()
        {
            if (!_stop.IsCancellationRequested) Stop();
            _stop.Dispose();
        }
    }

    public void Dispose()
    {
        _kafka?.Dispose();
        _api.Dispose();
    }
}
