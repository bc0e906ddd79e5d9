using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Multiprocess.TestUtilities;

/// <summary>
/// A CPython process kept running for a test, executing the snippets it is sent (one JSON request per line on stdin,
/// one JSON reply per line on stdout) in one namespace: so that a test can interleave C# and Python steps on shared
/// objects, with one interpreter start per fixture. Every call has a timeout; <see cref="Dispose"/> kills the process.
/// </summary>
public sealed partial class PythonRepl : IDisposable
{
    // Runs under 3.8–3.13: no syntax newer than 3.8.
    private const string Driver = """
        import sys, json, traceback
        ns = {'__name__': '__peer__'}
        out = sys.stdout
        for line in sys.stdin:
            req = json.loads(line)
            try:
                if req['op'] == 'eval':
                    res = {'ok': True, 'value': repr(eval(req['code'], ns))}
                else:
                    exec(req['code'], ns)
                    res = {'ok': True, 'value': None}
            except BaseException as e:
                res = {'ok': False, 'error': '%s: %s' % (type(e).__name__, e), 'traceback': traceback.format_exc()}
            out.write(json.dumps(res) + '\n')
            out.flush()
        """;

    private static readonly TimeSpan s_defaultTimeout = TimeSpan.FromSeconds(20);
    private static readonly Lock s_startLock = new();

    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly BlockingCollection<string> _replies = [];

    private PythonRepl(Process process, string version)
    {
        _process = process;
        Version = version;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(e.Data);
                }
            }
        };
        _process.BeginErrorReadLine();
        var reader = new Thread(() =>
        {
            string? line;
            while ((line = _process.StandardOutput.ReadLine()) != null)
            {
                _replies.Add(line);
            }

            _replies.CompleteAdding();
        })
        { IsBackground = true, Name = "python-repl-" + version };
        reader.Start();
    }

    /// <summary>Gets the minor version ("3.12").</summary>
    public string Version { get; }

    /// <summary>Gets the process id.</summary>
    public int Pid => _process.Id;

    /// <summary>Gets what the process wrote on stderr so far.</summary>
    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Starts CPython of <paramref name="version"/>.</summary>
    /// <param name="version">A minor version ("3.8" … "3.13").</param>
    /// <param name="inheritFds">Fds of this process the child inherits at the same numbers (e.g. a tracker pipe).</param>
    /// <param name="environment">Extra environment variables.</param>
    /// <returns>The running interpreter.</returns>
    public static PythonRepl Start(string version, IReadOnlyList<int>? inheritFds = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(PythonInterpreters.Get(version))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-u");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(Driver);
        psi.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        // .NET children inherit every fd without FD_CLOEXEC: open the window for the chosen ones only while starting.
        lock (s_startLock)
        {
            foreach (var fd in inheritFds ?? [])
            {
                SetCloseOnExec(fd, false);
            }

            try
            {
                var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start CPython {version}");
                return new PythonRepl(p, version);
            }
            finally
            {
                foreach (var fd in inheritFds ?? [])
                {
                    SetCloseOnExec(fd, true);
                }
            }
        }
    }

    /// <summary>Runs statements.</summary>
    /// <param name="code">Python statements.</param>
    /// <param name="timeout">The longest wait for the reply (default 20 s).</param>
    /// <exception cref="PythonException">The code raised; the message carries the Python traceback.</exception>
    /// <exception cref="TimeoutException">No reply in time.</exception>
    public void Exec(string code, TimeSpan? timeout = null)
    {
        Send("exec", code);
        Receive(timeout);
    }

    /// <summary>Evaluates an expression and returns its <c>repr()</c>.</summary>
    /// <param name="expression">A Python expression.</param>
    /// <param name="timeout">The longest wait for the reply (default 20 s).</param>
    /// <returns>The repr of the value.</returns>
    /// <exception cref="PythonException">The code raised.</exception>
    /// <exception cref="TimeoutException">No reply in time.</exception>
    public string Eval(string expression, TimeSpan? timeout = null)
    {
        Send("eval", expression);
        return Receive(timeout)!;
    }

    /// <summary>Starts statements without waiting (for steps that run alongside C#); finish with <see cref="Wait"/>.</summary>
    /// <param name="code">Python statements.</param>
    public void Begin(string code) => Send("exec", code);

    /// <summary>Waits for the reply of the last <see cref="Begin"/>.</summary>
    /// <param name="timeout">The longest wait (default 20 s).</param>
    /// <exception cref="PythonException">The code raised.</exception>
    /// <exception cref="TimeoutException">No reply in time.</exception>
    public void Wait(TimeSpan? timeout = null) => Receive(timeout);

    /// <summary>Kills the interpreter with SIGKILL and waits for it.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }
    }

    /// <summary>Closes stdin (the driver loop ends) and waits for a normal exit.</summary>
    /// <param name="timeout">The longest wait.</param>
    /// <returns>The exit code.</returns>
    /// <exception cref="TimeoutException">It did not exit in time.</exception>
    public int Close(TimeSpan? timeout = null)
    {
        _process.StandardInput.Close();
        if (!_process.WaitForExit(timeout ?? s_defaultTimeout))
        {
            throw new TimeoutException($"CPython {Version} (pid {Pid}) did not exit");
        }

        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Ends the interpreter: a normal exit first (closing stdin ends the driver loop, so Python's finalizers
    /// run and unlink what it created), SIGKILL after 5 s.</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.Close();
                if (!_process.WaitForExit(5000))
                {
                    Kill();
                }
            }
        }
        catch (IOException)
        {
            Kill();
        }
        catch (InvalidOperationException)
        {
            // never started or already reaped
        }

        _process.Dispose();
    }

    private void Send(string op, string code)
    {
        var request = JsonSerializer.Serialize(new Dictionary<string, string> { ["op"] = op, ["code"] = code });
        _process.StandardInput.WriteLine(request);
        _process.StandardInput.Flush();
    }

    private string? Receive(TimeSpan? timeout)
    {
        var limit = timeout ?? s_defaultTimeout;
        if (!_replies.TryTake(out var line, limit))
        {
            throw new TimeoutException(
                _replies.IsCompleted
                    ? $"CPython {Version} exited: {StandardError}"
                    : $"CPython {Version} did not answer within {limit}; stderr: {StandardError}");
        }

        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        if (!root.GetProperty("ok").GetBoolean())
        {
            throw new PythonException(root.GetProperty("error").GetString()!, root.GetProperty("traceback").GetString()!);
        }

        return root.GetProperty("value").ValueKind == JsonValueKind.Null ? null : root.GetProperty("value").GetString();
    }

    private static void SetCloseOnExec(int fd, bool on)
    {
        const int F_SETFD = 2;
        const int FD_CLOEXEC = 1;
        Fcntl(fd, F_SETFD, on ? FD_CLOEXEC : 0);
    }

    [LibraryImport("libc.so.6", EntryPoint = "fcntl")]
    private static partial int Fcntl(int fd, int command, int argument);
}

/// <summary>A snippet run by <see cref="PythonRepl"/> raised.</summary>
public sealed class PythonException : Exception
{
    public PythonException(string error, string traceback)
        : base($"{error}\n{traceback}")
    {
        Error = error;
    }

    public PythonException()
    {
        Error = "";
    }

    public PythonException(string message)
        : base(message)
    {
        Error = message;
    }

    public PythonException(string message, Exception inner)
        : base(message, inner)
    {
        Error = message;
    }

    /// <summary>Gets <c>Type: message</c> of the Python exception.</summary>
    public string Error { get; }
}
