using System.Net;
using System.Text.Json.Nodes;
using Ledger.Engine.Catalog;
using Ledger.Engine.Domain;
using Ledger.Gateway.Hosting;
using Ledger.Journal.Entries;
using Ledger.ReadSide;
using Ledger.Testing;
using RocksDbSharp;

namespace Ledger.Gateway.Tests;

/// <summary>
/// The ledger's read store keeps no key from (account, correlation id) to sequence: the statement by correlation id asks
/// the entry store beside it (<see cref="ReadStoreSettings.IdKeys"/>). Every entry a statement lists is found by its id,
/// fees, bundle legs, holds, releases, reversals and removed holds included; a declined or unknown id, or another
/// account's, is not. A reader that would look for id keys is refused the store; a read-only start whose entry store is
/// behind its read store still finds the entries only the read store holds.
/// </summary>
public sealed class CorrelationIdLookupTests
{
    private static StringContent FeeCatalog() =>
        Json(HistoryCatalogFile.ToJson(Catalogs.WithRules(new Dictionary<int, RuleDefinition[]> { [998] = [Catalogs.Rule("fee", "code=700 fixed=25")] })));

    private static StringContent Transfer(string bundleId, TestAccount from, TestAccount to, long amount) => Json(new JsonObject
    {
        ["bundleId"] = bundleId,
        ["legs"] = new JsonArray(
            new JsonObject { ["branch"] = from.Branch, ["account"] = from.Number, ["entries"] = JsonNode.Parse("[" + Entry("ledger", bundleId + "-out", 200, amount) + "]") },
            new JsonObject { ["branch"] = to.Branch, ["account"] = to.Number, ["entries"] = JsonNode.Parse("[" + Entry("ledger", bundleId + "-in", 201, amount) + "]") }),
    }.ToJsonString());

    [Test]
    public async Task EveryEntryShouldBeFoundByItsCorrelationIdAndNoIdKeyWritten()
    {
        string dir = GatewayServer.NewDataDir();
        try
        {
            await using (var server = await GatewayServer.StartOnAsync(dir))
            {
                using var admin = await server.ClientAsync("ledger-admin");
                (await admin.PutAsync("/v1/history-codes", FeeCatalog())).EnsureSuccessStatusCode();
                var a = await server.OpenAccountAsync();
                var b = await server.OpenAccountAsync();
                using var client = await server.ClientAsync();
                async Task PostAsync(TestAccount account, params string[] entries)
                {
                    using var response = await client.PostAsync(account.Batches, Batch(entries));
                    Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
                }
                await PostAsync(a, Entry("ledger", "dep", 100, 100_000));
                await PostAsync(a, Entry("ledger", "buy", 998, 2_000), Entry("blocking", "hold", 998, 1_000), Entry("blocking", "hold2", 200, 700));
                await PostAsync(a, Entry("unblocking", "rel", unblocks: "hold"));
                await PostAsync(a, Entry("reversal", "rev", reverses: "buy"));
                (await client.DeleteAsync(a.Path + "/entries?correlationId=hold2")).EnsureSuccessStatusCode();
                using (var declined = await client.PostAsync(a.Batches, Batch(Entry("ledger", "too-much", 200, 10_000_000))))
                {
                    Assert.That((int)declined.StatusCode, Is.EqualTo(422), await declined.Content.ReadAsStringAsync());
                }
                (await client.PostAsync("/v1/transaction-bundles", Transfer("t1", a, b, 3_000))).EnsureSuccessStatusCode();
                for (int i = 0; i < 20; i++) await PostAsync(b, Entry("ledger", $"p{i:D2}", 100, i + 1));

                async Task<JsonArray> StatementAsync(TestAccount account, string query)
                {
                    using var response = await client.GetAsync(account.StatementV2 + query);
                    Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
                    return (await response.BodyAsync())["entries"]!.AsArray();
                }
                var found = new List<string>();
                foreach (var account in new[] { a, b })
                {
                    foreach (var row in await StatementAsync(account, "&limit=1000"))
                    {
                        string id = (string)row!["correlationId"]!;
                        var byId = await StatementAsync(account, "&correlationId=" + id);
                        Assert.That(byId.Select(r => r!.ToJsonString()), Is.EqualTo(new[] { row.ToJsonString() }), $"{id} on {account.Path}");
                        found.Add(id);
                    }
                }
                Assert.That(found, Is.SupersetOf(new[] { "dep", "buy", "buy:fee", "hold", "hold2", "rel", "rev", "t1-out", "t1-in", "p00", "p19" }), "every kind of entry was looked up");
                Assert.That(await StatementAsync(a, "&correlationId=too-much"), Is.Empty, "a declined entry is not in the statement");
                Assert.That(await StatementAsync(a, "&correlationId=nope"), Is.Empty);
                Assert.That(await StatementAsync(a, "&correlationId=p00"), Is.Empty, "another account's id");
                Assert.That(await StatementAsync(b, "&correlationId=buy"), Is.Empty, "another account's id");
            }

            string readDir = Path.Combine(dir, ReadStore.DirectoryName);
            using (var reads = ReadStore.Open(readDir, new ReadStoreSettings { IdKeys = false }, readOnly: true))
            {
                using var iterator = reads.Db.NewIterator(null, new ReadOptions().SetIterateUpperBound([ReadCodec.IdPrefix + 1]));
                iterator.Seek([ReadCodec.IdPrefix]);
                Assert.That(iterator.Valid(), Is.False, "no (account, correlation id) key in the ledger's read store");
            }
            Assert.Throws<ReadStoreFormatException>(() => ReadStore.Open(readDir, new ReadStoreSettings(), readOnly: true).Dispose(),
                "a reader that would look for id keys is refused the store");
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public async Task AReadOnlyStartShouldFindTheEntriesItsEntryStoreDoesNotHoldYet()
    {
        string dir = GatewayServer.NewDataDir();
        string storeDir = Path.Combine(dir, EntryStore.DirectoryName), behind = dir + "-store-behind";
        try
        {
            TestAccount account;
            await using (var server = await GatewayServer.StartOnAsync(dir))
            {
                account = await server.OpenAccountAsync();
                using var client = await server.ClientAsync();
                (await client.PostAsync(account.Batches, Deposit("early", 10_000))).EnsureSuccessStatusCode();
            }
            DataDirs.CopyDirectory(storeDir, behind); // the entry store as it stood: closed, so whole
            await using (var server = await GatewayServer.StartOnAsync(dir))
            {
                using var client = await server.ClientAsync();
                (await client.PostAsync(account.Batches, Batch(Entry("ledger", "late1", 200, 1_000)))).EnsureSuccessStatusCode();
                (await client.PostAsync(account.Batches, Batch(Entry("ledger", "late2", 200, 2_000), Entry("ledger", "late3", 200, 3_000)))).EnsureSuccessStatusCode();
            }
            // The read store (durable to its own last flush) ahead of the entry store (to its own), as after a crash.
            Directory.Delete(storeDir, recursive: true);
            Directory.Move(behind, storeDir);

            var options = new LedgerOptions();
            string readDir = Path.Combine(dir, ReadStore.DirectoryName);
            var key = new AccountKey(account.Branch, account.Number);
            using (var readOnly = ReadOnlyReads.Open(readDir, ComponentSettings.ReadStore(options), storeDir, ComponentSettings.EntryStore(options)))
            {
                long? Find(string id) => readOnly.Reads.Statement(key, new StatementQuery { CorrelationId = id })!.Rows.SingleOrDefault()?.Sequence;
                long early = Find("early") ?? 0;
                Assert.That(early, Is.GreaterThan(0), "from the entry store");
                Assert.That(readOnly.Reads.Statement(key, new StatementQuery { Limit = 10 })!.Rows.Select(r => (r.CorrelationId, (long?)r.Sequence)),
                    Is.EqualTo(new[] { "early", "late1", "late2", "late3" }.Select(id => (id, Find(id)))), "from the read store's rows past the entry store's last sequence");
                Assert.That(Find("nope"), Is.Null);
            }
            // The walk is bounded like any filtered page: past the scan budget, a page without the entry and a cursor.
            using (var readOnly = ReadOnlyReads.Open(readDir, ComponentSettings.ReadStore(options) with { ScanBudget = 1 }, storeDir, ComponentSettings.EntryStore(options)))
            {
                var pages = new List<StatementPage>();
                var query = new StatementQuery { CorrelationId = "late3" };
                do
                {
                    pages.Add(readOnly.Reads.Statement(key, query)!);
                    query = query with { AfterSequence = pages[^1].NextAfterSequence };
                }
                while (pages[^1].NextAfterSequence != 0 && pages.Count < 10);
                Assert.That(pages.Select(p => p.Rows.Count), Is.EqualTo(new[] { 0, 0, 1 }), "late1 and late2 walked one a page, then late3 found");
                Assert.That(pages[^1].Rows[0].CorrelationId, Is.EqualTo("late3"));
            }
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            if (Directory.Exists(behind)) Directory.Delete(behind, recursive: true);
        }
    }
}
