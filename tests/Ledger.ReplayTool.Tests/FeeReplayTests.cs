using System.Globalization;
using Ledger.Engine.Catalog;
using Ledger.Engine.Commands;
using Ledger.Engine.Hosting;
using Ledger.Journal;
using Ledger.Testing;
using NUnit.Framework;
using TestCommands = Ledger.Testing.Commands;

namespace Ledger.ReplayTool.Tests;

/// <summary>
/// Issue 16: a journal with fee entries (posted, declined for funds, replayed, reversed with their entries) replays from
/// record 1 to the live state hash with identical events (<c>verify --full</c>, <c>replay --full</c>).
/// </summary>
public class FeeReplayTests
{
    [Test]
    public void AJournalWithFeesShouldReplayToTheLiveStateHashWithIdenticalEvents()
    {
        string dir = Path.Combine(Path.GetTempPath(), "ledger-replay-tests", "fees-" + Guid.NewGuid().ToString("N"));
        try
        {
            ulong live;
            int fees = 0;
            using (var store = LedgerStore.Open(LedgerFixture.Options(dir)))
            using (var host = new EngineHost(store.Engine, store.Journal, [], new EngineHostSettings { TickInterval = TimeSpan.Zero }, store.Prefetcher, store.StoreWriter))
            {
                host.Start();
                var withFee = Catalogs.WithRules(new Dictionary<int, RuleDefinition[]>
                {
                    [998] = [Catalogs.Rule("fee", "code=700 bps=120 min=3 max=90")], [201] = [Catalogs.Rule("fee", "code=700 fixed=4")],
                });
                var load = new LedgerCommand { TimestampTicks = TestCommands.T0 };
                load.SetLoadCatalog(withFee.Replacing(TestCommands.DefaultCatalog, "ledger-admin"));
                var commands = new List<LedgerCommand> { load };
                var workload = new RandomWorkload(seed: 41);
                commands.AddRange(workload.Take(1_500));
                foreach (var c in commands)
                {
                    host.SubmitAsync(c).AsTask().GetAwaiter().GetResult();
                    if (c.Result.IsOk && !c.Result.Replayed) fees += c.Result.FeeCount;
                }
                host.Stop();
                live = store.Engine.ComputeStateHash();
            }
            Assert.That(fees, Is.GreaterThan(50), "the workload's 998 and 201 postings carried fees");
            string hash = live.ToString("x16", CultureInfo.InvariantCulture);
            var verify = ToolRun.Of("verify", dir, "--full");
            Assert.That(verify.ExitCode, Is.EqualTo(0), verify.ToString());
            Assert.That(verify.Out, Does.Contain($"state hash:  {hash}").And.Contain("events identical"));
            var replay = ToolRun.Of("replay", dir, "--full");
            Assert.That(replay.ExitCode, Is.EqualTo(0), replay.ToString());
            Assert.That(replay.Out, Does.Contain($"state hash:   {hash}"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
