using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace Ledger.Bench;

/// <summary>
/// The command line of ledger-bench. Exit codes: 0 the run finished and its check passed, 1 the check failed (the
/// server lost or invented something, or answers stayed unknown), 2 bad options or the set-up failed.
/// Usage: <c>ledger-bench --url http://127.0.0.1:8080 --mode open --rate 5000 --duration 10 --batch 10 --out r.json</c>
/// </summary>
public static class Cli
{
    public const int ExitOk = 0;
    public const int ExitCheckFailed = 1;
    public const int ExitUsage = 2;

    public static Task<int> RunAsync(string[] args, TextWriter? output = null, CancellationToken cancel = default)
    {
        output ??= Console.Out;
        var url = new Option<string>("--url") { Description = "The server's base address.", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var target = new Option<string>("--target") { Description = "What is measured (ledger, noop, postgres): the report groups by it.", DefaultValueFactory = _ => "ledger" };
        var label = new Option<string>("--label") { Description = "The figure's name in the report (e.g. batch-10).", DefaultValueFactory = _ => "run" };
        var section = new Option<string>("--section") { Description = "The report's section: http, sweep, hot, soak, ….", DefaultValueFactory = _ => "http" };
        var round = new Option<int>("--round") { Description = "The round of an interleaved comparison (the report takes the median).", DefaultValueFactory = _ => 1 };
        var mode = new Option<BenchMode>("--mode") { Description = "open (target rate), closed (N connections, the peak) or sweep (open-loop steps).", DefaultValueFactory = _ => BenchMode.Closed };
        var rate = new Option<double>("--rate") { Description = "Open loop: requests per second.", DefaultValueFactory = _ => 1_000 };
        var rates = new Option<string?>("--rates") { Description = "Sweep: comma-separated offered rates; default: fractions of a closed-loop probe's peak." };
        var fractions = new Option<string?>("--sweep-fractions") { Description = "Sweep without --rates: fractions of the probed peak (default 0.1,0.25,0.5,0.8,0.9,1,1.2)." };
        var kneeP99 = new Option<double>("--knee-p99-ms") { Description = "Sweep: the knee's p99 bound in ms.", DefaultValueFactory = _ => 50 };
        var connections = new Option<int>("--connections", "-c") { Description = "Keep-alive connections (closed loop: the concurrency).", DefaultValueFactory = _ => 32 };
        var duration = new Option<double>("--duration", "-d") { Description = "Seconds per measured step.", DefaultValueFactory = _ => 10 };
        var warmup = new Option<double>("--warmup") { Description = "Seconds of unmeasured load first.", DefaultValueFactory = _ => 2 };
        var batch = new Option<int>("--batch", "-b") { Description = "Entries per batch (deposits, debits, holds).", DefaultValueFactory = _ => 1 };
        var accounts = new Option<int>("--accounts") { Description = "How many accounts.", DefaultValueFactory = _ => 1_000 };
        var firstAccount = new Option<long>("--first-account") { Description = "The first account number (branch 1 unless --branch).", DefaultValueFactory = _ => 1 };
        var branch = new Option<int>("--branch") { DefaultValueFactory = _ => 1 };
        var distribution = new Option<AccountDistribution>("--distribution") { Description = "uniform, zipf or hot.", DefaultValueFactory = _ => AccountDistribution.Uniform };
        var zipf = new Option<double>("--zipf-exponent") { DefaultValueFactory = _ => 0.99 };
        var hotAccounts = new Option<int>("--hot-accounts") { Description = "hot: how many accounts are hot.", DefaultValueFactory = _ => 10 };
        var hotShare = new Option<double>("--hot-share") { Description = "hot: the share of requests they get.", DefaultValueFactory = _ => 0.9 };
        var mix = new Option<string>("--mix")
        {
            Description = "Weights: deposit, debit, hold, release, reversal, replay, bundle, balance, statement (e.g. deposit=70,debit=10,hold=5,release=5,balance=10).",
            DefaultValueFactory = _ => "deposit=100",
        };
        var check = new Option<CheckLevel>("--check") { Description = "full (counts and balances), counts, none.", DefaultValueFactory = _ => CheckLevel.Full };
        var output_ = new Option<string?>("--out", "-o") { Description = "Results JSON to write." };
        var pid = new Option<int?>("--server-pid") { Description = "The server's pid, to sample its RSS." };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 42 };
        var noOpen = new Option<bool>("--no-open") { Description = "The accounts exist already: do not import them." };
        var timeout = new Option<double>("--timeout") { Description = "Seconds before a request counts as failed.", DefaultValueFactory = _ => 30 };
        var inFlight = new Option<int>("--in-flight-max") { Description = "Open loop: requests in flight at most.", DefaultValueFactory = _ => 20_000 };
        var quiet = new Option<bool>("--plain") { Description = "Plain lines even on a terminal." };
        var kafka = new Option<string?>("--kafka") { Description = "Kafka brokers (host:port): send the load as Avro commands on the commands topic, read the answers on the results topic (set-up and check stay on REST at --url)." };
        var commandsTopic = new Option<string>("--commands-topic") { DefaultValueFactory = _ => "ledger.commands" };
        var resultsTopic = new Option<string>("--results-topic") { DefaultValueFactory = _ => "ledger.results" };

        var root = new RootCommand("ledger-bench: load generator for the ledger's REST API and Kafka topics; checks its counts against the ledger afterwards.")
        {
            url, target, label, section, round, mode, rate, rates, fractions, kneeP99, connections, duration, warmup, batch, accounts, firstAccount, branch,
            distribution, zipf, hotAccounts, hotShare, mix, check, output_, pid, seed, noOpen, timeout, inFlight, quiet, kafka, commandsTopic, resultsTopic,
        };
        root.SetAction(async (parse, ct) =>
        {
            BenchOptions options;
            try
            {
                options = new BenchOptions
                {
                    Url = new Uri(parse.GetValue(url)!), Target = parse.GetValue(target)!, Label = parse.GetValue(label)!, Section = parse.GetValue(section)!, Round = parse.GetValue(round), Mode = parse.GetValue(mode),
                    RatePerSecond = parse.GetValue(rate), KneeP99MsMax = parse.GetValue(kneeP99), Connections = parse.GetValue(connections),
                    DurationSeconds = parse.GetValue(duration), WarmupSeconds = parse.GetValue(warmup), BatchSize = parse.GetValue(batch),
                    Accounts = parse.GetValue(accounts), FirstAccount = parse.GetValue(firstAccount), Branch = parse.GetValue(branch),
                    Distribution = parse.GetValue(distribution), ZipfExponent = parse.GetValue(zipf), HotAccounts = Math.Min(parse.GetValue(hotAccounts), parse.GetValue(accounts)),
                    HotShare = parse.GetValue(hotShare), Mix = WorkloadMix.Parse(parse.GetValue(mix)!), Check = parse.GetValue(check),
                    OutputPath = parse.GetValue(output_), ServerPid = parse.GetValue(pid), Seed = parse.GetValue(seed), OpenAccounts = !parse.GetValue(noOpen),
                    TimeoutSeconds = parse.GetValue(timeout), InFlightMax = parse.GetValue(inFlight), Quiet = parse.GetValue(quiet),
                    KafkaBootstrapServers = parse.GetValue(kafka), KafkaCommandsTopic = parse.GetValue(commandsTopic)!, KafkaResultsTopic = parse.GetValue(resultsTopic)!,
                };
                if (parse.GetValue(rates) is { } r) options.SweepRates = ParseList(r, "--rates");
                if (parse.GetValue(fractions) is { } f) options.SweepFractions = ParseList(f, "--sweep-fractions");
            }
            catch (UriFormatException ex)
            {
                await output.WriteLineAsync($"--url: {ex.Message}");
                return ExitUsage;
            }
            catch (FormatException ex)
            {
                await output.WriteLineAsync(ex.Message);
                return ExitUsage;
            }
            if (options.Validate() is { } problem)
            {
                await output.WriteLineAsync(problem);
                return ExitUsage;
            }
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, cancel);
            return await RunAsync(options, output, linked.Token);
        });
        return root.Parse(args).InvokeAsync(cancellationToken: cancel);
    }

    private static List<double> ParseList(string text, string name)
    {
        var values = new List<double>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || v <= 0)
            {
                throw new FormatException($"{name}: '{part}' is not a positive number.");
            }
            values.Add(v);
        }
        return values;
    }

    /// <summary>Runs with parsed options: progress, the run, the results JSON, the check's verdict as the exit code.</summary>
    public static async Task<int> RunAsync(BenchOptions options, TextWriter output, CancellationToken cancel)
    {
        bool fancy = !options.Quiet && ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        BenchResult result;
        try
        {
            output.WriteLine($"ledger-bench: {options.Mode.ToString().ToLowerInvariant()} against {options.Target} at {options.Url}{(options.KafkaBootstrapServers is { } k ? $" over Kafka at {k} ({options.KafkaCommandsTopic} -> {options.KafkaResultsTopic})" : "")}, mix {options.Mix}, " +
                             $"batch {options.BatchSize}, {options.Accounts} accounts ({options.Distribution.ToString().ToLowerInvariant()}), {options.Connections} connections");
            if (fancy)
            {
                BenchResult? inner = null;
                await AnsiConsole.Progress().AutoClear(false).HideCompleted(false)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new ElapsedTimeColumn())
                    .StartAsync(async ctx =>
                    {
                        using var runner = new BenchRunner(options, new SpectreProgress(ctx));
                        inner = await runner.RunAsync(cancel);
                        foreach (var sample in runner.ErrorSamples) AnsiConsole.MarkupLine(Markup.Escape("  " + sample));
                    });
                result = inner!;
            }
            else
            {
                using var runner = new BenchRunner(options, new PlainProgress(output));
                result = await runner.RunAsync(cancel);
                foreach (var sample in runner.ErrorSamples) output.WriteLine("  " + sample);
            }
        }
        catch (BenchSetupException ex)
        {
            output.WriteLine($"ledger-bench: {ex.Message}");
            return ExitUsage;
        }
        catch (HttpRequestException ex)
        {
            output.WriteLine($"ledger-bench: cannot reach {options.Url}: {ex.Message}");
            return ExitUsage;
        }
        catch (Confluent.Kafka.KafkaException ex)
        {
            output.WriteLine($"ledger-bench: Kafka at {options.KafkaBootstrapServers}: {ex.Message}");
            return ExitUsage;
        }

        if (options.OutputPath is { } path)
        {
            if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir) Directory.CreateDirectory(dir);
            result.Write(path);
        }
        var c = result.Check;
        if (result.Knee is { } knee)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"knee: {knee.OfferedRps:0} req/s offered, {knee.AcceptedRps:0} accepted, p99 {knee.P99Ms:0.###} ms ({knee.Rule})"));
        }
        output.WriteLine($"check ({c.Level.ToString().ToLowerInvariant()}): {(c.Passed ? "passed" : "FAILED")}: requests {c.RequestsSent} sent = {c.RequestsOk} 2xx + " +
                         $"{c.RequestsDeclined} 4xx + {c.RequestsFailed} failed ({c.Resent} resent, {c.Unresolved} unresolved); entries {c.EntriesSent} sent, {c.EntriesOk} acknowledged" +
                         (c.AccountsChecked > 0 ? $"; {c.AccountsChecked} accounts: AVAILABLE moved {c.ObservedAvailableMovedMinor} of {c.ExpectedAvailableMovedMinor} acknowledged, HELD {c.ObservedHeldMovedMinor} of {c.ExpectedHeldMovedMinor}" : ""));
        foreach (var failure in c.Failures) output.WriteLine("  " + failure);
        if (options.OutputPath is not null) output.WriteLine($"results: {options.OutputPath}");
        return c.Passed ? ExitOk : ExitCheckFailed;
    }
}
