using Ledger.Testing;

namespace Ledger.Gateway.Tests;

/// <summary>
/// The OpenAPI document, checked by tools no one here wrote: <c>@apidevtools/swagger-parser</c> validates it,
/// <c>@redocly/cli lint</c> passes it with its recommended rules, and two clients generated from it drive the README
/// walkthrough (open, deposit, purchase, hold, partial release, DELETE, reversal, balances now and <c>?at=</c>,
/// statements v1 and v2 paged to the end, a 409 and a 422 read as Problems) with no raw URL, cast or hand-written
/// type: TypeScript (<c>openapi-typescript</c> + <c>openapi-fetch</c>, tests/clients/typescript) and C# (Kiota,
/// tests/clients/kiota). The tools are installed by <c>.ci/setup.sh</c> (npm ci, dotnet tool restore).
/// </summary>
[NonParallelizable]
[Category("Tools")]
public sealed class ClientContractTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);
    private static readonly string Clients = Path.Combine(ToolRun.RepositoryRoot, "tests", "clients");
    private static readonly string TypeScript = Path.Combine(Clients, "typescript");
    private static readonly string Kiota = Path.Combine(Clients, "kiota");

    private GatewayServer _server = null!;
    private string _document = "";
    private string _baseUrl = "";

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        Assert.That(Directory.Exists(Path.Combine(TypeScript, "node_modules")), Is.True, $"run .ci/setup.sh first: it installs the npm tools in {TypeScript}");
        _server = await GatewayServer.StartAsync();
        _baseUrl = _server.Address.ToString().TrimEnd('/');
        _document = Path.Combine(Path.GetTempPath(), $"ledger-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(_document, await _server.Anonymous.GetStringAsync("/openapi/v1.json"));
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _server.DisposeAsync();
        File.Delete(_document);
    }

    private static ToolRun Run(string directory, string file, params string[] args)
    {
        var run = ToolRun.Run(file, args, directory, Patience);
        TestContext.Out.WriteLine($"$ {file} {string.Join(' ', args)}\n{run.Out}{run.Error}");
        return run;
    }

    private static string Npx(string tool) => Path.Combine(TypeScript, "node_modules", ".bin", tool);

    [Test]
    public void SwaggerParserShouldFindTheDocumentValid()
    {
        var run = Run(TypeScript, "node", "validate.mjs", _document);
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Out, Does.Contain("is valid OpenAPI 3.1"));
    }

    [Test]
    public void RedoclyLintShouldPassWithNoErrorOrWarning()
    {
        var run = Run(TypeScript, Npx("redocly"), "lint", _document, "--format=summary");
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Out + run.Error, Does.Contain("Your API description is valid"), run.ToString());
        // The summary format prints one "warning <rule>: N" or "error <rule>: N" line per rule that fired.
        var findings = run.Out.Split('\n').Where(line => line.StartsWith("warning ", StringComparison.Ordinal) || line.StartsWith("error ", StringComparison.Ordinal));
        Assert.That(findings, Is.Empty, run.ToString());
    }

    [Test]
    public void AGeneratedTypeScriptClientShouldDriveTheWalkthrough()
    {
        Directory.CreateDirectory(Path.Combine(TypeScript, "generated"));
        var generated = Run(TypeScript, Npx("openapi-typescript"), _document, "-o", Path.Combine("generated", "schema.d.ts"));
        Assert.That(generated.ExitCode, Is.Zero, generated.ToString());
        var compiled = Run(TypeScript, Npx("tsc"), "-p", ".");
        Assert.That(compiled.ExitCode, Is.Zero, "the walkthrough type-checks against the generated types\n" + compiled);
        var walked = Run(TypeScript, "node", Path.Combine("dist", "walkthrough.js"), _baseUrl, _document);
        Assert.That(walked.ExitCode, Is.Zero, walked.ToString());
        Assert.That(walked.Out, Does.Contain("typescript walkthrough: ok"));
    }

    [Test]
    public void AGeneratedKiotaClientShouldDriveTheWalkthrough()
    {
        var generated = Run(ToolRun.RepositoryRoot, "dotnet", "kiota", "generate", "-l", "CSharp", "-d", _document,
            "-o", Path.Combine(Kiota, "Generated"), "-c", "LedgerApiClient", "-n", "Ledger.KiotaClient", "--clean-output");
        Assert.That(generated.ExitCode, Is.Zero, generated.ToString());
        var built = Run(Kiota, "dotnet", "build", "-nologo", "-v", "quiet");
        Assert.That(built.ExitCode, Is.Zero, "the walkthrough compiles against the generated client\n" + built);
        var walked = Run(Kiota, "dotnet", Path.Combine("bin", "Debug", "net10.0", "Ledger.KiotaWalkthrough.dll"), _baseUrl, _document);
        Assert.That(walked.ExitCode, Is.Zero, walked.ToString());
        Assert.That(walked.Out, Does.Contain("kiota walkthrough: ok"));
    }
}
