using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Multiprocess.Celery.Tests.Support;

/// <summary>
/// A process a test (or the celery benchmark) started: its output collected line by line, stopped by its pid. A
/// SIGTERM or SIGINT to this process (or its exit) stops every child still running, with its descendants (by pid),
/// before the default action ends this process: a benchmark or test run interrupted so leaves no redis-server,
/// rabbitmq-server or worker behind. (SIGKILL cannot be caught: the servers' directories are swept by the next run, see
/// <see cref="RedisServer.CreateDirectory"/>.)
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private static readonly ConcurrentDictionary<ChildProcess, long> s_running = new();
    private static readonly Lock s_stopping = new();
    private static readonly Lazy<PosixSignalRegistration[]> s_signals = new(() =>
    {
        // Any other way out too (Environment.Exit, the end of Main): the main thread of a signalled benchmark often
        // fails first (its broker went away) and exits while the handler still stops the rest; ProcessExit then
        // waits for the handler's StopAll (the lock) instead of ending the process under it.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => StopAll(TimeSpan.FromSeconds(10));
        return [PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal), PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal)];
    });

    private static long s_started;
    private readonly Process _process;
    private ProcessTree.Member _member;
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
        _ = s_signals.Value;
        if (!process.Start())
        {
            throw new InvalidOperationException($"could not start {child.Description}");
        }

        child._member = new ProcessTree.Member(process.Id, ProcessTree.StartTimeOf(process.Id));
        s_running[child] = Interlocked.Increment(ref s_started);

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
        s_running.TryRemove(this, out _);
        _process.Dispose();
    }

    /// <summary>
    /// Stops every child still running and everything it started: SIGTERM to each child (newest first), up to
    /// <paramref name="grace"/> for all of them to exit, then SIGKILL to whatever of their process trees, as found
    /// before the first signal, is still alive (each by pid and start time, so a reused pid is left alone).
    /// </summary>
    /// <param name="grace">How long the children may take to stop.</param>
    /// <returns>The pids that had to be SIGKILLed.</returns>
    public static IReadOnlyList<int> StopAll(TimeSpan grace)
    {
        lock (s_stopping)
        {
            return StopAllLocked(grace);
        }
    }

    private static List<int> StopAllLocked(TimeSpan grace)
    {
        var all = s_running.OrderByDescending(kv => kv.Value).Select(kv => kv.Key).ToList();
        var children = all.Where(c => ProcessTree.IsAlive(c._member)).ToList(); // an exited child's pid may be reused
        var trees = ProcessTree.Snapshot();
        var members = children.SelectMany(c => trees.Descendants(c.Pid)).ToList();
        foreach (var child in children)
        {
            _ = Kill(child.Pid, 15);
        }

        var deadline = Stopwatch.GetTimestamp() + (long)(grace.TotalSeconds * Stopwatch.Frequency);
        while (members.Any(ProcessTree.IsAlive) && Stopwatch.GetTimestamp() < deadline)
        {
            Thread.Sleep(50);
        }

        var killed = new List<int>();
        foreach (var member in members.Where(ProcessTree.IsAlive))
        {
            _ = Kill(member.Pid, 9);
            killed.Add(member.Pid);
        }

        foreach (var child in all)
        {
            s_running.TryRemove(child, out _);
        }

        return killed;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    // SIGTERM/SIGINT: stop what this process started, then let the default action end it (not cancelled). The other
    // threads may be anywhere (a benchmark's Map, a test's wait): their using blocks will not run, so this is the
    // only place the children get stopped.
    private static void OnSignal(PosixSignalContext context)
    {
        var killed = StopAll(TimeSpan.FromSeconds(10));
        Console.Error.WriteLine($"{context.Signal}: stopped the processes this run started{(killed.Count > 0 ? $" (SIGKILL to {string.Join(", ", killed)})" : "")}");
    }

    private void Add(string? line)
    {
        if (line is not null)
        {
            _lines.Enqueue(line);
            _lineAdded.Release();
        }
    }
}
