using System.Collections.Concurrent;
using System.Diagnostics;

namespace Multiprocess.Celery.Tests.Support;

/// <summary>A process a test started: its output collected line by line, stopped by its pid.</summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly SemaphoreSlim _lineAdded = new(0);

    private ChildProcess(Process process, string description)
    {
        _process = process;
        Description = description;
    }

    /// <summary>Gets what was started, for messages.</summary>
    public string Description { get; }

    /// <summary>Gets the pid.</summary>
    public int Pid => _process.Id;

    /// <summary>Gets a value indicating whether it exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Gets every line of stdout and stderr so far.</summary>
    public string Output => string.Join("\n", _lines);

    /// <summary>Starts a program.</summary>
    /// <param name="file">The program.</param>
    /// <param name="args">Its arguments.</param>
    /// <param name="environment">Extra environment variables.</param>
    /// <param name="workingDirectory">Its working directory.</param>
    /// <returns>The running process.</returns>
    public static ChildProcess Start(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var kv in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[kv.Key] = kv.Value;
        }

        var process = new Process { StartInfo = psi };
        var child = new ChildProcess(process, file + " " + string.Join(" ", psi.ArgumentList));
        process.OutputDataReceived += (_, e) => child.Add(e.Data);
        process.ErrorDataReceived += (_, e) => child.Add(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"could not start {child.Description}");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits for a line containing a text.</summary>
    /// <param name="text">The text.</param>
    /// <param name="timeout">How long.</param>
    /// <exception cref="TimeoutException">Not seen (or the process exited); the message carries the output.</exception>
    public void WaitForLine(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_lines.Any(l => l.Contains(text, StringComparison.Ordinal)))
            {
                return;
            }

            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"'{text}' not seen from {Description} ({(_process.HasExited ? "exited " + _process.ExitCode : "timeout")}); output:\n{Tail()}");
            }

            _lineAdded.Wait(TimeSpan.FromMilliseconds(200));
        }
    }

    /// <summary>Waits for exit and returns stdout+stderr.</summary>
    /// <param name="timeout">How long.</param>
    /// <returns>The exit code.</returns>
    /// <exception cref="TimeoutException">Still running; it is killed.</exception>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            Kill();
            throw new TimeoutException($"{Description} did not exit within {timeout}; output:\n{Tail()}");
        }

        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Sends SIGKILL to this process (by pid).</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: false);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    /// <summary>Sends SIGTERM and waits; kills it after <paramref name="grace"/>.</summary>
    /// <param name="grace">How long it may take to stop.</param>
    public void Terminate(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }

        _ = Kill(_process.Id, 15);
        if (!_process.WaitForExit(grace))
        {
            Kill();
        }
    }

    /// <summary>Gets the last lines of output.</summary>
    /// <returns>At most 60 lines.</returns>
    public string Tail() => string.Join("\n", _lines.TakeLast(60));

    /// <summary>Stops it (SIGTERM, then SIGKILL) and releases it.</summary>
    public void Dispose()
    {
        Terminate(TimeSpan.FromSeconds(10));
        _process.Dispose();
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private void Add(string? line)
    {
        if (line is not null)
        {
            _lines.Enqueue(line);
            _lineAdded.Release();
        }
    }
}
