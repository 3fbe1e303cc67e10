using System.Text;
using Ledger.Testing;

namespace Ledger.Bench.Tests;

/// <summary>
/// ledger-bench's Kafka mode (<c>--kafka</c>) against a real gateway whose Kafka ingress is on, on librdkafka's mock
/// cluster: commands in Avro on ledger.commands, results read from ledger.results, and the same check as REST: counts,
/// then every account's balances against what the results acknowledged. It fails when an entry appears that no result
/// acknowledged. No timing is asserted.
/// </summary>
[NonParallelizable]
public class KafkaModeTests
{
    private const string KafkaOperations = "deposit=40,debit=10,hold=20,release=10,reversal=10,replay=10";

    private static async Task<BenchServer> KafkaGatewayAsync(KafkaMockCluster kafka) =>
        await BenchServer.GatewayAsync($"Ledger:Kafka:BootstrapServers={kafka.BootstrapServers}", "Ledger:Kafka:CommandsPartner=demo-partner");

    [TestCase("closed", "--connections", "64", TestName = "ShouldBalanceItsCountsOverKafkaAgainstARealGatewayInClosedLoop")]
    [TestCase("open", "--rate", "200", TestName = "ShouldBalanceItsCountsOverKafkaAgainstARealGatewayInOpenLoop")]
    public async Task ShouldBalanceItsCountsOverKafka(string mode, string paceOption, string pace)
    {
        using var kafka = KafkaMockCluster.Start("ledger.commands", "ledger.results", "ledger.events");
        await using var gateway = await KafkaGatewayAsync(kafka);

        var run = await BenchRun.OfAsync(gateway.Address, "--kafka", kafka.BootstrapServers, "--mode", mode, paceOption, pace, "--duration", "3",
            "--warmup", "1", "--batch", "5", "--accounts", "20", "--mix", KafkaOperations, "--section", "kafka");

        Assert.That(run.ExitCode, Is.EqualTo(Cli.ExitOk), run.ToString());
        Assert.That(run.Result!.Workload.Transport, Is.EqualTo("kafka"));
        var check = run.Result.Check;
        Assert.That(check.Passed, Is.True, run.ToString());
        Assert.That(check.RequestsSent, Is.EqualTo(check.RequestsOk + check.RequestsDeclined + check.RequestsFailed));
        Assert.That(check.RequestsOk, Is.GreaterThan(0));
        Assert.That(check.AccountsChecked, Is.EqualTo(20));
        Assert.That(check.ObservedAvailableMovedMinor, Is.EqualTo(check.ExpectedAvailableMovedMinor));
        Assert.That(check.ObservedHeldMovedMinor, Is.EqualTo(check.ExpectedHeldMovedMinor));
        Assert.That(check.ExpectedHeldMovedMinor, Is.Not.Zero, "holds went over Kafka and were acknowledged");
        var step = run.Result.Steps.Single();
        Assert.That(step.Ok, Is.GreaterThan(0));
        Assert.That(step.Latency.P99Ms, Is.GreaterThanOrEqualTo(step.Latency.P50Ms));
    }

    [Test]
    public async Task ShouldFailOverKafkaWhenAnEntryAppearsThatNoResultAcknowledged()
    {
        using var kafka = KafkaMockCluster.Start("ledger.commands", "ledger.results", "ledger.events");
        await using var gateway = await KafkaGatewayAsync(kafka);
        var options = new BenchOptions
        {
            Url = gateway.Address, KafkaBootstrapServers = kafka.BootstrapServers, Mode = BenchMode.Closed, Connections = 16, DurationSeconds = 2,
            WarmupSeconds = 0, BatchSize = 3, Accounts = 10, FirstAccount = 7_000_001, Quiet = true,
        };
        using var output = new StringWriter();
        // Once the balances before are read and the measured step starts, a deposit the bench never sent lands on its first account.
        var progress = new InjectOnStep(new PlainProgress(output), "closed", () => DepositBehindTheBenchsBackAsync(options));

        BenchResult result;
        using (var runner = new BenchRunner(options, progress)) result = await runner.RunAsync(CancellationToken.None);

        Assert.That(progress.Injected, Is.True);
        Assert.That(result.Check.Passed, Is.False, output.ToString());
        Assert.That(result.Check.ObservedAvailableMovedMinor - result.Check.ExpectedAvailableMovedMinor, Is.EqualTo(777));
        Assert.That(result.Check.Failures, Has.Some.Contains($"account 1/{options.FirstAccount}"));
    }

    private static async Task DepositBehindTheBenchsBackAsync(BenchOptions options)
    {
        using var api = new LedgerApi(options);
        await api.AuthenticateAsync(CancellationToken.None);
        const string body = "{\"entries\":[{\"entryKind\":\"ledger\",\"correlationId\":\"behind-its-back\",\"entryType\":100,\"amount\":{\"value\":777,\"currency\":\"USD\"}}]}";
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await api.Writer.PostAsync(new Uri($"/v1/accounts/1/{options.FirstAccount}/batches", UriKind.Relative), content);
        Assert.That((int)response.StatusCode, Is.EqualTo(201), await response.Content.ReadAsStringAsync());
    }

    [Test]
    public void ShouldReadTheCommandIdAndStatusOfAResult()
    {
        // A LedgerResult in single-object encoding: header, commandId "r1-k42", status 422 (zig-zag 844 = CC 06), the rest ignored.
        byte[] header = [0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8];
        byte[] id = Encoding.ASCII.GetBytes("r1-k42");
        byte[] value = [.. header, (byte)(id.Length * 2), .. id, 0xCC, 0x06, 0x00, 0x00];

        Assert.That(KafkaTransport.TryReadResult(value, "r1-k"u8, out long send, out int status), Is.True);
        Assert.That((send, status), Is.EqualTo((42L, 422)));
        Assert.That(KafkaTransport.TryReadResult(value, "r2-k"u8, out _, out _), Is.False, "another run's result");
    }

    /// <summary>Passes everything to <paramref name="inner"/>; runs <paramref name="action"/> once, when the step named <paramref name="step"/> starts.</summary>
    private sealed class InjectOnStep(IBenchProgress inner, string step, Func<Task> action) : IBenchProgress
    {
        public bool Injected { get; private set; }

        public void Note(string line) => inner.Note(line);

        public void StepStarted(string name, double seconds)
        {
            inner.StepStarted(name, seconds);
            if (name != step || Injected) return;
            action().GetAwaiter().GetResult();
            Injected = true;
        }

        public void StepFinished(StepResult s, bool measured) => inner.StepFinished(s, measured);

        public void Tick(double seconds, double okPerSecond, double entriesPerSecond) => inner.Tick(seconds, okPerSecond, entriesPerSecond);
    }
}
