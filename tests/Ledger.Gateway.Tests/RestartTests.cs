using System.Net;

namespace Ledger.Gateway.Tests;

/// <summary>
/// Restart: post, stop the gateway, start it again on the same data directory: balances and statements are the same,
/// the replay is the first answer, and a decline is remembered even where the ledger would now decide otherwise.
/// Runs on the real FASTER journal that LedgerRuntime opens through LedgerStore.
/// </summary>
public sealed class RestartTests
{
    [Test]
    public async Task ShouldAnswerTheSameBalancesAndStatementsAfterARestart()
    {
        string dataDir = GatewayServer.NewDataDir();
        try
        {
            TestAccount account;
            string balancesBefore, statementBefore, replayBefore;
            await using (var first = await GatewayServer.StartOnAsync(dataDir))
            {
                Assert.That(first.Runtime.IsDurable, Is.True, "the runtime must journal every acknowledged command");
                account = await first.OpenAccountAsync();
                using var client = await first.ClientAsync();
                using var deposit = await client.PostAsync(account.Batches, Deposit("d", 10_000));
                replayBefore = await deposit.Content.ReadAsStringAsync();
                (await client.PostAsync(account.Batches, Batch(Entry("blocking", "h", 998, 3_000)))).EnsureSuccessStatusCode();
                (await client.PostAsync(account.Batches, Batch(Entry("ledger", "buy", 998, 1_000)))).EnsureSuccessStatusCode();
                (await client.PostAsync(account.Batches, Batch(Entry("reversal", "rev", reverses: "buy")))).EnsureSuccessStatusCode();
                (await client.DeleteAsync(account.Path + "/entries?correlationId=h")).EnsureSuccessStatusCode();
                (await client.PostAsync(account.Batches, Batch(Entry("ledger", "no", 998, 1_000_001)))).Dispose();
                // A decline that a re-decision would now turn into a posting: the funds it lacked arrive before the
                // restart, so only a remembered decline answers 422 again (a lost one would post and answer 201).
                using (var shortOfFunds = await client.PostAsync(account.Batches, Batch(Entry("ledger", "short", 998, 50_000))))
                    await shortOfFunds.ProblemAsync(422, "insufficient-funds");
                (await client.PostAsync(account.Batches, Deposit("funds", 100_000))).EnsureSuccessStatusCode();
                balancesBefore = await client.GetStringAsync(account.Balances);
                statementBefore = await client.GetStringAsync(account.Statement);
            }

            await using var second = await GatewayServer.StartOnAsync(dataDir);
            // The start held both stores' compactions (none ran beside recovery) and let them go before ready.
            Assert.That((second.Runtime.Store!.Entries.Settings.HoldCompactionsAtOpen, second.Runtime.Reads!.Settings.HoldCompactionsAtOpen), Is.EqualTo((true, true)));
            Assert.That((second.Runtime.Store.Entries.CompactionsHeld, second.Runtime.Reads.CompactionsHeld), Is.EqualTo((false, false)), "resumed once ready");
            using var again = await second.ClientAsync();
            Assert.That(await again.GetStringAsync(account.Balances), Is.EqualTo(balancesBefore));
            Assert.That(await again.GetStringAsync(account.Statement), Is.EqualTo(statementBefore));
            using var replay = await again.PostAsync(account.Batches, Deposit("d", 10_000));
            Assert.That(replay.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(await replay.Content.ReadAsStringAsync(), Is.EqualTo(replayBefore), "idempotency survives the restart");
            using var declined = await again.PostAsync(account.Batches, Batch(Entry("ledger", "no", 998, 1_000_001)));
            await declined.ProblemAsync(422, "rule-declined");
            using var stillShort = await again.PostAsync(account.Batches, Batch(Entry("ledger", "short", 998, 50_000)));
            await stillShort.ProblemAsync(422, "insufficient-funds");
            Assert.That(await again.GetStringAsync(account.Balances), Is.EqualTo(balancesBefore), "the remembered decline changed nothing");
        }
        finally
        {
            if (Directory.Exists(dataDir)) Directory.Delete(dataDir, recursive: true);
        }
    }
}
