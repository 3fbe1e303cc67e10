using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Ledger.Gateway.Tests;

/// <summary>
/// The gateway as a real process (its own build output, embedded defaults in Development, plain HTTP on a free port),
/// for tests that SIGKILL it. Its console log is captured for assertions.
/// Usage: <c>using var gateway = await GatewayProcess.StartAsync(dataDir); ...; gateway.Kill();</c>
/// </summary>
public sealed class GatewayProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly HttpClient _anonymous;

    private GatewayProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
        _anonymous = new HttpClient { BaseAddress = address };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Uri Address { get; }

    public string Log
    {
        get
        {
            lock (_log) return _log.ToString();
        }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
    }

    private static string DllPath
    {
        get
        {
            var testDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            for (var dir = testDir; dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Ledger.sln")))
                    return Path.Combine(dir.FullName, "gateway", "bin", testDir.Parent!.Name, testDir.Name, "Ledger.Gateway.dll");
            }
            throw new InvalidOperationException("The repository root (Ledger.sln) is not above the test directory.");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static Task<GatewayProcess> StartAsync(string dataDir, params string[] settings) => StartAsync(TimeSpan.FromSeconds(60), dataDir, settings);

    /// <summary>As above, waiting at most <paramref name="readyWithin"/> for <c>/health/ready</c> (a replica catching up on millions of events).</summary>
    public static async Task<GatewayProcess> StartAsync(TimeSpan readyWithin, string dataDir, params string[] settings)
    {
        string dll = DllPath;
        var address = new Uri($"http://127.0.0.1:{FreePort()}");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        info.ArgumentList.Add(dll);
        foreach (var arg in new[]
                 {
                     $"--urls={address}", $"--Ledger:DataDir={dataDir}", "--Ledger:Memory:KeyFilterBytes=1048576",
                     "--Ledger:Memory:StoreBlockCacheBytes=8388608", "--Ledger:Memory:StoreWriteBufferBytes=4194304",
                 }.Concat(settings.Select(s => "--" + s)))
        {
            info.ArgumentList.Add(arg);
        }
        var gateway = new GatewayProcess(Process.Start(info)!, address);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (gateway._process.HasExited) throw new InvalidOperationException($"The gateway exited with {gateway._process.ExitCode}:\n{gateway.Log}");
            try
            {
                using var ready = await gateway._anonymous.GetAsync("/health/ready");
                if (ready.StatusCode == HttpStatusCode.OK) return gateway;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            if (clock.Elapsed > readyWithin)
            {
                gateway.Kill();
                throw new TimeoutException($"The gateway was not ready in {readyWithin.TotalSeconds:F0} s:\n{gateway.Log}");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>One metric's value from <c>/metrics</c> (no token needed), 0 when it is not there yet.</summary>
    public async Task<double> MetricAsync(string name)
    {
        string text = await _anonymous.GetStringAsync("/metrics");
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(name + " ", StringComparison.Ordinal))
                return double.Parse(line[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        }
        return 0;
    }

    /// <summary>A client with a client-credentials token of the embedded server.</summary>
    public async Task<HttpClient> ClientAsync(string clientId = "demo-partner")
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = GatewayServer.SecretOf(clientId) };
        using var response = await _anonymous.PostAsync("/connect/token", new FormUrlEncodedContent(form));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToJsonString());
        var client = new HttpClient { BaseAddress = Address };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (string)body["access_token"]!);
        return client;
    }

    /// <summary>SIGKILL: no shutdown hook runs, nothing is flushed.</summary>
    public void Kill()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
        _anonymous.Dispose();
    }
}
