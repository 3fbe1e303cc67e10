using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Ledger.Gateway.Tests.Docs;

/// <summary>
/// README.md's "Five minutes with curl", run exactly as printed (its two <c>sh</c> blocks, in bash, with curl) against a
/// freshly started gateway process, one answer a line, each checked against what the README says it shows.
/// </summary>
public sealed class ReadmeWalkthroughTests
{
    [Test]
    public async Task TheReadmeWalkthroughShouldRunAsPrintedAndAnswerAsItSays()
    {
        string script = Blocks(RepoDocs.Read("README.md"));
        using var gateway = await GatewayProcess.StartAsync(GatewayServer.NewDataDir());

        var info = new ProcessStartInfo("bash") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.Environment["L"] = gateway.Address.ToString().TrimEnd('/'); // the README's `L=${L:-http://127.0.0.1:8080}`
        using var bash = Process.Start(info)!;
        await bash.StandardInput.WriteAsync("set -e\n" + script);
        bash.StandardInput.Close();
        var output = bash.StandardOutput.ReadToEndAsync();
        var errors = bash.StandardError.ReadToEndAsync();
        await bash.WaitForExitAsync();
        string[] lines = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(bash.ExitCode, Is.EqualTo(0), await errors);
        Assert.That(lines, Has.Length.EqualTo(16), "one answer a line (each curl output ends in a newline):\n" + string.Join("\n", lines));

        JsonNode Line(int i) => JsonNode.Parse(lines[i]) ?? throw new AssertionException($"line {i} is not JSON: {lines[i]}");
        Assert.Multiple(() =>
        {
            Assert.That((long?)Line(0)["account"], Is.EqualTo(928013), "the account opened");
            string[] ids = ["dep-1", "pos-1", "hold-1", "rel-1", "rev-1"];
            for (int i = 0; i < ids.Length; i++)
            {
                var entry = Line(1 + i)["entries"]![0]!;
                Assert.That((string?)entry["correlationId"], Is.EqualTo(ids[i]));
                Assert.That((string?)entry["direction"], Is.Not.Null, "each 201 carries direction");
                Assert.That((long?)entry["sequence"], Is.EqualTo(1 + i));
            }
            Assert.That((string?)Line(3)["entries"]![0]!["status"], Is.EqualTo("PENDING"), "the hold");
            Assert.That(Balances(Line(3)), Is.EqualTo((25_000L, 20_000L)), "the README's example of the hold's 201");
            Assert.That(Balances(Line(6)), Is.EqualTo((50_000L, 0L)), "final balances: AVAILABLE 50000, HELD 0");
            var statement = Line(7)["entries"]!.AsArray();
            Assert.That(statement.Select(e => (string?)e!["correlationId"]), Is.EqualTo(ids), "the five entries, oldest first");
            Assert.That((string?)statement[2]!["status"], Is.EqualTo("RELEASED"));
            Assert.That((string?)statement[1]!["reversedBy"], Is.EqualTo("rev-1"));

            Assert.That(lines[8], Is.EqualTo(lines[1]), "the same deposit again: the same 201, byte for byte");
            Assert.That((string?)Line(9)["type"], Does.EndWith("/idempotency-conflict"));
            Assert.That(Line(9)["conflictingFields"]!.AsArray().Select(f => (string?)f), Is.EqualTo(new[] { "amount.value" }));
            Assert.That((string?)Line(10)["type"], Does.EndWith("/insufficient-funds"));
            Assert.That((int?)Line(10)["entryIndex"], Is.EqualTo(0));
            Assert.That(Balances(Line(11)), Is.EqualTo((50_000L, 0L)), "balances ?at= now");
            Assert.That(Line(12)["entries"]!.AsArray().Select(e => (string?)e!["correlationId"]), Is.EqualTo(new[] { "hold-1" }), "v2 status=RELEASED");
            Assert.That((string?)Line(13)["entries"]![0]!["status"], Is.EqualTo("PENDING"), "hold-2");
            Assert.That(lines[14], Is.EqualTo("204"), "the DELETE of the pending hold");
            Assert.That((string?)Line(15)["type"], Does.EndWith("/domain-not-permitted"));
        });
    }

    /// <summary>The <c>sh</c> blocks of the section "Five minutes with curl", in order.</summary>
    private static string Blocks(string readme)
    {
        int start = readme.IndexOf("## Five minutes with curl", StringComparison.Ordinal);
        int end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        Assert.That(start, Is.GreaterThanOrEqualTo(0), "README.md has a section \"Five minutes with curl\"");
        var script = new System.Text.StringBuilder();
        bool inBlock = false;
        int blocks = 0;
        foreach (string line in readme[start..end].Split('\n'))
        {
            if (!inBlock && line == "```sh") { inBlock = true; blocks++; continue; }
            if (inBlock && line == "```") { inBlock = false; continue; }
            if (inBlock) script.Append(line).Append('\n');
        }
        Assert.That(blocks, Is.EqualTo(2), "the walkthrough and the things to try next");
        return script.ToString();
    }

    private static (long Available, long Held) Balances(JsonNode body)
    {
        var balances = body["balances"]!.AsArray();
        return ((long)balances.First(b => (string?)b!["type"] == "AVAILABLE")!["value"]!, (long)balances.First(b => (string?)b!["type"] == "HELD")!["value"]!);
    }
}
