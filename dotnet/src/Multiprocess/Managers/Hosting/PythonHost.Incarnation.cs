using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Multiprocess.Internal;
using Multiprocess.Managers.Referents;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Hosting;

/// <summary>One run of the host process: start-up exchange, calls multiplexed by request id, death.</summary>
internal sealed partial class PythonHost
{
    private sealed partial class Incarnation
    {
        private readonly PythonHost _owner;
        private readonly Process _process;
        private readonly Stream _input;
        private readonly Stream _output;
        private readonly int _outputFd;
        private readonly ConcurrentDictionary<long, Pending> _pending = new();
        private readonly object _write = new();
        private readonly object _overflowWrite = new();
        private readonly Stopwatch _age = Stopwatch.StartNew();
        private readonly ManualResetEventSlim _deathRecorded = new(false);
        private Stream? _overflow;
        private long _nextId;
        private int _dead;
        private volatile bool _stopping;

        /// <summary>Gets the number of calls registered and not yet answered.</summary>
        internal int CallsInFlight => _pending.Count;

        private Incarnation(PythonHost owner, long generation, Process process)
        {
            _owner = owner;
            Generation = generation;
            _process = process;
            _input = process.StandardInput.BaseStream;
            _output = process.StandardOutput.BaseStream;
            _outputFd = FdOf(_output);
            Pid = process.Id;
            ExecutablePath = owner._options.Executable;
        }

        public long Generation { get; }

        public int Pid { get; }

        public string Version { get; private set; } = "Python";

        public string ExecutablePath { get; private set; }

        public string Description => string.Create(CultureInfo.InvariantCulture, $"the Python host (pid {Pid}, {ExecutablePath})");

        public bool Dead => Volatile.Read(ref _dead) != 0;

        /// <summary>
        /// Waits until a death under way has recorded its reason. <see cref="Dead"/> turns true first and the reason
        /// (which waits for the exit status) comes after, so a call that saw <see cref="Dead"/> waits here before it
        /// reports the loss; else it could say "no longer running" instead of "killed by signal 9".
        /// </summary>
        public void WaitUntilDeathRecorded() => _deathRecorded.Wait(TimeSpan.FromSeconds(10));

        public TimeSpan Age => _age.Elapsed;

        /// <exception cref="PythonHostLostException">The interpreter is missing, or the host's start-up failed.</exception>
        public static Incarnation Launch(PythonHost owner, long generation)
        {
            var options = owner._options;
            var info = new ProcessStartInfo(options.Executable)
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
            };
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(HostSource.Text);
            Process process;
            try
            {
                process = Process.Start(info) ?? throw new PythonHostLostException($"the Python host '{options.Executable}' did not start");
            }
            catch (Win32Exception e)
            {
                throw new PythonHostLostException($"the Python host '{options.Executable}' cannot be started: {e.Message} (serve --python PY names the interpreter)", e);
            }

            var host = new Incarnation(owner, generation, process);
            try
            {
                host.Handshake();
            }
            catch
            {
                host.KillGroup();
                process.Dispose();
                throw;
            }

            process.EnableRaisingEvents = true;
            process.Exited += (_, _) => host.Die();
            return host;
        }

        /// <summary>
        /// One request; null when the host died before answering. It goes on the inline lane (stdin) when no call runs
        /// there, else on the overflow lane; the calling thread then reads the replies itself (<see cref="Await"/>).
        /// </summary>
        /// <exception cref="SessionAbortedException">The client hung up meanwhile (the Python call runs on; its reply is dropped).</exception>
        public (int Status, byte[] Data)? Call(PyTuple request, SharedCallContext? context)
        {
            var reply = Send(request, context);
            if (reply is null)
            {
                WaitUntilDeathRecorded();
            }

            return reply;
        }

        private (int Status, byte[] Data)? Send(PyTuple request, SharedCallContext? context)
        {
            var id = Interlocked.Increment(ref _nextId);
            var frame = HostFrames.Build(id, request);
            var pending = new Pending();
            _pending[id] = pending;
            if (Dead)
            {
                _pending.TryRemove(id, out _);
                return null;
            }

            try
            {
                if (_overflow is null || Interlocked.CompareExchange(ref _inlineId, id, 0) == 0)
                {
                    lock (_write)
                    {
                        _input.Write(frame);
                    }
                }
                else
                {
                    lock (_overflowWrite)
                    {
                        _overflow.Write(frame);
                    }
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                _pending.TryRemove(id, out _);
                Die();
                return null;
            }

            return Await(id, pending, context);
        }

        /// <summary>An orderly end: EOF on its requests makes the host exit; killed after <paramref name="grace"/>.</summary>
        public void Stop(TimeSpan grace)
        {
            _stopping = true;
            foreach (var lane in new[] { _input, _overflow })
            {
                try
                {
                    lane?.Close();
                }
                catch (IOException)
                {
                }
            }

            if (!_process.WaitForExit(grace))
            {
                KillGroup();
            }

            Die();
        }

        private void Handshake()
        {
            var options = _owner._options;
            var init = new PyTuple(
                "init",
                options.Flavour,
                _owner._authKey,
                options.Registrations.Select(r => (object?)PyTuple.Create(r.TypeId, r.Callable, r.ProxyType)).ToList(),
                options.Managers.Select(m => (object?)m).ToList(),
                options.Initializer,
                options.InitArgs);
            HostFrames.Write(_input, 0, PickleSerializer.Dumps(init));
            var read = Task.Run(() => HostFrames.Read(_output));
            if (!read.Wait(options.StartTimeout))
            {
                throw new PythonHostLostException(string.Create(CultureInfo.InvariantCulture, $"{Description} did not start within {options.StartTimeout.TotalSeconds:0} s"));
            }

            if (read.Result is not { } frame || frame.Payload.Length == 0)
            {
                throw new PythonHostLostException($"{Description} {DescribeExit(_process)} before it started (is '{options.Executable}' a CPython 3.8+ with {options.Flavour} importable?)");
            }

            var hello = PickleSerializer.Loads(frame.Payload.AsSpan(1), PythonReply.Options);
            if (frame.Payload[0] != 0 || hello is not PyTuple { Count: 5 } t || t[4] is not string lane)
            {
                throw new PythonHostLostException(hello as string ?? $"{Description} answered {PyRepr.Repr(hello)} at start-up");
            }

            Version = "Python " + t[1];
            ExecutablePath = t[2] as string ?? ExecutablePath;
            _owner.Registrations = ReadRegistrations(t[3]);
            _overflow = OpenLane(lane);
        }

        private static List<(string, bool, IReadOnlyList<string>?, IReadOnlyDictionary<string, string>?)> ReadRegistrations(object? value)
        {
            var list = new List<(string, bool, IReadOnlyList<string>?, IReadOnlyDictionary<string, string>?)>();
            foreach (var item in value as List<object?> ?? [])
            {
                if (item is PyTuple { Count: 4 } r && r[0] is string typeId && r[1] is bool creatable)
                {
                    var exposed = (r[2] as PyTuple)?.OfType<string>().ToArray();
                    Dictionary<string, string>? map = null;
                    if (r[3] is PyDict d)
                    {
                        map = new Dictionary<string, string>(StringComparer.Ordinal);
                        foreach (var (k, v) in d)
                        {
                            if (k is string ks && v is string vs)
                            {
                                map[ks] = vs;
                            }
                        }
                    }

                    list.Add((typeId, creatable, exposed, map));
                }
            }

            return list;
        }

        private void Die()
        {
            if (Interlocked.Exchange(ref _dead, 1) != 0)
            {
                return;
            }

            // The reason first: the calls woken below read it to say what happened.
            var reason = _stopping ? $"{Description} was stopped (the server is shutting down)" : $"{Description} {DescribeExit(_process)}";
            _owner._deaths[Generation] = reason;
            _deathRecorded.Set();
            KillGroup();
            var failed = 0;
            foreach (var id in _pending.Keys)
            {
                if (_pending.TryRemove(id, out var pending))
                {
                    failed++;
                    pending.Wake.Set();
                }
            }

            if (!_stopping)
            {
                _owner.OnDeath(this, reason, failed);
            }
        }

        /// <summary>SIGKILL to the host's process group (it calls setsid): Pool workers it left behind go too.</summary>
        private void KillGroup()
        {
            LibcSpawn.Kill(-Pid, 9);
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                }
            }
            catch (Exception e) when (e is InvalidOperationException or Win32Exception)
            {
                // Already gone.
            }
        }
    }
}
