using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;

namespace Ledger.Gateway.Tests;

/// <summary>
/// Disk full, as an operator meets it (issue 17, item 2): the data directory on a small ext4 file system the test makes
/// (a loop file; needs root and a kernel that mounts loop devices, or the test is skipped saying so), a filler file
/// taking every free block, then a flood of deposits. Wanted: writes refused with a 503 Problem naming the component that
/// failed, /health/ready saying why, balance reads still answered from what is durable, and writes taken again by
/// themselves once space is back (no operator restart), with every acknowledged deposit in the balance.
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
        if (Run("truncate", $"-s 160M {_image}") != 0 || Run("mkfs.ext4", $"-q -F {_image}") != 0 || Run("mount", $"-o loop {_image} {_mount}") != 0)
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

    /// <summary>Takes every free block of the file system with one file.</summary>
    private void Fill(string path)
    {
        long free = new DriveInfo(_mount).AvailableFreeSpace;
        Run("fallocate", $"-l {free} {path}");
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
