using System.Net;
using Ledger.Engine;
using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Engine.Hosting;
using Ledger.ReadSide;
using Microsoft.Extensions.DependencyInjection;

namespace Ledger.Gateway.Tests;

/// <summary>
/// A broken invariant is a fail-stop with its own exception type, never caught and "repaired". Here the read store
/// lacks the row of a hold it says it holds (its watermark covers it), and the journal after that watermark releases
/// the hold: feeding that release at start breaks the read store's invariant. Start-up must stop with
/// <see cref="InvariantViolationException"/> and leave the store where it is, as evidence, instead of moving it aside and
/// rebuilding it (which is what it did while the runtime caught InvalidOperationException there).
/// </summary>
public sealed class InvariantFailStopTests
{
    [Test]
    public async Task ShouldStopStartUpOnAReadStoreInvariantInsteadOfRebuildingTheStore()
    {
        string dataDir = GatewayServer.NewDataDir();
        try
        {
            TestAccount account;
            long holdSequence;
            await using (var first = await GatewayServer.StartOnAsync(dataDir))
            {
                account = await first.OpenAccountAsync();
                using var client = await first.ClientAsync();
                (await client.PostAsync(account.Batches, Deposit("d", 10_000))).EnsureSuccessStatusCode();
                using var hold = await client.PostAsync(account.Batches, Batch(Entry("blocking", "h", 998, 3_000)));
                holdSequence = (long)(await hold.BodyAsync())["entries"]![0]!["sequence"]!;
                Assert.That((await client.GetAsync(account.Balances)).StatusCode, Is.EqualTo(HttpStatusCode.OK), "the read store holds the hold");
            }

            // The damage only a bug could do: the hold gone from its account's index, the watermark still covering it.
            string readDir = Path.Combine(dataDir, ReadStore.DirectoryName);
            using (var reads = ReadStore.Open(readDir, new ReadStoreSettings { IdKeys = false }))
            {
                var key = new byte[ReadCodec.KeyBytesMax];
                int length = ReadCodec.IndexKey(new AccountKey(account.Branch, account.Number).Packed, holdSequence, key);
                reads.Db.Remove(key.AsSpan(0, length).ToArray());
                reads.Checkpoint();
            }

            // The release is journaled while the read store is not fed, so the next start feeds it.
            await using (var second = await GatewayServer.StartOnAsync(dataDir, app =>
                app.Services.GetRequiredService<Hosting.LedgerRuntime>().WrapReadSink = _ => new DroppingSink()))
            {
                using var client = await second.ClientAsync();
                using var release = await client.DeleteAsync(account.Path + "/entries?correlationId=h");
                Assert.That(release.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            }

            // The start-up failure stops the host, which may cancel Kestrel's bind first: the runtime's own task says why.
            Hosting.LedgerRuntime? third = null;
            await Assert.CatchAsync(() => GatewayServer.StartOnAsync(dataDir, app => third = app.Services.GetRequiredService<Hosting.LedgerRuntime>()));
            var error = await Assert.ThrowsAsync<InvariantViolationException>(() => third!.WhenReady);
            Assert.That(error!.Message, Does.Contain("never saw applied"));
            Assert.That(Directory.GetDirectories(dataDir, ReadStore.DirectoryName + ".unusable-*"), Is.Empty, "the store was not set aside and rebuilt");
            Assert.That(Directory.Exists(readDir), Is.True);
        }
        finally
        {
            if (Directory.Exists(dataDir)) Directory.Delete(dataDir, recursive: true);
        }
    }

    /// <summary>A read side that takes nothing (the read store stays at its watermark).</summary>
    private sealed class DroppingSink : ICommittedCommandSink
    {
        public void OnCommitted(LedgerCommand command)
        {
        }
    }
}
