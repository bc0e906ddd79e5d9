using Multiprocess.Connection;
using Multiprocess.Internal;
using Multiprocess.Reduction;

namespace Multiprocess.Processes;

/// <summary>
/// A CPython forkserver (<c>Lib/multiprocessing/forkserver.py</c>) that <see cref="PythonProcess"/> and the pool ask for
/// children (<see cref="PythonProcessOptions.ForkServer"/>): a Python process that has imported <c>multiprocessing</c>
/// (and the <see cref="ForkServerOptions.Preload"/> modules) once and forks a copy of itself per child, so a child
/// costs a fork instead of an interpreter start. This process never forks: the server is Python.
/// </summary>
/// <remarks>
/// <code>
///   this process                                          forkserver (python -c 'from P.forkserver import main; main(...)')
///   start: listener socket (0600), pipe(alive_r, alive_w), [3.14+: pipe(authkey_r, authkey_w)]
///          posix_spawn with the listener, alive_r [, authkey_r] ──▶ [reads the 32-byte authkey], preloads, serves
///          write 32 random bytes to authkey_w (3.14+)
///   child: connect; [3.14+: answer_challenge, deliver_challenge]  ◀─▶ [deliver_challenge, answer_challenge]
///          sendfds [child_r, child_w, alive_w, tracker_fd, *fds] ──▶ fork; the child runs spawn._main(child_r)
///          write prep data + Process pickle to parent_w       ──▶ child reads them
///          read pid (8 bytes) from parent_r                   ◀── write_signed(child_w, pid)
///          later: exit code (8 bytes, −N for signal N)        ◀── write_signed(child_w, returncode) after waitpid
///   stop:  close alive_w (the server exits at EOF), waitpid, unlink the socket
/// </code>
/// <para>A server this process started is restarted on the next request if it died (as <c>ensure_running</c> does);
/// an attached one (<see cref="Attach"/>: a Python parent's, handed to this process) cannot be, and a request to a
/// dead one fails with an <see cref="IOException"/> naming its address.</para>
/// </remarks>
/// <example><code>
/// using var server = new ForkServer(new ForkServerOptions { Interpreter = PythonInterpreter.Resolve("3.12") });
/// using var p = new PythonProcess("math:factorial", [20], options: new PythonProcessOptions { ForkServer = server });
/// p.Start();
/// p.Join();
/// </code></example>
public sealed partial class ForkServer : IDisposable
{
    private static readonly Lock s_sharedGate = new();
    private static readonly Dictionary<string, ForkServer> s_shared = new(StringComparer.Ordinal);

    private readonly Lock _gate = new();
    private readonly ForkServerOptions? _options;
    private int _pid;
    private int _aliveWrite = -1;
    private string? _address;
    private byte[]? _authKey;
    private bool _stopped;

    /// <summary>Describes a server; it starts at the first request (or <see cref="EnsureRunning"/>).</summary>
    /// <param name="options">Interpreter, package, preload, environment; null for defaults.</param>
    public ForkServer(ForkServerOptions? options = null)
    {
        _options = options ?? new ForkServerOptions();
        Package = _options.Package;
    }

    private ForkServer(string address, int aliveWrite, byte[]? authKey, string package)
    {
        _address = address;
        _aliveWrite = aliveWrite;
        _authKey = authKey;
        Package = package;
    }

    /// <summary>Gets the package whose <c>forkserver</c> serves (<c>multiprocessing</c> or <c>multiprocess</c>).</summary>
    public string Package { get; }

    /// <summary>Gets the server's pid while this process runs it; null when attached or not started.</summary>
    public int? Pid => _pid == 0 ? null : _pid;

    /// <summary>Gets the listener's AF_UNIX address as Python writes it (a path; an abstract name starts with NUL), or
    /// null before the server starts.</summary>
    public string? Address => _address;

    /// <summary>Gets whether this is another process's server (<see cref="Attach"/>).</summary>
    public bool IsAttached => _options is null;

    /// <summary>Uses a forkserver that another process started, as CPython's children do with their parent's: its
    /// address, the write end of its alive pipe (each client holds one; the server exits when all are closed) and,
    /// for 3.14+ servers, its authkey (<c>forkserver._forkserver._forkserver_authkey</c>).</summary>
    /// <param name="address">The server's AF_UNIX address (<c>_forkserver_address</c>).</param>
    /// <param name="aliveFd">An fd of the alive pipe's write end (<c>_forkserver_alive_fd</c>, inherited); this object
    /// owns it from now on and closes it in <see cref="Dispose"/>.</param>
    /// <param name="authKey">The server's 32-byte authkey (3.14+), or null for a server that takes none.</param>
    /// <param name="package"><c>multiprocessing</c> or <c>multiprocess</c>.</param>
    /// <returns>The server.</returns>
    /// <exception cref="ArgumentException">The address is empty or the fd negative.</exception>
    public static ForkServer Attach(string address, int aliveFd, byte[]? authKey = null, string package = "multiprocessing")
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        ArgumentOutOfRangeException.ThrowIfNegative(aliveFd);
        SocketNative.SetCloseOnExec(aliveFd);
        return new ForkServer(address, aliveFd, authKey is null ? null : (byte[])authKey.Clone(), package);
    }

    /// <summary>Attaches to the forkserver of a Python parent from the values it passed to this (C#) child, e.g.
    /// <c>Process(target=..., args=(fs._forkserver_address, reduction.DupFd(fs._forkserver_alive_fd),
    /// getattr(fs, '_forkserver_authkey', None)))</c> with <c>fs = forkserver._forkserver</c> after
    /// <c>forkserver.ensure_running()</c>; see docs/forkserver.md.</summary>
    /// <param name="address">The address as unpickled: a str (a path, or an abstract name starting with NUL).</param>
    /// <param name="aliveFd">The alive fd as unpickled: an inherited <c>_DupFd</c>, a <c>resource_sharer.DupFd</c>
    /// (fetched from the parent now), or an int fd this process already holds.</param>
    /// <param name="authKey">bytes (3.14+) or None.</param>
    /// <param name="package"><c>multiprocessing</c> or <c>multiprocess</c>.</param>
    /// <returns>The server.</returns>
    /// <exception cref="ArgumentException">A value is not of those kinds; the message names it.</exception>
    public static ForkServer FromParent(object? address, object? aliveFd, object? authKey = null, string package = "multiprocessing")
    {
        var path = address as string ?? throw new ArgumentException($"the forkserver address must be a str, not {Pickle.PyRepr.TypeName(address)}", nameof(address));
        var fd = aliveFd switch
        {
            int i => i,
            long l => checked((int)l),
            InheritedFd inherited => inherited.Fd,
            ResourceSharerFd shared => shared.Detach(),
            _ => throw new ArgumentException($"the forkserver alive fd must be an fd or a DupFd, not {Pickle.PyRepr.TypeName(aliveFd)}", nameof(aliveFd)),
        };
        var key = authKey switch
        {
            null => null,
            byte[] b => b,
            _ => throw new ArgumentException($"the forkserver authkey must be bytes or None, not {Pickle.PyRepr.TypeName(authKey)}", nameof(authKey)),
        };
        return Attach(path, fd, key, package);
    }

    /// <summary>Starts the server unless it runs (CPython's <c>ensure_running</c>); restarts one that died.</summary>
    /// <exception cref="ObjectDisposedException">The server was stopped.</exception>
    /// <exception cref="FileNotFoundException">The interpreter does not exist.</exception>
    /// <exception cref="IOException">The socket, a pipe or the spawn failed.</exception>
    public void EnsureRunning()
    {
        lock (_gate)
        {
            EnsureRunningLocked();
        }
    }

    /// <summary>Stops a server this process started (closes the alive pipe, waits for it, removes the socket), or
    /// lets go of an attached one (closes its alive fd).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _stopped = true;
            StopLocked();
        }
    }

    /// <summary>The server shared by every <see cref="PythonProcessOptions.UseForkServer"/> child with the same
    /// interpreter, package, flags, <c>sys.path</c> and environment; stopped when this process exits.</summary>
    internal static ForkServer Shared(PythonProcessOptions options)
    {
        var python = options.Interpreter ?? PythonInterpreter.Default;
        var key = string.Join(
            "\0",
            [python.Path, options.Package, .. options.InterpreterFlags, "|", .. options.SysPath, "|",
             .. (options.Environment ?? new Dictionary<string, string>()).OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => e.Key + "=" + e.Value)]);
        lock (s_sharedGate)
        {
            if (!s_shared.TryGetValue(key, out var server))
            {
                if (s_shared.Count == 0)
                {
                    AppDomain.CurrentDomain.ProcessExit += (_, _) => StopShared();
                }

                server = new ForkServer(new ForkServerOptions
                {
                    Interpreter = python,
                    Package = options.Package,
                    SysPath = options.SysPath,
                    Environment = options.Environment,
                    InterpreterFlags = options.InterpreterFlags,
                });
                s_shared[key] = server;
            }

            return server;
        }
    }

    /// <summary>connect_to_new_process: asks the server for a child and returns (status_r, data_w): the pid and later
    /// the exit code arrive on the first, the preparation data and Process pickle go to the second.</summary>
    /// <exception cref="IOException">The server cannot be reached (the message names its address and pid).</exception>
    /// <exception cref="AuthenticationException">The server rejected the authkey.</exception>
    internal (int StatusRead, int DataWrite) ConnectToNewProcess(IReadOnlyList<int> fds, int trackerFd)
    {
        // ensure_running judges the server by waitpid(WNOHANG): a server killed a moment ago may still be exiting (its
        // socket and pipes closed already, not yet a zombie), so it passes for alive and refuses the connection. Once
        // it has exited, one more try starts a new server, as the next ensure_running would have.
        return TryConnectToNewProcess(fds, trackerFd, retryIfExiting: true)
            ?? TryConnectToNewProcess(fds, trackerFd, retryIfExiting: false)!.Value;
    }

    /// <summary>One attempt of <see cref="ConnectToNewProcess"/>; <see langword="null"/> when our own server refused
    /// because it was exiting and <paramref name="retryIfExiting"/> asked to try again.</summary>
    private (int StatusRead, int DataWrite)? TryConnectToNewProcess(IReadOnlyList<int> fds, int trackerFd, bool retryIfExiting)
    {
        string address;
        int aliveWrite;
        byte[]? authKey;
        lock (_gate)
        {
            EnsureRunningLocked();
            (address, aliveWrite, authKey) = (_address!, _aliveWrite, _authKey);
        }

        var (parentRead, childWrite) = PosixSpawn.Pipe();
        var (childRead, parentWrite) = PosixSpawn.Pipe();
        try
        {
            var all = ForkServerWire.RequestFds(childRead, childWrite, aliveWrite, trackerFd, fds);
            Connection.Connection client;
            try
            {
                client = Client.Connect(PickledAddress.FromPython(address), authKey);
            }
            catch (IOException) when (retryIfExiting && AwaitExitOfOwnServer(address))
            {
                LibcPipe.Close(parentRead);
                LibcPipe.Close(parentWrite);
                return null;
            }
            catch (IOException e)
            {
                throw new IOException($"the forkserver at {address}{Describe()} does not accept requests: {e.Message}", e);
            }

            using (client)
            {
                LibcScm.SendFds(client.Fileno(), all);
            }

            return (parentRead, parentWrite);
        }
        catch
        {
            LibcPipe.Close(parentRead);
            LibcPipe.Close(parentWrite);
            throw;
        }
        finally
        {
            LibcPipe.Close(childRead);
            LibcPipe.Close(childWrite);
        }
    }

    /// <summary>Waits up to 2 s for the server this object started at <paramref name="address"/> to finish exiting,
    /// then forgets it (the next <see cref="EnsureRunningLocked"/> starts another).</summary>
    /// <returns><see langword="false"/> for an attached server, a server since replaced, or one still alive.</returns>
    private bool AwaitExitOfOwnServer(string address)
    {
        lock (_gate)
        {
            if (_options is null || _pid == 0 || _address != address)
            {
                return false;
            }

            if (!AwaitExitLocked(TimeSpan.FromSeconds(2)))
            {
                return false;   // alive and refusing: the caller's error says so
            }

            _pid = 0;
            StopLocked();
            return true;
        }
    }

    /// <summary>Text for errors: <c> (pid N, exited with code C)</c> when this process runs the server.</summary>
    internal string Describe()
    {
        lock (_gate)
        {
            if (_pid == 0)
            {
                return IsAttached ? " (attached)" : "";
            }

            var status = PosixSpawn.Wait(_pid, noHang: true);
            return status is { } s ? $" (pid {_pid}, exited with code {PosixSpawn.ExitCode(s)})" : $" (pid {_pid})";
        }
    }

    private static void StopShared()
    {
        lock (s_sharedGate)
        {
            foreach (var server in s_shared.Values)
            {
                server.Dispose();
            }

            s_shared.Clear();
        }
    }
}
