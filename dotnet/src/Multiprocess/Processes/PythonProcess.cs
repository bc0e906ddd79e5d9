using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;
using Multiprocess.Internal;
using Multiprocess.Pickle;
using Multiprocess.Reduction;

namespace Multiprocess.Processes;

/// <summary>
/// A CPython child started the way <c>multiprocessing</c>'s spawn start method starts one (docs/protocols.md §8): no fork
/// of this process; posix_spawn of <c>python -c 'from multiprocessing.spawn import spawn_main;
/// spawn_main(tracker_fd=T, pipe_handle=R)' --multiprocessing-fork</c> with the fds at the numbers the child expects,
/// then the preparation data and the pickled <c>SpawnProcess</c> on the pipe. The child runs the target
/// (<c>module:qualname</c>) with the arguments; <see cref="ExitCode"/> reads as Python's <c>Process.exitcode</c>.
/// </summary>
/// <remarks>
/// <para>Arguments are pickled with <see cref="ForkingPickler"/>: <see cref="Queues.Queue"/>s, SemLocks, Connections
/// and shared memory reach the child as CPython's would.</para>
/// <para>As in CPython, at exit this process terminates its daemonic children and waits for the others.</para>
/// </remarks>
/// <example><code>
/// using var p = new PythonProcess("math:factorial", [20]) { Daemon = true };
/// p.Start();
/// p.Join(TimeSpan.FromSeconds(10));
/// Console.WriteLine(p.ExitCode);   // 0
/// </code></example>
public sealed partial class PythonProcess : IDisposable
{
    private static readonly ConcurrentDictionary<PythonProcess, byte> s_children = new();

    private readonly object _gate = new();
    private readonly IReadOnlyList<int> _identity;
    private int _pid;
    private int _sentinel = -1;
    private int _parentWrite = -1;
    private int? _exitCode;
    private bool _lost;
    private bool _started;
    private bool _closed;
    private OutputCapture? _stdout;
    private OutputCapture? _stderr;

    static PythonProcess() => AppDomain.CurrentDomain.ProcessExit += (_, _) => OnExit();

    /// <summary>Describes a child; nothing starts before <see cref="Start"/>.</summary>
    /// <param name="target">The Python function: <c>module:qualname</c> (e.g. <c>mymodule:work</c>).</param>
    /// <param name="args">Positional arguments (the pickle codec's values, queues, locks…).</param>
    /// <param name="kwargs">Keyword arguments.</param>
    /// <param name="options">Interpreter, <c>sys.path</c>, directory, environment; null for defaults.</param>
    /// <exception cref="ArgumentException"><paramref name="target"/> is not <c>module:qualname</c>.</exception>
    public PythonProcess(string target, IEnumerable<object?>? args = null, IReadOnlyDictionary<string, object?>? kwargs = null, PythonProcessOptions? options = null)
    {
        TargetGlobal = SpawnPickles.Target(target, nameof(target));
        Target = target;
        Args = args?.ToArray() ?? [];
        Kwargs = kwargs ?? new Dictionary<string, object?>();
        Options = options ?? new PythonProcessOptions();
        _identity = CurrentProcess.NextChildIdentity();
        Name = ProcessClass + "-" + string.Join(':', _identity.Select(i => i.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>Gets the target as given (<c>module:qualname</c>).</summary>
    public string Target { get; }

    /// <summary>Gets the target as pickled (<c>STACK_GLOBAL module qualname</c>).</summary>
    public PyGlobal TargetGlobal { get; }

    /// <summary>Gets the positional arguments.</summary>
    public IReadOnlyList<object?> Args { get; }

    /// <summary>Gets the keyword arguments.</summary>
    public IReadOnlyDictionary<string, object?> Kwargs { get; }

    /// <summary>Gets the start options.</summary>
    public PythonProcessOptions Options { get; }

    /// <summary>Gets or sets the process name the child sees (<c>SpawnProcess-N</c> by default).</summary>
    public string Name { get; set; }

    /// <summary>Gets or sets whether the child is daemonic (terminated when this process exits; may not have
    /// children of its own); null leaves CPython's default (not daemonic).</summary>
    public bool? Daemon { get; set; }

    /// <summary>Gets the child's pid once started.</summary>
    public int? Pid => _pid == 0 ? null : _pid;

    /// <summary>Gets the sentinel: an fd that becomes readable when the child exits (for
    /// <see cref="Connection.Connection.Wait{T}"/>), or -1 before start.</summary>
    public int Sentinel => _sentinel;

    /// <summary>Gets the exit code as Python reports it: the status it exited with, −N when killed by signal N, null
    /// while running (or if the status was lost: another part of this process reaped the child).</summary>
    public int? ExitCode
    {
        get
        {
            Poll();
            return _exitCode;
        }
    }

    /// <summary>Gets whether the child was started and has not exited yet.</summary>
    public bool IsAlive => _started && _pid != 0 && !Poll();

    /// <summary>Gets what the child wrote to stdout (with <see cref="PythonProcessOptions.CaptureOutput"/>), waiting up
    /// to 5 s for the stream to end once the child has exited.</summary>
    public string StandardOutput => Captured(_stdout);

    /// <summary>Gets what the child wrote to stderr (with <see cref="PythonProcessOptions.CaptureOutput"/>).</summary>
    public string StandardError => Captured(_stderr);

    /// <summary>Waits for the child to exit (Python's <c>join(timeout)</c>).</summary>
    /// <param name="timeout">The longest wait; null waits as long as it takes.</param>
    /// <returns>Whether it has exited.</returns>
    /// <exception cref="InvalidOperationException">The process was not started.</exception>
    public bool Join(TimeSpan? timeout = null)
    {
        if (!_started)
        {
            throw new InvalidOperationException("can only join a started process");
        }

        var deadline = Deadline.From(timeout ?? Timeout.InfiniteTimeSpan);
        if (Poll())
        {
            return true;
        }

        // popen_fork.wait: wait on the sentinel (EOF once the child exits), then waitpid.
        if (_sentinel >= 0 && !SocketNative.PollReadable(_sentinel, deadline))
        {
            return Poll();
        }

        var pause = 1;
        while (!Poll())
        {
            if (Deadline.Expired(deadline))
            {
                return false;
            }

            // The sentinel can be ready while the child lives on (it closed the fd itself): poll the status.
            Thread.Sleep(pause);
            pause = Math.Min(pause * 2, 50);
        }

        return true;
    }

    /// <summary>Sends SIGTERM (Python's <c>terminate()</c>; the exit code becomes −15 unless the child handles it).</summary>
    public void Terminate() => Signal(LibcSpawn.SIGTERM);

    /// <summary>Sends SIGKILL (Python's <c>kill()</c>; the exit code becomes −9).</summary>
    public void Kill() => Signal(LibcSpawn.SIGKILL);

    /// <summary>Releases the sentinel and the pipe to the child (Python's <c>close()</c>).</summary>
    /// <exception cref="InvalidOperationException">The child is still running.</exception>
    public void Close()
    {
        if (IsAlive)
        {
            throw new InvalidOperationException("Cannot close a process while it is still running. You should first call join() or terminate().");
        }

        CloseCore();
    }

    /// <summary>Terminates the child if it still runs (SIGTERM, then SIGKILL after 1 s), then closes.</summary>
    public void Dispose()
    {
        if (IsAlive)
        {
            Terminate();
            if (!Join(TimeSpan.FromSeconds(1)))
            {
                Kill();
                Join(TimeSpan.FromSeconds(5));
            }
        }

        CloseCore();
    }

    /// <summary>Python's repr: <c>&lt;SpawnProcess name='SpawnProcess-1' pid=123 parent=100 started&gt;</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        var state = !_started ? "initial" : IsAlive ? "started" : _exitCode is { } code ? $"stopped exitcode={code}" : "stopped";
        return $"<{ProcessClass} name='{Name}'{(_pid != 0 ? $" pid={_pid}" : "")} parent={Environment.ProcessId} {state}{(Daemon == true ? " daemon" : "")}>";
    }

    /// <summary>Reaps the child without waiting if it has exited; returns whether it has.</summary>
    private bool Poll()
    {
        lock (_gate)
        {
            if (_exitCode is not null || _lost)
            {
                return true;
            }

            if (_pid == 0)
            {
                return false;
            }

            if (_viaForkServer)
            {
                return PollForkServerChild();
            }

            while (true)
            {
                var r = LibcSpawn.WaitPid(_pid, out var status, LibcSpawn.WNOHANG);
                if (r == _pid)
                {
                    _exitCode = PosixSpawn.ExitCode(status);
                    s_children.TryRemove(this, out _);
                    return true;
                }

                if (r == 0)
                {
                    return false;
                }

                if (Marshal.GetLastPInvokeError() != Errno.EINTR)
                {
                    // ECHILD: reaped elsewhere (e.g. a SIGCHLD handler that reaps everything); the status is gone.
                    _lost = true;
                    s_children.TryRemove(this, out _);
                    return true;
                }
            }
        }
    }

    private void Signal(int signal)
    {
        lock (_gate)
        {
            if (_pid != 0 && _exitCode is null && !_lost)
            {
                // Never after reaping: the pid may belong to someone else by then.
                LibcSpawn.Kill(_pid, signal);
            }
        }
    }

    private void CloseCore()
    {
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            foreach (var fd in new[] { _sentinel, _parentWrite })
            {
                if (fd >= 0)
                {
                    LibcPipe.Close(fd);
                }
            }

            _sentinel = _parentWrite = -1;
        }
    }

    private string Captured(OutputCapture? capture)
    {
        if (capture is null)
        {
            throw new InvalidOperationException("output is captured only with PythonProcessOptions.CaptureOutput");
        }

        return capture.Text(IsAlive ? TimeSpan.Zero : TimeSpan.FromSeconds(5));
    }

    private static void OnExit()
    {
        // util._exit_function: terminate daemonic children, then join every child.
        foreach (var p in s_children.Keys.Where(p => p.Daemon == true))
        {
            p.Terminate();
        }

        foreach (var p in s_children.Keys)
        {
            p.Join(p.Daemon == true ? TimeSpan.FromSeconds(5) : null);
        }
    }
}
