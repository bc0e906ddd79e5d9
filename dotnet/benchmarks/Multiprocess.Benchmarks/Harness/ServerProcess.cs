using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;

namespace Multiprocess.Benchmarks.Harness;

/// <summary>
/// A process a suite measures against or talks to (<c>multiprocess serve</c>, the echo floor, a CPython peer script):
/// started, waited for until it prints its ready line on stdout (within a timeout), and stopped by its pid. Every
/// suite that starts such a process goes through here, so each gets the same timeout, the same error (the command,
/// what it printed and its exit) and the same stop; none is stopped by a name pattern.
/// </summary>
/// <remarks>
/// The ready line is read on the calling thread (a suite that times start-to-ready times the process, not a thread
/// hop); a timer kills the process (and its descendants, by pid) if the line does not come in time, which ends the
/// read. After it, stdout is the suite's (<see cref="StandardOutput"/>: CPython peers answer batches there); stderr
/// is drained in the background, its last lines kept for the error messages. The celery suite's brokers and workers
/// use the Celery tests' <c>ChildProcess</c> instead (linked in from Multiprocess.Celery.Tests/Support): the same
/// start, wait and stop by pid, plus a SIGTERM first and the stop of every child when this process is signalled, which
/// the suite shares with those tests.
/// </remarks>
public sealed class ServerProcess : IDisposable
{
    /// <summary>How many of its last stderr lines are kept for error messages.</summary>
    private const int TailLines = 40;

    /// <summary>
    /// How long to wait, after the kill, for it to be gone and its output read to the end: a descendant left running
    /// (not <see cref="ServerProcessOptions.KillDescendants"/>) may hold stdout or stderr open for longer.
    /// </summary>
    private static readonly TimeSpan s_reapTimeout = TimeSpan.FromSeconds(10);

    private readonly Process _process;
    private readonly ServerProcessOptions _options;
    private readonly ConcurrentQueue<string> _stderr = new();
    private readonly ManualResetEventSlim _stderrClosed = new();
    private readonly List<string> _beforeReady = [];
    private bool _stopped;

    private ServerProcess(Process process, string command, ServerProcessOptions options)
    {
        _process = process;
        Command = command;
        _options = options;
    }

    /// <summary>Gets the command line, for messages.</summary>
    public string Command { get; }

    /// <summary>Gets its process id.</summary>
    public int Pid => _process.Id;

    /// <summary>Gets the line it printed when ready (whole, e.g. <c>READY /tmp/x.sock</c> or a peer's address).</summary>
    public string ReadyLine { get; private set; } = "";

    /// <summary>Gets its stdin (when <see cref="ServerProcessOptions.RedirectStandardInput"/>).</summary>
    public StreamWriter StandardInput => _process.StandardInput;

    /// <summary>Gets its stdout, after the ready line.</summary>
    public StreamReader StandardOutput => _process.StandardOutput;

    /// <summary>Gets a value indicating whether it exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Gets its exit code, once it exited (-1: still running).</summary>
    public int ExitCode => _process.HasExited ? _process.ExitCode : -1;

    /// <summary>Starts <paramref name="file"/> and waits for its ready line.</summary>
    /// <param name="file">The program.</param>
    /// <param name="args">Its arguments.</param>
    /// <param name="options">The ready line, the timeout and how to stop it; null: the defaults.</param>
    /// <returns>The process, ready.</returns>
    /// <exception cref="InvalidOperationException">It could not be started, or it exited before its ready line.</exception>
    /// <exception cref="TimeoutException">No ready line within <see cref="ServerProcessOptions.ReadyTimeout"/>; it was killed.</exception>
    public static ServerProcess Start(string file, IEnumerable<string> args, ServerProcessOptions? options = null)
    {
        options ??= new ServerProcessOptions();
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = options.CaptureStandardError,
            RedirectStandardInput = options.RedirectStandardInput,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (name, value) in options.Environment)
        {
            psi.Environment[name] = value;
        }

        var command = string.Join(' ', psi.ArgumentList.Prepend(file));
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {command}");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"could not start {command}: {e.Message}", e);
        }

        var server = new ServerProcess(process, command, options);
        if (options.CaptureStandardError)
        {
            process.ErrorDataReceived += (_, e) => server.AddStderr(e.Data);
            process.BeginErrorReadLine();
        }

        server.WaitForReady();
        return server;
    }

    /// <summary>
    /// Stops it by its pid: with stdin redirected and a <see cref="ServerProcessOptions.ExitGrace"/>, closes stdin (a
    /// CPython peer's signal to end) and waits that long; then SIGKILL (to its descendants too, by pid, when
    /// <see cref="ServerProcessOptions.KillDescendants"/>), and waits for it to exit. Safe to call twice.
    /// </summary>
    public void Stop()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        if (_options.RedirectStandardInput && _options.ExitGrace > TimeSpan.Zero && !_process.HasExited)
        {
            try
            {
                _process.StandardInput.Close();
            }
            catch (IOException)
            {
                // It exited meanwhile (broken pipe): nothing to tell it.
            }

            _process.WaitForExit(_options.ExitGrace);
        }

        Kill(_options.KillDescendants);
        Reap();
    }

    /// <summary>
    /// For a suite that found its stdout closed: stops it (waiting for its exit and the rest of its stderr) and returns
    /// the error to throw, with its exit code and what it printed.
    /// </summary>
    /// <returns>The exception, not thrown.</returns>
    public InvalidOperationException Ended()
    {
        Stop();
        return new InvalidOperationException($"{Command} ended (exit code {ExitCode}); {Output()}");
    }

    /// <summary>What it printed: stdout before its ready line, and the last lines of stderr.</summary>
    /// <returns>One text, for error messages.</returns>
    public string Output()
    {
        var stdout = _beforeReady.Count == 0 ? "nothing" : string.Join("\n", _beforeReady);
        var stderr = !_options.CaptureStandardError ? "(not captured: it went to this console)"
            : _stderr.IsEmpty ? "nothing" : string.Join("\n", _stderr);
        return $"stdout: {stdout}; stderr: {stderr}";
    }

    /// <summary>Stops it (<see cref="Stop"/>) and releases it.</summary>
    public void Dispose()
    {
        try
        {
            Stop();
        }
        finally
        {
            _process.Dispose();
            _stderrClosed.Dispose();
        }
    }

    private void WaitForReady()
    {
        var gate = new Lock();
        var ready = false;
        var timedOut = false;
        using (new Timer(
            _ =>
            {
                lock (gate)
                {
                    if (ready)
                    {
                        return;
                    }

                    timedOut = true;
                }

                Kill(descendants: true);   // ends the read below (a descendant may hold stdout open too)
            },
            null,
            _options.ReadyTimeout,
            Timeout.InfiniteTimeSpan))
        {
            string? line;
            while ((line = _process.StandardOutput.ReadLine()) is not null && !line.StartsWith(_options.ReadyPrefix, StringComparison.Ordinal))
            {
                _beforeReady.Add(line);
            }

            lock (gate)
            {
                ready = line is not null && !timedOut;
            }

            if (ready)
            {
                ReadyLine = line!;
                return;
            }
        }

        var what = _options.ReadyPrefix.Length == 0 ? "a line" : $"a line starting with '{_options.ReadyPrefix}'";
        Kill(descendants: true);
        Reap();
        _stopped = true;
        var message = timedOut
            ? $"{Command} did not print {what} within {_options.ReadyTimeout} (killed); {Output()}"
            : $"{Command} exited with code {ExitCode} before printing {what}; {Output()}";
        _process.Dispose();
        _stderrClosed.Dispose();
        throw timedOut ? new TimeoutException(message) : new InvalidOperationException(message);
    }

    private void Kill(bool descendants)
    {
        try
        {
            _process.Kill(entireProcessTree: descendants);   // by pid (descendants: by their parent pid in /proc)
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    /// <summary>Waits (bounded) for it to be gone and for the end of its stderr, so that errors quote all of it.</summary>
    private void Reap()
    {
        _process.WaitForExit(s_reapTimeout);
        if (_options.CaptureStandardError)
        {
            _stderrClosed.Wait(s_reapTimeout);
        }
    }

    private void AddStderr(string? line)
    {
        if (line is null)
        {
            _stderrClosed.Set();   // the end of its stderr
            return;
        }

        _stderr.Enqueue(line);
        while (_stderr.Count > TailLines && _stderr.TryDequeue(out _))
        {
        }
    }
}
