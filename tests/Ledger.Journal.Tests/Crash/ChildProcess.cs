using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Ledger.Journal.Tests.Crash;

/// <summary>The crash child (<c>Ledger.CrashChild</c>) as a real process: lines in on stdin, lines out on stdout.</summary>
internal sealed partial class ChildProcess : IDisposable
{
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);

    /// <summary>How long to wait for a line before calling the child hung (a liveness guard, not a speed check).</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(90);

    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = new();
    private readonly Thread _reader;

    private ChildProcess(Process process)
    {
        _process = process;
        _reader = new Thread(() =>
        {
            string? line;
            while ((line = _process.StandardOutput.ReadLine()) is not null) _lines.Add(line);
            _lines.CompleteAdding();
        }) { IsBackground = true, Name = "crash-child-stdout" };
        _reader.Start();
    }


    public static string DllPath => Path.Combine(AppContext.BaseDirectory, "Ledger.CrashChild.dll");

    public static ChildProcess Start(string dataDir, int storeDelayMs)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(DllPath);
        info.ArgumentList.Add(dataDir);
        info.ArgumentList.Add(storeDelayMs.ToString(System.Globalization.CultureInfo.InvariantCulture));
        info.Environment["DOTNET_TieredPGO"] = "0"; // start faster: this process lives for a second
        info.Environment["DOTNET_TC_QuickJitForLoops"] = "1";
        return new ChildProcess(Process.Start(info)!);
    }

    public void Send(string line)
    {
        _process.StandardInput.WriteLine(line);
    }

    public void Flush() => _process.StandardInput.Flush();

    /// <summary>The next line, or null at end of output.</summary>
    public string? ReadLine()
    {
        if (_lines.TryTake(out var line, HangGuard)) return line;
        if (_lines.IsCompleted) return null;
        throw new TimeoutException($"The crash child (pid {_process.Id}) wrote nothing for {HangGuard.TotalSeconds} s: hung.");
    }

    /// <summary>Lines already written, without waiting.</summary>

    /// <summary>SIGKILL: no clean-up of any kind runs in the child.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    /// <summary>SIGTERM: the child's clean shutdown path.</summary>
    public int Terminate()
    {
        if (SendSignal(_process.Id, 15 /* SIGTERM */) != 0) throw new InvalidOperationException($"kill(SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}.");
        if (!_process.WaitForExit(HangGuard)) throw new TimeoutException("The crash child did not exit after SIGTERM.");
        return _process.ExitCode;
    }

    /// <summary>Everything the child wrote until its output closed (after it exited).</summary>
    public IEnumerable<string> Rest()
    {
        _reader.Join();
        while (_lines.TryTake(out var line)) yield return line;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
        _reader.Join(); // the reader ends at end of output; only then may the queue go
        _process.Dispose();
        _lines.Dispose();
    }
}
