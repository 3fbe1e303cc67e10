using Ledger.Engine.Commands;
using Ledger.Engine.Domain;
using Ledger.Journal.Recovery;
using Ledger.Testing;
using NUnit.Framework;
using static Ledger.Testing.Commands;

namespace Ledger.Journal.Tests;

/// <summary>Records larger than half a FasterLog page (bulk account imports) are written as fragments and read back whole.</summary>
public class FragmentTests
{
    private static JournalSettings Settings => StoreHarness.Options("unused").Journal; // 64 KB pages: fragments of at most 32 KB

    private static LedgerCommand Import(int count, int firstNumber = 700_000)
    {
        var c = new LedgerCommand { TimestampTicks = T0 };
        c.SetOpenAccounts(count);
        for (int i = 0; i < count; i++) c.Openings[i] = new AccountOpening { Account = Account(firstNumber + i, branch: 9), Currency = Usd, OverdraftLimitMinor = i % 7 };
        return c;
    }

    private static (TempDataDir Dir, ulong Hash, List<(long Number, long Address, long Next)> Records) Build()
    {
        var dir = new TempDataDir();
        ulong hash;
        using (var store = LedgerStore.Open(StoreHarness.Options(dir.Path)))
        {
            StoreHarness.Run(store, new RandomWorkload(3).Take(100));
            StoreHarness.Run(store, [Import(6_000)]);
            StoreHarness.Run(store, [Post(Posting(Account(700_005, branch: 9), "after-import", 100, 42))]);
            hash = store.Engine.ComputeStateHash();
        }
        return (dir, hash, JournalFiles.Records(dir.Journal, Settings));
    }

    [Test]
    public void ShouldWriteABulkImportAsFragmentsAndRecoverItWhole()
    {
        var (dir, hash, records) = Build();
        using (dir)
        {
            var import = records[^2];
            Assert.That(import.Next - import.Address, Is.GreaterThan(1 << 16), "the import spans more than a page");
            using var store = LedgerStore.Open(StoreHarness.Options(dir.Path));
            Assert.That(store.Recovery.StateHash, Is.EqualTo(hash));
            Assert.That(store.Engine.TryGetAccount(Account(705_999, branch: 9), out var last), Is.True);
            Assert.That(last.OverdraftLimitMinor, Is.EqualTo(5_999 % 7));
            Assert.That(store.Engine.BalancesOf(Account(700_005, branch: 9)), Is.EqualTo(new Balances(42, 0)));

            var opened = 0;
            store.ReplayCommitted(r => opened += r.Kind == CommandKind.OpenAccounts ? r.EventCount : 0);
            Assert.That(opened, Is.EqualTo(6_000 + 16), "every AccountOpened event comes back (short form included)");
        }
    }

    /// <summary>Addresses of the FasterLog entries (fragments) between two addresses: where our header's magic starts, after FasterLog's length.</summary>
    private static List<long> FragmentOffsets(TempDataDir dir, long from, long to)
    {
        var (file, start) = JournalFiles.Locate(dir.Journal, Settings, from);
        var bytes = File.ReadAllBytes(file);
        var found = new List<long>();
        for (long o = start; o < start + (to - from) - 8; o += 4)
        {
            if (BitConverter.ToUInt32(bytes, (int)o + 4) == Format.RecordHeader.Magic) found.Add(from + (o - start));
        }
        return found;
    }

    [TestCase(true, TestName = "ShouldCutAFragmentedRecordWhoseLastFragmentIsTorn")]
    [TestCase(false, TestName = "ShouldCutAFragmentedRecordWithAFlippedByteInAMiddleFragment")]
    public void ShouldCutAtTheFirstFragment(bool torn)
    {
        var (dir, _, records) = Build();
        using (dir)
        {
            Directory.Delete(dir.Store, recursive: true); // recovery reads the whole journal (damage behind a store's checkpoint is verify's to find)
            var import = records[^2];
            var fragments = FragmentOffsets(dir, import.Address, import.Next);
            Assert.That(fragments, Has.Count.GreaterThan(3));
            var (file, offset) = JournalFiles.Locate(dir.Journal, Settings, fragments[2]);
            if (torn)
            {
                // lose everything from the middle of the third fragment on (the later record too)
                JournalFiles.Truncate(file, offset + 4 + 32 + 100);
            }
            else
            {
                JournalFiles.FlipByte(file, offset + 4 + 32 + 100); // a payload byte of the third fragment
            }
            using var store = LedgerStore.Open(StoreHarness.Options(dir.Path));
            var report = store.Recovery;
            Assert.That(report.JournalCut, Is.Not.Null, report.Summary());
            Assert.That(report.JournalCut!.LastGoodRecordNumber, Is.EqualTo(import.Number - 1));
            Assert.That(report.Damage!.Address, Is.EqualTo(import.Address), "the damage is reported at the record's first fragment");
            Assert.That(store.Engine.TryGetAccount(Account(700_000, branch: 9), out _), Is.False, "no part of the import applied");
        }
    }
}
