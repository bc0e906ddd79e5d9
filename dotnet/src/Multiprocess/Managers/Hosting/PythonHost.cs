using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Multiprocess.Managers.Referents;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Hosting;

/// <summary>
/// The Python process behind <c>multiprocess serve</c> (docs/python-host.md): it holds the referents only Python can
/// run, and the server drives it over pipes, one pickle each way per call (<see cref="HostFrames"/>). Supervised:
/// when it dies, the calls in flight and every later call on its objects fail with <see cref="PythonHostLostException"/>
/// (a RemoteError for the client, naming what happened), its orphaned children are killed, and a new host takes
/// new objects; the server and its native referents are not affected.
/// </summary>
/// <remarks>
/// Started on first use, or by <see cref="Start"/> when registrations need its answers before the server listens.
/// Each incarnation has a generation number; a <see cref="PythonReferent"/> remembers the one that made it.
/// </remarks>
internal sealed partial class PythonHost : IPythonRunner, IDisposable
{
    private readonly PythonHostOptions _options;
    private readonly byte[] _authKey;
    private readonly Action<string> _log;
    private readonly object _gate = new();
    private readonly ConcurrentDictionary<long, string> _deaths = new();
    private Incarnation? _current;
    private long _generations;
    private bool _disposed;

    public PythonHost(PythonHostOptions options, byte[] authKey, Action<string>? log)
    {
        _options = options;
        _authKey = (byte[])authKey.Clone();
        _log = log ?? (_ => { });
    }

    /// <summary>Raised after a host died (its generation, the reason), once per incarnation.</summary>
    public event Action<long, string>? Died;

    public string Executable => _options.Executable;

    public string Description => _current is { } c ? c.Description : $"the Python host ({_options.Executable})";

    /// <summary>Gets the current incarnation's pid, or 0 when none runs.</summary>
    public int Pid => _current is { Dead: false } c ? c.Pid : 0;

    /// <summary>Gets the current generation (0 before the first start).</summary>
    public long Generation => _current?.Generation ?? 0;

    /// <summary>Gets the number of calls sent to the current incarnation and not yet answered (what tests wait for instead of sleeping).</summary>
    internal int CallsInFlight => _current?.CallsInFlight ?? 0;

    /// <summary>Gets the type ids the last started host reported (from <c>--register</c>/<c>--manager</c>).</summary>
    public IReadOnlyList<(string TypeId, bool Creatable, IReadOnlyList<string>? Exposed, IReadOnlyDictionary<string, string>? MethodToTypeid)> Registrations { get; private set; } = [];

    /// <summary>Starts a host now if none runs; returns its generation.</summary>
    /// <exception cref="PythonHostLostException">It could not start; the message has the interpreter's own error.</exception>
    public long Start() => Current().Generation;

    public object? Invoke(PyTuple request, SharedCallContext? context, ref long generation)
    {
        Incarnation host;
        if (generation == 0)
        {
            host = Current();
            generation = host.Generation;
        }
        else
        {
            if (_current is not { } c || c.Generation != generation || c.Dead)
            {
                (_current is { } dying && dying.Generation == generation ? dying : null)?.WaitUntilDeathRecorded();
                throw Lost(generation);
            }

            host = c;
        }

        return host.Call(request, context) is var (status, data)
            ? PythonReply.Decode(status, data, request[0] as string ?? "?")
            : throw Lost(generation);
    }

    public void Dispose()
    {
        Incarnation? last;
        lock (_gate)
        {
            _disposed = true;
            last = _current;
        }

        last?.Stop(TimeSpan.FromSeconds(3));
    }

    private PythonHostLostException Lost(long generation) =>
        new(_deaths.TryGetValue(generation, out var reason)
            ? $"{reason}; the objects it held are lost (a new host serves new objects)"
            : $"the Python host of generation {generation} is no longer running; the objects it held are lost");

    private Incarnation Current()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_current is { Dead: false } running)
            {
                return running;
            }

            var generation = ++_generations;
            var started = Incarnation.Launch(this, generation);
            _current = started;
            _log($"python host started: pid {started.Pid}, {started.Version} at {started.ExecutablePath} (flavour {_options.Flavour}, generation {generation})");
            return started;
        }
    }

    /// <summary>An incarnation died: record why, fail what was in flight, end its process group, start a new one.</summary>
    private void OnDeath(Incarnation host, string reason, int failedCalls)
    {
        bool restart;
        lock (_gate)
        {
            restart = !_disposed && ReferenceEquals(_current, host) && host.Age > TimeSpan.FromSeconds(1);
        }

        _log(string.Create(CultureInfo.InvariantCulture, $"{reason}; {failedCalls} call(s) in flight failed; {(restart ? "starting a new host" : "a new host starts on next use")}"));
        Died?.Invoke(host.Generation, reason);
        if (restart)
        {
            ThreadPool.UnsafeQueueUserWorkItem(
                static self =>
                {
                    try
                    {
                        self.Current();
                    }
                    catch (Exception e) when (e is PythonHostLostException or ObjectDisposedException)
                    {
                        self._log($"python host could not be restarted: {e.Message}");
                    }
                },
                this,
                preferLocal: false);
        }
    }

    private static string DescribeExit(Process process)
    {
        if (!process.WaitForExit(TimeSpan.FromSeconds(5)))
        {
            return "closed its pipe but is still running (killed now)";
        }

        var code = process.ExitCode;
        return code > 128 && code < 128 + 65
            ? string.Create(CultureInfo.InvariantCulture, $"was killed by signal {code - 128}{SignalName(code - 128)}")
            : string.Create(CultureInfo.InvariantCulture, $"exited with status {code}");
    }

    private static string SignalName(int signal) => signal switch
    {
        9 => " (SIGKILL)",
        15 => " (SIGTERM)",
        6 => " (SIGABRT)",
        11 => " (SIGSEGV)",
        2 => " (SIGINT)",
        _ => "",
    };
}
