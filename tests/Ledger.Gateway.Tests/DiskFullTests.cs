using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Ledger.Gateway.Kafka.Egress;
using Ledger.Testing;
using System.Text.Json.Nodes;

namespace Ledger.Gateway.Tests;

/// <summary>
/// Disk full, as an operator meets it (issue 17, item 2): the data directory on a small ext4 file system the test makes
/// (a loop file; needs root and a kernel that mounts loop devices, or the test is skipped saying so), a filler file
/// taking every free block, then a flood of deposits. Wanted: writes refused with a 503 Problem naming the component that
/// failed, /health/ready saying why, balance reads still answered from what is durable, and writes taken again by
/// themselves once space is back (no operator restart), with every acknowledged deposit in the balance. A start-up on a
/// nearly full disk comes up (it failed on the key filter's 128 MiB rewrite), and on a full one comes up read-only.
/// </summary>
[NonParallelizable]
[Category("Process")]
public sealed class DiskFullTests
{
    private readonly List<(string Image, string Mount)> _mounts = [];
    private string _mount = "";

    [SetUp]
    public void Mount()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root") Assert.Ignore("Disk-full tests mount a loop-file ext4 file system: they need Linux and root.");
        _mount = Path.Combine(Path.GetTempPath(), "ledger-diskfull-" + Guid.NewGuid().ToString("N")[..8]);
        if (!MountLoop(_mount, "400M"))
            Assert.Ignore("Could not make and mount a loop-file ext4 file system (truncate, mkfs.ext4, mount -o loop): the disk-full tests need it.");
    }

    /// <summary>Makes a loop-file ext4 of <paramref name="size"/> and mounts it on <paramref name="mount"/> (created); false when it cannot.</summary>
    private bool MountLoop(string mount, string size)
    {
        string image = Path.Combine(Path.GetTempPath(), "ledger-diskfull-" + Guid.NewGuid().ToString("N")[..8] + ".img");
        Directory.CreateDirectory(mount);
        if (Run("truncate", $"-s {size} {image}") != 0 || Run("mkfs.ext4", $"-q -F {image}") != 0 || Run("mount", $"-o loop {image} {mount}") != 0)
        {
            if (File.Exists(image)) File.Delete(image);
            return false;
        }
        _mounts.Add((image, mount));
        return true;
    }

    [TearDown]
    public void Cleanup()
    {
        for (int i = _mounts.Count - 1; i >= 0; i--) // nested mounts first
        {
            Run("umount", $"-l {_mounts[i].Mount}");
            if (File.Exists(_mounts[i].Image)) File.Delete(_mounts[i].Image);
        }
        _mounts.Clear();
        if (_mount.Length > 0 && Directory.Exists(_mount)) Directory.Delete(_mount, recursive: true);
    }

    [Test]
    public async Task ShouldRefuseWritesNamingTheComponentKeepReadingAndTakeWritesAgainWhenSpaceIsBack()
    {
        string dataDir = Path.Combine(_mount, "data");
        await using var server = await GatewayServer.StartOnAsync(dataDir, "Ledger:Storage:ProbeEverySeconds=1");
        var account = await server.OpenAccountAsync();
        using var client = await server.ClientAsync();
        long acknowledged = 0;
        (await client.PostAsync(account.Batches, Deposit("first", 100))).EnsureSuccessStatusCode();
        acknowledged += 100;

        string filler = Path.Combine(_mount, "filler");
        Fill(filler);
        var (refused, flooded) = await FloodAsync(client, account, 50_000);
        acknowledged += flooded;
        Assert.That(refused, Is.Not.Null, "the flood filled the disk");
        var problem = await refused!.ProblemAsync(503, "journal-failed");
        TestContext.Out.WriteLine(problem.ToJsonString());
        Assert.That((string)problem["component"]!, Is.EqualTo("journal"));
        Assert.That((string)problem["detail"]!, Does.Contain("No space left on device").Or.Contain("space"));

        using (var ready = await client.GetAsync("/health/ready"))
        {
            var body = await ready.ProblemAsync(503, "journal-failed");
            Assert.That((string)body["component"]!, Is.EqualTo("journal"), "/health/ready says why");
        }
        using (var read = await client.GetAsync(account.Balances))
        {
            Assert.That(read.StatusCode, Is.EqualTo(HttpStatusCode.OK), "reads keep answering from what is durable");
            Assert.That(Balances((await read.BodyAsync())["balances"]!).Available, Is.EqualTo(acknowledged));
        }

        File.Delete(filler);
        var status = await DepositUntilTakenAsync(client, account);
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), "writes are taken again once space is back, without a restart");
        acknowledged += 1_000;
        using (var ready = await client.GetAsync("/health/ready")) Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        using var balances = await client.GetAsync(account.Balances);
        Assert.That(Balances((await balances.BodyAsync())["balances"]!).Available, Is.EqualTo(acknowledged), "nothing acknowledged was lost");
    }

    [Test]
    public async Task ShouldStartAfterACrashOnANearlyFullDiskAndTakeWrites()
    {
        string dataDir = Path.Combine(_mount, "data");
        const string filterOfProduction = "Ledger:Memory:KeyFilterBytes=134217728"; // the default: its rewrite needs 128 MiB beside the old file
        long acknowledged = 0;
        using (var first = await GatewayProcess.StartAsync(dataDir, filterOfProduction))
        {
            using var admin = await first.ClientAsync("ledger-admin");
            using (var opened = await admin.PostAsJsonAsync("/v1/accounts", new { branch = 1, account = 1, currency = "USD", overdraftLimit = 0 }))
                Assert.That(opened.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            using var client = await first.ClientAsync();
            for (int i = 0; i < 20; i++)
            {
                using var response = await client.PostAsync("/v1/accounts/1/1/batches", Deposit($"before-{i}", 100));
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created));
                acknowledged += 100;
            }
            first.Kill(); // SIGKILL: the stores lose their memtables; the next start replays the journal into them and checkpoints
        }
        Fill(Path.Combine(_mount, "filler"), leaveBytes: 24L << 20);
        Assert.That(new DriveInfo(_mount).AvailableFreeSpace, Is.LessThan(128L << 20), "too little room for the key filter's rewrite");

        await using var server = await GatewayServer.StartOnAsync(dataDir, filterOfProduction, "Ledger:Storage:ProbeEverySeconds=1");
        TestContext.Out.WriteLine(server.Runtime.Recovery!.Summary());
        Assert.That(server.Runtime.Recovery!.RecordsReplayed, Is.GreaterThan(0), "start-up replayed the journal into the stores (and checkpointed them)");
        using var again = await server.ClientAsync();
        using (var ready = await again.GetAsync("/health/ready")) Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK), "it came up, and takes writes");
        server.Runtime.Store!.Entries.Checkpoint(); // start-up leaves the filter's file to its log; the checkpointer's save is the rewrite
        Assert.That(server.Runtime.Store!.Entries.FilterNotSaved, Does.Contain("bytes free"), "the key filter's rewrite was skipped, not failed");
        Assert.That((await again.BalancesAsync(new TestAccount(1, 1))).Available, Is.EqualTo(acknowledged));
        using (var after = await again.PostAsync("/v1/accounts/1/1/batches", Deposit("after-start", 1_000))) Assert.That(after.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That((await again.BalancesAsync(new TestAccount(1, 1))).Available, Is.EqualTo(acknowledged + 1_000));
    }

    [Test]
    public async Task ShouldStartReadOnlyOnAFullDiskThenTakeWritesWhenSpaceIsBack()
    {
        string dataDir = Path.Combine(_mount, "data");
        long acknowledged = 0;
        TestAccount account;
        await using (var first = await GatewayServer.StartOnAsync(dataDir))
        {
            account = await first.OpenAccountAsync();
            using var client = await first.ClientAsync();
            for (int i = 0; i < 5; i++)
            {
                using var response = await client.PostAsync(account.Batches, Deposit($"before-{i}", 100));
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created));
                acknowledged += 100;
            }
        } // a clean stop: the read store holds the whole journal
        string filler = Path.Combine(_mount, "filler");
        Fill(filler);

        await using var server = await GatewayServer.StartOnAsync(dataDir, "Ledger:Storage:ProbeEverySeconds=1");
        Assert.That(server.Runtime.WriteFault, Is.Not.Null, "start-up could not write: it came up read-only");
        using var again = await server.ClientAsync();
        using (var refused = await again.PostAsync(account.Batches, Deposit("while-full", 1)))
        {
            Assert.That((int)refused.StatusCode, Is.EqualTo(503));
            var problem = await refused.BodyAsync();
            TestContext.Out.WriteLine(problem.ToJsonString());
            Assert.That((string)problem["component"]!, Is.EqualTo(server.Runtime.WriteFault!.Component));
            Assert.That((string)problem["type"]!, Does.EndWith(server.Runtime.WriteFault!.Component.Replace(' ', '-') + "-failed"));
            Assert.That((string)problem["detail"]!, Does.Contain("No space left on device"));
        }
        using (var ready = await again.GetAsync("/health/ready"))
        {
            Assert.That((int)ready.StatusCode, Is.EqualTo(503));
            Assert.That((string)(await ready.BodyAsync())["component"]!, Is.EqualTo(server.Runtime.WriteFault!.Component), "/health/ready says why");
        }
        Assert.That((await again.BalancesAsync(account)).Available, Is.EqualTo(acknowledged), "reads answer from the read store, which holds the whole journal");

        File.Delete(filler);
        var status = await DepositUntilTakenAsync(again, account);
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), "writes are taken once space is back, without a restart");
        using (var ready = await again.GetAsync("/health/ready")) Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await again.BalancesAsync(account)).Available, Is.EqualTo(acknowledged + 1_000), "the refused deposit never applied; nothing acknowledged was lost");
    }

    [TestCase("read", "read-store-failed", "read store")]
    [TestCase("store", "entry-store-failed", "entry store")]
    public async Task ShouldRefuseWritesNamingTheStoreWhoseDiskIsFullAndTakeThemAgainWhenSpaceIsBack(string directory, string type, string component)
    {
        string dataDir = Path.Combine(_mount, "data");
        string storeDir = Path.Combine(dataDir, directory);
        if (!MountLoop(storeDir, "16M")) Assert.Ignore($"Could not mount a second loop-file ext4 for the {component}.");
        await using var server = await GatewayServer.StartOnAsync(dataDir, "Ledger:Storage:ProbeEverySeconds=1", "Ledger:Checkpoint:EverySeconds=1");
        var account = await server.OpenAccountAsync();
        using var client = await server.ClientAsync();
        long acknowledged = 0;
        string filler = Path.Combine(storeDir, "filler");
        Fill(filler, of: storeDir);
        var (refused, flooded) = await FloodAsync(client, account, 200_000);
        acknowledged += flooded;
        Assert.That(refused, Is.Not.Null, $"the {component}'s checkpoints filled its disk");
        var problem = await refused!.ProblemAsync(503, type);
        TestContext.Out.WriteLine(problem.ToJsonString());
        Assert.That((string)problem["component"]!, Is.EqualTo(component));
        Assert.That((string)problem["detail"]!, Does.Contain("No space left on device"));
        using (var ready = await client.GetAsync("/health/ready"))
            Assert.That((string)(await ready.ProblemAsync(503, type))["component"]!, Is.EqualTo(component), "/health/ready says why");
        using (var read = await client.GetAsync(account.Balances))
        {
            // Never an answer without an acknowledged deposit: the full balance, or 503 until the read store is fed again.
            if (read.StatusCode == HttpStatusCode.OK) Assert.That(Balances((await read.BodyAsync())["balances"]!).Available, Is.EqualTo(acknowledged));
            else Assert.That((string)(await read.ProblemAsync(503, type))["component"]!, Is.EqualTo(component));
        }

        File.Delete(filler);
        var status = await DepositUntilTakenAsync(client, account);
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), $"writes are taken again once the {component}'s disk has space, without a restart");
        using (var ready = await client.GetAsync("/health/ready")) Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await client.BalancesAsync(account)).Available, Is.EqualTo(acknowledged + 1_000), "every acknowledged deposit is there");
    }

    [Test]
    public async Task ShouldSayThePublisherCannotSaveItsPositionKeepPostingAndPublishEveryEventWhenSpaceIsBack()
    {
        string dataDir = Path.Combine(_mount, "data");
        string kafkaDir = Path.Combine(dataDir, "kafka");
        if (!MountLoop(kafkaDir, "16M")) Assert.Ignore("Could not mount a second loop-file ext4 for the publisher's position.");
        using var kafka = KafkaMockCluster.Start("ledger.events");
        await using var server = await GatewayServer.StartOnAsync(dataDir, $"Ledger:Kafka:BootstrapServers={kafka.BootstrapServers}", "Ledger:Storage:ProbeEverySeconds=1");
        var account = await server.OpenAccountAsync();
        using var client = await server.ClientAsync();
        for (int i = 0; i < 10; i++) (await client.PostAsync(account.Batches, Deposit($"d{i}", 1))).EnsureSuccessStatusCode();
        var seen = EventReader.ReadUntil(kafka, "ledger.events", all => all.Any(e => (string?)e["correlationId"] == "d9"));
        long lastRecord = seen.Max(e => (long)e["record"]!);
        // Kafka's consumer sees d9 before the publisher's flush returns and its position is saved: fill only once that
        // save is done, or a save racing the filler (temp file written, then renamed over the old) frees a block for all later ones.
        for (int i = 0; i < 300 && PublishedPosition.Load(dataDir).Record < lastRecord; i++) await Task.Delay(100);
        Assert.That(PublishedPosition.Load(dataDir).Record, Is.EqualTo(lastRecord), "the publisher saved its position after d9");
        string filler = Path.Combine(kafkaDir, "filler");
        Fill(filler, of: kafkaDir);

        for (int i = 10; i < 20; i++) (await client.PostAsync(account.Batches, Deposit($"d{i}", 1))).EnsureSuccessStatusCode(); // posting goes on
        string health = "";
        long toppedUp = 0;
        for (int i = 0; i < 300 && !health.StartsWith("Degraded", StringComparison.Ordinal); i++)
        {
            // A block freed after the fill (the file system releasing the old position's block late) would let every
            // later save succeed, each reusing the block the one before freed: keep the disk full.
            toppedUp += TopUp(filler);
            using var ready = await client.GetAsync("/health/ready");
            Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK), "ready: writes and reads are served");
            health = await ready.Content.ReadAsStringAsync();
            if (!health.StartsWith("Degraded", StringComparison.Ordinal)) await Task.Delay(100);
        }
        TestContext.Out.WriteLine($"{health} (bytes topped up after the fill: {toppedUp}; events published: {server.Runtime.Publisher!.Published}; publisher fault: {server.Runtime.Publisher!.Fault?.Message ?? "none"}; saved position: record {PublishedPosition.Load(dataDir).Record})");
        Assert.That(health, Does.Contain("kafka publisher").And.Contain("No space left on device"), "/health/ready names the component and why");
        Assert.That(server.Runtime.Publisher!.PositionFault, Is.Not.Null);

        File.Delete(filler);
        for (int i = 0; i < 300 && server.Runtime.Publisher!.PositionFault is not null; i++) await Task.Delay(100);
        Assert.That(server.Runtime.Publisher!.PositionFault, Is.Null, "the position is saved again once space is back");
        using (var ready = await client.GetAsync("/health/ready")) Assert.That(await ready.Content.ReadAsStringAsync(), Is.EqualTo("Healthy"));
        var events = EventReader.ReadUntil(kafka, "ledger.events", all => all.Any(e => (string?)e["correlationId"] == "d19"));
        var once = events.DistinctBy(e => ((long)e["record"]!, (int)e["index"]!)).Where(e => (long)e["account"]! == account.Number).ToList();
        Assert.That(once.Where(e => (string)e["kind"]! == "ENTRY_POSTED").Select(e => (string)e["correlationId"]!),
            Is.EqualTo(Enumerable.Range(0, 20).Select(i => $"d{i}")), "no event skipped or lost");
    }

    /// <summary>Deposits 1 at a time until one is refused (at most <paramref name="max"/>): the refusal, and how many were acknowledged.</summary>
    private static async Task<(HttpResponseMessage? Refused, long Acknowledged)> FloodAsync(HttpClient client, TestAccount account, int max)
    {
        long acknowledged = 0;
        for (int i = 0; i < max; i++)
        {
            var response = await client.PostAsync(account.Batches, Deposit($"flood-{i}", 1));
            if (response.StatusCode != HttpStatusCode.Created) return (response, acknowledged);
            acknowledged += 1;
            response.Dispose();
        }
        return (null, acknowledged);
    }

    /// <summary>Deposits 1 000 every 100 ms until one is taken (60 s at the most): the last status.</summary>
    private static async Task<HttpStatusCode> DepositUntilTakenAsync(HttpClient client, TestAccount account)
    {
        HttpStatusCode status = 0;
        for (int i = 0; i < 600 && status != HttpStatusCode.Created; i++)
        {
            using var deposit = await client.PostAsync(account.Batches, Deposit($"after-{i}", 1_000));
            status = deposit.StatusCode;
            if (status != HttpStatusCode.Created) await Task.Delay(100);
        }
        return status;
    }

    /// <summary>Takes every free block of the file system (but <paramref name="leaveBytes"/>) with one file.</summary>
    private void Fill(string path, long leaveBytes = 0, string? of = null)
    {
        long free = new DriveInfo(of ?? _mount).AvailableFreeSpace;
        Run("fallocate", $"-l {free - leaveBytes} {path}");
        if (leaveBytes > 0) return;
        TopUp(path);
    }

    /// <summary>
    /// Appends to the filler until nothing more fits: unbuffered, in blocks and then byte by byte (a small ext4 has
    /// 1 KiB blocks, and a position file needs only one). Returns the bytes it took.
    /// </summary>
    private static long TopUp(string path)
    {
        using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.None, bufferSize: 0);
        long taken = 0;
        foreach (int size in new[] { 4096, 1 })
        {
            var block = new byte[size];
            try
            {
                while (true)
                {
                    stream.Write(block);
                    taken += size;
                }
            }
            catch (IOException)
            {
                // full at this granularity
            }
        }
        return taken;
    }

    private static int Run(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        process.WaitForExit();
        return process.ExitCode;
    }
}
