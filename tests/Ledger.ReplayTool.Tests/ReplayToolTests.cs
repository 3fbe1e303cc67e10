using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Ledger.Engine.Domain;
using Ledger.Engine.Events;
using Ledger.Journal;
using Ledger.Testing;
using NUnit.Framework;
using TestCommands = Ledger.Testing.Commands;

namespace Ledger.ReplayTool.Tests;

/// <summary>The replay-tool as operators run it: a real process on a journal the real store wrote, output redirected.</summary>
[Category("Tools")]
public class ReplayToolTests
{
    private static LedgerFixture _ledger = null!;

    [OneTimeSetUp]
    public static void BuildLedger()
    {
        Assert.That(File.Exists(ToolRun.DllPath), Is.True, "the tool is built beside the tests");
        _ledger = new LedgerFixture(seed: 17, commands: 2_000, checkpointAfter: 1_200);
    }

    [OneTimeTearDown]
    public static void Cleanup() => _ledger.Dispose();

    private static string Hex(ulong hash) => hash.ToString("x16", CultureInfo.InvariantCulture);

    [Test]
    public void VerifyShouldReportCountSequencesAndStateHashOfASoundJournal()
    {
        var run = ToolRun.Of("verify", _ledger.Path);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Out, Does.Contain($"records:     {_ledger.LastRecord} (records 1..{_ledger.LastRecord})"));
        Assert.That(run.Out, Does.Contain($"sequences:   1..{_ledger.LastSequence}"));
        Assert.That(run.Out, Does.Contain($"state hash:  {Hex(_ledger.StateHash)}"));
        Assert.That(run.Out, Does.Contain($"entry store: checkpoint at record {_ledger.CheckpointRecord}"));
        Assert.That(run.Out, Does.Contain($"re-decided:  {_ledger.LastRecord - _ledger.CheckpointRecord} records after the store's checkpoint"));
        Assert.That(run.Error, Does.Contain("records/s"), "a plain progress line when output is redirected");
    }

    [Test]
    public void ToolsShouldNeverModifyTheDataDirectory()
    {
        string before = Digest(_ledger.Path);
        ToolRun.Of("verify", _ledger.Path);
        ToolRun.Of("replay", _ledger.Path);
        ToolRun.Of("balances", _ledger.Path, "--branch", "1", "--account", "1000");
        ToolRun.Of("statement", _ledger.Path, "--branch", "1", "--account", "1000");
        ToolRun.Of("diff", _ledger.Path, _ledger.Path);
        string candidate = Path.Combine(Path.GetTempPath(), $"candidate-{Guid.NewGuid():N}.json");
        File.WriteAllText(candidate, Engine.Catalog.HistoryCatalogFile.ToJson(TestCommands.DefaultCatalog));
        string output = Path.Combine(Path.GetTempPath(), $"what-if-{Guid.NewGuid():N}");
        Assert.That(ToolRun.Of("what-if", _ledger.Path, "--catalog", candidate, "--out", output).ExitCode, Is.Zero);
        Assert.That(Digest(_ledger.Path), Is.EqualTo(before));
    }

    [TestCase(40, TestName = "VerifyShouldExitNonZeroNamingTheRecordOfAFlippedPayloadByte")]
    [TestCase(10, TestName = "VerifyShouldExitNonZeroNamingTheRecordOfAFlippedHeaderByte")]
    public void VerifyShouldNameTheDamagedSpot(int byteInRecord)
    {
        using var copy = Copy(_ledger.Path);
        var victim = Records(copy.Path)[^7];
        var (file, offset) = Locate(copy.Path, victim.Address);
        FlipByte(file, offset + byteInRecord);
        string before = Digest(copy.Path);
        var run = ToolRun.Of("verify", copy.Path);
        Assert.That(run.ExitCode, Is.EqualTo(3), run.ToString());
        Assert.That(run.Out, Does.Contain($"DAMAGED: journal record {victim.Number} at address {victim.Address}"));
        Assert.That(run.Out, Does.Contain($"file {file}, offset {offset}"));
        Assert.That(run.Out, Does.Contain($"Records 1..{victim.Number - 1} are sound"));
        Assert.That(Digest(copy.Path), Is.EqualTo(before), "verify does not cut the tail on disk");
    }

    [Test]
    public void VerifyShouldExitNonZeroNamingATruncatedTail()
    {
        using var copy = Copy(_ledger.Path);
        var last = Records(copy.Path)[^1];
        var (file, offset) = Locate(copy.Path, last.Address);
        using (var stream = new FileStream(file, FileMode.Open)) stream.SetLength(offset + 10);
        var run = ToolRun.Of("verify", copy.Path);
        Assert.That(run.ExitCode, Is.EqualTo(3), run.ToString());
        Assert.That(run.Out, Does.Contain($"DAMAGED: journal record {last.Number} at address"));
    }

    [Test]
    public void VerifyShouldExitNonZeroWhenTheStoreIsAnotherJournals()
    {
        using var copy = Copy(_ledger.Path);
        using var other = new LedgerFixture(seed: 18, commands: 300);
        Directory.Delete(Path.Combine(copy.Path, "store"), recursive: true);
        DataDirs.CopyDirectory(other.Store, Path.Combine(copy.Path, "store"));
        var run = ToolRun.Of("verify", copy.Path);
        Assert.That(run.ExitCode, Is.EqualTo(4), run.ToString());
        Assert.That(run.Out, Does.Contain("entry store: DOES NOT FIT the journal").And.Contain("not in this journal"));
        Assert.That(run.Out, Does.Contain($"state hash:  {Hex(_ledger.StateHash)}"), "the journal itself still verifies, from the first record");
    }

    [Test]
    public void VerifyFullShouldRedecideEveryRecordToTheSameHash()
    {
        var run = ToolRun.Of("verify", _ledger.Path, "--full");
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Out, Does.Contain($"re-decided:  {_ledger.LastRecord} records from the first"));
        Assert.That(run.Out, Does.Contain($"state hash:  {Hex(_ledger.StateHash)}"));
    }

    [Test]
    public void VerifyShouldSayWhenThereIsNoJournal()
    {
        string empty = Directory.CreateTempSubdirectory("ledger-replay-empty-").FullName;
        var run = ToolRun.Of("verify", empty);
        Directory.Delete(empty);
        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain("holds no ledger journal"));
    }

    [Test]
    public void ReplayShouldPrintTheLiveStateHashStartingFromTheStoresCheckpoint()
    {
        var run = ToolRun.Of("replay", _ledger.Path);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Out, Does.Contain($"started from: the entry store's checkpoint at record {_ledger.CheckpointRecord}"));
        Assert.That(run.Out, Does.Contain($"state hash:   {Hex(_ledger.StateHash)}"));
        var full = ToolRun.Of("replay", _ledger.Path, "--full");
        Assert.That(full.Out, Does.Contain("started from: the first journal record").And.Contain($"state hash:   {Hex(_ledger.StateHash)}"));
    }

    [Test]
    public void ReplayUntilASequenceShouldGiveTheStateOfThePrefixOfCommands()
    {
        long bound = _ledger.LastSequence / 3;
        int prefix = _ledger.Commands.TakeWhile(c => MaxSequence(c) <= bound).Count();
        var reference = RandomWorkload.Reference(_ledger.Seed, prefix);
        var run = ToolRun.Of("replay", _ledger.Path, "--until-sequence", bound.ToString(CultureInfo.InvariantCulture));
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Out, Does.Contain($"state hash:   {Hex(reference.ComputeStateHash())}"));
        Assert.That(run.Out, Does.Contain("(stopped at the bound)"));
    }

    [Test]
    public void RebuildStoreShouldGiveTheServiceAStoreItStartsFromWithNothingToReplay()
    {
        using var copy = Copy(_ledger.Path);
        Directory.Delete(Path.Combine(copy.Path, "store"), recursive: true);
        var run = ToolRun.Of("rebuild-store", copy.Path);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Out, Does.Contain($"state hash:  {Hex(_ledger.StateHash)}"));
        using var store = LedgerStore.Open(LedgerFixture.Options(copy.Path));
        Assert.That(store.Recovery.StoreCheckpoint!.RecordNumber, Is.EqualTo(_ledger.LastRecord));
        Assert.That(store.Recovery.RecordsReplayed, Is.EqualTo(0));
        Assert.That(store.Recovery.StateHash, Is.EqualTo(_ledger.StateHash));
    }

    [Test]
    public void RebuildStoreAndArchiveShouldRefuseWhileTheServiceHoldsTheDirectory()
    {
        using var copy = Copy(_ledger.Path);
        using var store = LedgerStore.Open(LedgerFixture.Options(copy.Path));
        var rebuild = ToolRun.Of("rebuild-store", copy.Path);
        Assert.That(rebuild.ExitCode, Is.EqualTo(1), rebuild.ToString());
        Assert.That(rebuild.Error, Does.Contain("in use by another ledger process").And.Contain("stop the service first"));
        var archive = ToolRun.Of("archive", copy.Path, "--before", "10", "--to", Path.Combine(copy.Path, "archive"));
        Assert.That(archive.ExitCode, Is.EqualTo(1), archive.ToString());
    }

    [Test]
    public void ArchiveShouldMoveOnlySegmentsTheStoresCheckpointCoversAndToolsShouldSayWhatTheyCover()
    {
        // 1 MiB segments and enough records for several of them.
        using var big = new LedgerFixture(seed: 23, commands: 24_000, segmentSizeBits: 20);
        string archiveDir = Path.Combine(Path.GetTempPath(), "ledger-replay-tests", "archive-" + Guid.NewGuid().ToString("N"));
        try
        {
            var before = ToolRun.Of("verify", big.Path);
            Assert.That(before.ExitCode, Is.EqualTo(0), before.ToString());
            int segmentsBefore = Directory.GetFiles(big.Journal, "ledger.log.*").Length;
            Assert.That(segmentsBefore, Is.GreaterThanOrEqualTo(3), "the journal spans several segment files");

            var run = ToolRun.Of("archive", big.Path, "--before", big.LastRecord.ToString(CultureInfo.InvariantCulture), "--to", archiveDir);
            Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
            Assert.That(run.Out, Does.Contain("archived: records 1.."));
            var moved = Directory.GetFiles(archiveDir, "ledger.log.*");
            Assert.That(moved, Is.Not.Empty);
            // Moved, not copied: none of them is left in the journal (which may have opened a fresh tail segment meanwhile,
            // so the count alone is not the test).
            var left = Directory.GetFiles(big.Journal, "ledger.log.*").Select(Path.GetFileName).ToHashSet();
            Assert.That(moved.Select(Path.GetFileName).Where(left.Contains), Is.Empty, "moved, not copied: the journal no longer has them");
            using (var log = JournalLog.Open(big.Journal, LedgerFixture.Options(big.Path).Journal, readOnly: true))
            {
                Assert.That(log.Archive.FirstRecordNumber, Is.GreaterThan(1));
                Assert.That(log.Archive.ArchivedTo, Is.EqualTo(archiveDir));
            }

            var verify = ToolRun.Of("verify", big.Path);
            Assert.That(verify.ExitCode, Is.EqualTo(0), verify.ToString());
            Assert.That(verify.Out, Does.Contain("archived to").And.Contain($"state hash:  {Hex(big.StateHash)}"));
            var full = ToolRun.Of("replay", big.Path, "--full");
            Assert.That(full.ExitCode, Is.EqualTo(2), full.ToString());
            Assert.That(full.Error, Does.Contain("were archived to"));
            var early = ToolRun.Of("balances", big.Path, "--branch", "1", "--account", "1000", "--at", "2026-06-21T00:00:01Z");
            Assert.That(early.ExitCode, Is.EqualTo(2), early.ToString());
            Assert.That(early.Error, Does.Contain("were archived to"));
            var statement = ToolRun.Of("statement", big.Path, "--branch", "1", "--account", "1000", "--from", "2026-06-21T00:00:00Z");
            Assert.That(statement.ExitCode, Is.EqualTo(2), statement.ToString());

            using var reopened = LedgerStore.Open(LedgerFixture.Options(big.Path));
            Assert.That(reopened.Recovery.StateHash, Is.EqualTo(big.StateHash), "the service starts on the archived journal");
        }
        finally
        {
            if (Directory.Exists(archiveDir)) Directory.Delete(archiveDir, recursive: true);
        }
    }

    [Test]
    public void BalancesShouldEqualTheLiveEngines()
    {
        foreach (var (key, balances) in _ledger.Balances.Take(4))
        {
            var run = ToolRun.Of("balances", _ledger.Path, "--branch", key.Branch.ToString(CultureInfo.InvariantCulture), "--account", key.Number.ToString(CultureInfo.InvariantCulture));
            Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
            Assert.That(run.Out, Does.Contain($"AVAILABLE: {balances.AvailableMinor} USD"));
            Assert.That(run.Out, Does.Contain($"HELD:      {balances.HeldMinor} USD"));
        }
    }

    [Test]
    public void BalancesAtAnInstantShouldEqualAReferenceFedOnlyTheCommandsUpToIt()
    {
        var at = _ledger.Commands[700].TimestampTicks;
        int prefix = _ledger.Commands.TakeWhile(c => c.TimestampTicks <= at).Count();
        var reference = RandomWorkload.Reference(_ledger.Seed, prefix);
        var key = new RandomWorkload(_ledger.Seed).AccountAt(3);
        var expected = reference.BalancesOf(key);
        string instant = new DateTime(at, DateTimeKind.Utc).ToString("O", CultureInfo.InvariantCulture);
        var run = ToolRun.Of("balances", _ledger.Path, "--branch", key.Branch.ToString(CultureInfo.InvariantCulture), "--account", key.Number.ToString(CultureInfo.InvariantCulture), "--at", instant);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Out, Does.Contain($"AVAILABLE: {expected.AvailableMinor} USD").And.Contain($"HELD:      {expected.HeldMinor} USD"));
    }

    [Test]
    public void BalancesShouldSayWhenTheAccountDoesNotExist()
    {
        var run = ToolRun.Of("balances", _ledger.Path, "--branch", "7", "--account", "424242");
        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain("Account 7/424242 does not exist"));
    }

    [Test]
    public void BalancesAtAnInstantBeforeTheAccountShouldEchoTheInstantAsWritten()
    {
        var key = new RandomWorkload(_ledger.Seed).AccountAt(3);
        var run = ToolRun.Of("balances", _ledger.Path, "--branch", key.Branch.ToString(CultureInfo.InvariantCulture), "--account", key.Number.ToString(CultureInfo.InvariantCulture),
            "--at", "2000-01-01T12:00:00Z");
        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain($"Account {key} did not exist as of 2000-01-01T12:00:00Z"));
        Assert.That(run.Error, Does.Not.Contain(".9999999"), "the instant as the operator wrote it, not the last tick it covers");
    }

    [Test]
    public void StatementShouldListEveryAppliedEntryOfTheAccountAsCsv()
    {
        var key = new RandomWorkload(_ledger.Seed).AccountAt(5);
        var expected = AppliedOn(key);
        var run = ToolRun.Of("statement", _ledger.Path, "--branch", key.Branch.ToString(CultureInfo.InvariantCulture), "--account", key.Number.ToString(CultureInfo.InvariantCulture));
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        var lines = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines[0], Does.StartWith("sequence,timestamp,asOfDate,entryKind,status"));
        Assert.That(lines.Length - 1, Is.EqualTo(expected.Count));
        Assert.That(lines.Skip(1).Select(l => long.Parse(l.Split(',')[0], CultureInfo.InvariantCulture)), Is.EqualTo(expected.Select(e => e.Sequence)));
        Assert.That(lines.Skip(1).Select(l => l.Split(',')[^2]), Is.EqualTo(expected.Select(e => e.BalancesAfter.AvailableMinor.ToString(CultureInfo.InvariantCulture))));
    }

    [Test]
    public void StatementShouldFilterByTimeAndWriteJson()
    {
        var key = new RandomWorkload(_ledger.Seed).AccountAt(2);
        var all = AppliedOn(key);
        long from = all[all.Count / 4].TimestampTicks, to = all[all.Count / 2].TimestampTicks;
        var expected = all.Where(e => e.TimestampTicks >= from && e.TimestampTicks < to).ToList();
        var run = ToolRun.Of("statement", _ledger.Path, "--branch", key.Branch.ToString(CultureInfo.InvariantCulture), "--account", key.Number.ToString(CultureInfo.InvariantCulture),
            "--from", new DateTime(from, DateTimeKind.Utc).ToString("O", CultureInfo.InvariantCulture), "--to", new DateTime(to, DateTimeKind.Utc).ToString("O", CultureInfo.InvariantCulture), "--format", "json");
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        using var json = JsonDocument.Parse(run.Out);
        var entries = json.RootElement.GetProperty("entries").EnumerateArray().ToList();
        Assert.That(entries.Select(e => e.GetProperty("sequence").GetInt64()), Is.EqualTo(expected.Select(e => e.Sequence)));
        Assert.That(entries.Select(e => e.GetProperty("correlationId").GetString()), Is.EqualTo(expected.Select(e => e.CorrelationId)));
        Assert.That(entries.Select(e => e.GetProperty("amount").GetProperty("value").GetInt64()), Is.EqualTo(expected.Select(e => e.AmountMinor)));
        Assert.That(entries.Select(e => e.GetProperty("amount").GetProperty("currency").GetString()), Is.All.EqualTo("USD"));
        Assert.That(json.RootElement.TryGetProperty("nextCursor", out _), Is.False, "the whole window, no page cursor");
    }

    [Test]
    public void StatementShouldShowAHoldsCurrentStatusAndAReversal()
    {
        using var dir = new TempLedger();
        var a = TestCommands.Account(77);
        dir.Run(
            TestCommands.Open(a),
            TestCommands.Post(TestCommands.Posting(a, "dep", 100, 10_000)),
            TestCommands.Post(TestCommands.Posting(a, "buy", 998, 2_500, description: "coffee, beans")),
            TestCommands.Post(TestCommands.Hold(a, "hold", 998, 1_000)),
            TestCommands.Post(TestCommands.Unblock(a, "rel", "hold")),
            TestCommands.Post(TestCommands.Reverse(a, "rev", "buy")));
        var run = ToolRun.Of("statement", dir.Path, "--branch", "1", "--account", "77");
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        var lines = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(6));
        Assert.That(lines[2], Does.Contain(",ledger,POSTED,998,2500,USD,buy,\"coffee, beans\",,rev,"), "the reversed purchase names its reversal");
        Assert.That(lines[3], Does.Contain(",blocking,RELEASED,998,1000,USD,hold,"));
        Assert.That(lines[4], Does.Contain(",unblocking,POSTED,998,1000,USD,rel,,hold,,"));
        Assert.That(lines[5], Does.Contain(",reversal,POSTED,998,2500,USD,rev,,buy,,"));
    }

    [Test]
    public void DiffShouldFindIdenticalBehindAndDivergedJournals()
    {
        using var same = Copy(_ledger.Path);
        var identical = ToolRun.Of("diff", _ledger.Path, same.Path);
        Assert.That(identical.ExitCode, Is.EqualTo(0), identical.ToString());
        Assert.That(identical.Out, Does.Contain($"identical: both journals hold records 1..{_ledger.LastRecord}"));

        using var shorter = new LedgerFixture(seed: 17, commands: 900);
        var behind = ToolRun.Of("diff", _ledger.Path, shorter.Path);
        Assert.That(behind.ExitCode, Is.EqualTo(0), behind.ToString());
        Assert.That(behind.Out, Does.Contain($"B is behind A: identical through record {shorter.LastRecord}"));

        using var other = new LedgerFixture(seed: 18, commands: 300);
        var diverged = ToolRun.Of("diff", _ledger.Path, other.Path);
        Assert.That(diverged.ExitCode, Is.EqualTo(5), diverged.ToString());
        Assert.That(diverged.Out, Does.Contain("DIVERGE at record 2: identical through record 1."));
        Assert.That(diverged.Out, Does.Contain("A: OpenAccounts").And.Contain("B: OpenAccounts"));
    }

    [Test]
    public void DiffShouldNameADamagedRecord()
    {
        using var copy = Copy(_ledger.Path);
        var victim = Records(copy.Path)[100];
        var (file, offset) = Locate(copy.Path, victim.Address);
        FlipByte(file, offset + 30);
        var run = ToolRun.Of("diff", _ledger.Path, copy.Path);
        Assert.That(run.ExitCode, Is.EqualTo(3), run.ToString());
        Assert.That(run.Out, Does.Contain($"identical through record {victim.Number - 1}").And.Contain($"B DAMAGED: journal record {victim.Number} at address {victim.Address}"));
    }

    [Test]
    public void ShouldRefuseConflictingBounds()
    {
        var run = ToolRun.Of("replay", _ledger.Path, "--until-sequence", "5", "--until-time", "2026-06-21T00:00:00Z");
        Assert.That(run.ExitCode, Is.Not.EqualTo(0));
        Assert.That(run.Error + run.Out, Does.Contain("not both"));
    }

    // ---- helpers ----

    private static long MaxSequence(Engine.Commands.LedgerCommand c)
    {
        long max = 0;
        foreach (var e in c.EventSpan) if (e.Kind == LedgerEventKind.EntryApplied) max = Math.Max(max, e.Sequence);
        return max;
    }

    private static List<LedgerEvent> AppliedOn(AccountKey key) =>
        _ledger.Commands.Where(c => c.ChangedState).SelectMany(c => c.EventSpan.ToArray())
            .Where(e => e.Kind == LedgerEventKind.EntryApplied && e.Account == key).ToList();

    private sealed class TempLedger : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "ledger-replay-tests", Guid.NewGuid().ToString("N"));

        public void Run(params Engine.Commands.LedgerCommand[] commands)
        {
            using var store = LedgerStore.Open(LedgerFixture.Options(Path));
            foreach (var c in commands)
            {
                store.Engine.Apply(c);
                if (c.ChangedState) store.Journal.Append(c);
            }
            store.Journal.Commit();
        }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }

    private sealed class CopyDir(string path) : IDisposable
    {
        public string Path { get; } = path;
        public void Dispose() => Directory.Delete(Path, recursive: true);
    }

    private static CopyDir Copy(string from)
    {
        string to = Path.Combine(Path.GetTempPath(), "ledger-replay-tests", Guid.NewGuid().ToString("N"));
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return new CopyDir(to);
    }

    private static List<(long Number, long Address)> Records(string dataDir)
    {
        using var log = JournalLog.Open(Path.Combine(dataDir, LedgerStore.JournalDirectoryName), readOnly: true);
        var list = new List<(long, long)>();
        JournalReader.ReadAll(log, r => list.Add((r.RecordNumber, r.Address)));
        return list;
    }

    private static (string File, long Offset) Locate(string dataDir, long address)
    {
        const int segmentBits = 20; // LedgerFixture.Options
        return (Path.Combine(dataDir, LedgerStore.JournalDirectoryName, $"{JournalLog.LogFileName}.{address >> segmentBits}"), address & ((1L << segmentBits) - 1));
    }

    private static void FlipByte(string file, long offset)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite);
        stream.Position = offset;
        int b = stream.ReadByte();
        stream.Position = offset;
        stream.WriteByte((byte)(b ^ 0x5A));
    }

    private static string Digest(string dir)
    {
        using var sha = SHA256.Create();
        foreach (var file in Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (file.EndsWith(LedgerStore.LockFileName, StringComparison.Ordinal)) continue;
            var name = System.Text.Encoding.UTF8.GetBytes(Path.GetRelativePath(dir, file));
            sha.TransformBlock(name, 0, name.Length, null, 0);
            var bytes = File.ReadAllBytes(file);
            sha.TransformBlock(bytes, 0, bytes.Length, null, 0);
        }
        sha.TransformFinalBlock([], 0, 0);
        return Convert.ToHexString(sha.Hash!);
    }
}
