using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
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
    private string _image = "";
    private string _mount = "";

    [SetUp]
    public void Mount()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root") Assert.Ignore("Disk-full tests mount a loop-file ext4 file system: they need Linux and root.");
        string root = Path.Combine(Path.GetTempPath(), "ledger-diskfull-" + Guid.NewGuid().ToString("N")[..8]);
        _image = root + ".img";
        _mount = root;
        Directory.CreateDirectory(_mount);
        if (Run("truncate", $"-s 400M {_image}") != 0 || Run("mkfs.ext4", $"-q -F {_image}") != 0 || Run("mount", $"-o loop {_image} {_mount}") != 0)
        {
            Cleanup();
            Assert.Ignore("Could not make and mount a loop-file ext4 file system (truncate, mkfs.ext4, mount -o loop): the disk-full tests need it.");
        }
    }

    [TearDown]
    public void Cleanup()
    {
        if (_mount.Length > 0 && Directory.Exists(_mount))
        {
            Run("umount", $"-l {_mount}");
            Directory.Delete(_mount, recursive: true);
        }
        if (File.Exists(_image)) File.Delete(_image);
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
        HttpResponseMessage? refused = null;
        for (int i = 0; i < 50_000 && refused is null; i++)
        {
            var response = await client.PostAsync(account.Batches, Deposit($"flood-{i}", 1));
            if (response.StatusCode == HttpStatusCode.Created)
            {
                acknowledged += 1;
                response.Dispose();
            }
            else refused = response;
        }
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
        HttpStatusCode status = 0;
        for (int i = 0; i < 600 && status != HttpStatusCode.Created; i++)
        {
            using var again = await client.PostAsync(account.Batches, Deposit($"after-{i}", 1_000));
            status = again.StatusCode;
            if (status != HttpStatusCode.Created) await Task.Delay(100);
        }
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
        Assert.That(server.Runtime.Store!.Entries.FilterNotSaved, Does.Contain("bytes free"), "the key filter's rewrite was skipped, not failed");
        using var again = await server.ClientAsync();
        using (var ready = await again.GetAsync("/health/ready")) Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK), "it came up, and takes writes");
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
        HttpStatusCode status = 0;
        for (int i = 0; i < 600 && status != HttpStatusCode.Created; i++)
        {
            using var deposit = await again.PostAsync(account.Batches, Deposit($"after-{i}", 1_000));
            status = deposit.StatusCode;
            if (status != HttpStatusCode.Created) await Task.Delay(100);
        }
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), "writes are taken once space is back, without a restart");
        using (var ready = await again.GetAsync("/health/ready")) Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await again.BalancesAsync(account)).Available, Is.EqualTo(acknowledged + 1_000), "the refused deposit never applied; nothing acknowledged was lost");
    }

    /// <summary>Takes every free block of the file system (but <paramref name="leaveBytes"/>) with one file.</summary>
    private void Fill(string path, long leaveBytes = 0)
    {
        long free = new DriveInfo(_mount).AvailableFreeSpace;
        Run("fallocate", $"-l {free - leaveBytes} {path}");
        if (leaveBytes > 0) return;
        using var stream = new FileStream(path, FileMode.Append);
        var block = new byte[4096];
        try
        {
            while (true) stream.Write(block);
        }
        catch (IOException)
        {
            // full
        }
    }

    private static int Run(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        process.WaitForExit();
        return process.ExitCode;
    }
}
