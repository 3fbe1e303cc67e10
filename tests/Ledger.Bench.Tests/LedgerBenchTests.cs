namespace Ledger.Bench.Tests;

/// <summary>
/// ledger-bench against real servers for a few seconds: its counts add up against the ledger's balances in both modes,
/// and its check fails when the server loses or invents an entry. No timing is asserted (the box is shared).
/// </summary>
[NonParallelizable]
[Category("Process")]
public class LedgerBenchTests
{
    private const string EveryOperation = "deposit=40,debit=10,hold=10,release=10,reversal=10,replay=5,bundle=5,balance=5,statement=5";

    [Test]
    public async Task ShouldKeepItsCredentialsThroughARunLongerThanATokenLives()
    {
        // Tokens live 2 s here, no clock skew (an hour and 30 s by default): a run of 5 s and its balance check after it must go on with new ones.
        // Before the bench took new tokens by itself, an hour's soak was refused from its 60th minute on.
        await using var gateway = await BenchServer.GatewayAsync("Ledger:Auth:TokenLifetime=00:00:02", "Ledger:Auth:ClockSkew=00:00:00");

        var run = await BenchRun.OfAsync(gateway.Address, "--mode", "closed", "--connections", "4", "--duration", "5", "--warmup", "0",
            "--batch", "2", "--accounts", "10", "--mix", EveryOperation);

        Assert.That(run.ExitCode, Is.EqualTo(Cli.ExitOk), run.ToString());
        var check = run.Result!.Check;
        Assert.That(check.Passed, Is.True, run.ToString());
        Assert.That(check.RequestsDeclined + check.RequestsFailed, Is.Zero, run.ToString());
    }

    [Test]
    public async Task ShouldTakeBothTokensWhenAuthenticatingWithoutSendingAnythingElse()
    {
        // AuthenticateAsync used to send /health/live with each client only to make its token handler take a token.
        await using var gateway = await BenchServer.GatewayAsync();
        using var api = new LedgerApi(new BenchOptions { Url = gateway.Address, Quiet = true });
        var before = await RequestCountsAsync(api);

        await api.AuthenticateAsync(CancellationToken.None);

        var after = await RequestCountsAsync(api);
        Assert.That(after.GetValueOrDefault("/connect/token") - before.GetValueOrDefault("/connect/token"), Is.EqualTo(2), "one token per client");
        Assert.That(after.Where(r => r.Key != "/metrics").Sum(r => r.Value) - before.Where(r => r.Key != "/metrics").Sum(r => r.Value), Is.EqualTo(2),
            "nothing else was sent");
        using var response = await api.Writer.GetAsync(new Uri($"/v1/accounts/1/{new BenchOptions().FirstAccount}/balances", UriKind.Relative));
        Assert.That((int)response.StatusCode, Is.Not.EqualTo(401), "the writer's requests carry the token it took");
        Assert.That((await RequestCountsAsync(api)).GetValueOrDefault("/connect/token"), Is.EqualTo(after.GetValueOrDefault("/connect/token")), "and took no other");
    }

    /// <summary>The gateway's count of the requests it processed, per route (its <c>/metrics</c>, read anonymously).</summary>
    private static async Task<Dictionary<string, double>> RequestCountsAsync(LedgerApi api)
    {
        string text = await api.Anonymous.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var counts = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(text,
                     "^http_requests_received_total\\{[^}]*route=\"([^\"]*)\"[^}]*\\} (\\S+)$", System.Text.RegularExpressions.RegexOptions.Multiline))
        {
            counts[m.Groups[1].Value] = counts.GetValueOrDefault(m.Groups[1].Value) + double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        }
        return counts;
    }

    [TestCase("closed", "--connections", "8", TestName = "ShouldBalanceItsCountsAgainstARealGatewayInClosedLoop")]
    [TestCase("open", "--rate", "300", TestName = "ShouldBalanceItsCountsAgainstARealGatewayInOpenLoop")]
    public async Task ShouldBalanceItsCountsAgainstARealGateway(string mode, string paceOption, string pace)
    {
        await using var gateway = await BenchServer.GatewayAsync();

        var run = await BenchRun.OfAsync(gateway.Address, "--mode", mode, paceOption, pace, "--duration", "2", "--warmup", "0.5",
            "--batch", "5", "--accounts", "20", "--mix", EveryOperation);

        Assert.That(run.ExitCode, Is.EqualTo(Cli.ExitOk), run.ToString());
        var check = run.Result!.Check;
        Assert.That(check.Passed, Is.True, run.ToString());
        Assert.That(check.RequestsSent, Is.EqualTo(check.RequestsOk + check.RequestsDeclined + check.RequestsFailed));
        Assert.That(check.RequestsOk, Is.GreaterThan(0));
        Assert.That(check.AccountsChecked, Is.EqualTo(20));
        Assert.That(check.ObservedAvailableMovedMinor, Is.EqualTo(check.ExpectedAvailableMovedMinor));
        Assert.That(check.ObservedHeldMovedMinor, Is.EqualTo(check.ExpectedHeldMovedMinor));
        var step = run.Result.Steps.Single();
        Assert.That(step.Ok, Is.GreaterThan(0));
        Assert.That(step.Percentiles, Is.Not.Empty);
        Assert.That(step.Latency.P99Ms, Is.GreaterThanOrEqualTo(step.Latency.P50Ms));
        if (mode == "open") Assert.That(step.OfferedRps, Is.EqualTo(300));
    }

    [Test]
    public async Task SweepShouldRecordAProbeAndOneStepPerRateAgainstARealGateway()
    {
        await using var gateway = await BenchServer.GatewayAsync();

        var run = await BenchRun.OfAsync(gateway.Address, "--mode", "sweep", "--rates", "100,200", "--duration", "1", "--warmup", "0",
            "--accounts", "10");

        Assert.That(run.ExitCode, Is.EqualTo(Cli.ExitOk), run.ToString());
        Assert.That(run.Result!.Steps.Select(s => s.OfferedRps), Is.EqualTo(new double?[] { 100, 200 }));
        Assert.That(run.Result.Check.Passed, Is.True);
    }

    [TestCase("NoOp:DropEvery=7", TestName = "ShouldFailWhenTheServerAcknowledgesAnEntryItDoesNotApply")]
    [TestCase("NoOp:InventEvery=7", TestName = "ShouldFailWhenTheServerAppliesAnEntryTwice")]
    public async Task ShouldFailWhenTheServerLosesOrInventsAnEntry(string fault)
    {
        await using var server = await BenchServer.NoOpAsync("NoOp:Mode=Track", fault);

        var run = await BenchRun.OfAsync(server.Address, "--mode", "closed", "--connections", "4", "--duration", "1", "--warmup", "0",
            "--batch", "3", "--accounts", "10", "--target", "faulty");

        Assert.That(run.ExitCode, Is.EqualTo(Cli.ExitCheckFailed), run.ToString());
        Assert.That(run.Result!.Check.Passed, Is.False);
        Assert.That(run.Result.Check.ObservedAvailableMovedMinor, Is.Not.EqualTo(run.Result.Check.ExpectedAvailableMovedMinor));
        Assert.That(run.Output, Does.Contain("check (full): FAILED"));
        Assert.That(run.Result.Check.Failures, Has.Some.Contains("sum over accounts"));
    }

    [Test]
    public async Task ShouldPassAgainstTheSameServerWithoutTheFault()
    {
        await using var server = await BenchServer.NoOpAsync("NoOp:Mode=Track");

        var run = await BenchRun.OfAsync(server.Address, "--mode", "closed", "--connections", "4", "--duration", "1", "--warmup", "0",
            "--batch", "3", "--accounts", "10", "--mix", "deposit=80,debit=10,hold=10");

        Assert.That(run.ExitCode, Is.EqualTo(Cli.ExitOk), run.ToString());
    }

    [Test]
    public async Task ShouldCheckOnlyCountsAgainstTheNoOpCeiling()
    {
        await using var server = await BenchServer.NoOpAsync();

        var run = await BenchRun.OfAsync(server.Address, "--mode", "closed", "--connections", "4", "--duration", "1", "--warmup", "0",
            "--accounts", "10", "--check", "counts", "--target", "noop");

        Assert.That(run.ExitCode, Is.EqualTo(Cli.ExitOk), run.ToString());
        Assert.That(run.Result!.Check.AccountsChecked, Is.Zero);
    }

    [TestCase("--batch", "0")]
    [TestCase("--mix", "deposit=1,teleport=2")]
    [TestCase("--connections", "0")]
    public async Task ShouldRefuseBadOptionsWithExitCode2(string option, string value)
    {
        var run = await BenchRun.OfAsync(new Uri("http://127.0.0.1:9"), option, value);

        Assert.That(run.ExitCode, Is.EqualTo(Cli.ExitUsage), run.ToString());
    }

    [Test]
    public async Task ShouldSayWhenTheServerCannotBeReached()
    {
        var run = await BenchRun.OfAsync(new Uri("http://127.0.0.1:9"), "--duration", "1");

        Assert.That(run.ExitCode, Is.EqualTo(Cli.ExitUsage), run.ToString());
        Assert.That(run.Output, Does.Contain("cannot reach").Or.Contain("/connect/token"));
    }
}
