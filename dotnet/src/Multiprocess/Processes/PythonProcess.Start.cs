using System.Buffers;
using System.Globalization;
using Multiprocess.Internal;
using Multiprocess.Pickle;
using Multiprocess.Queues;
using Multiprocess.Reduction;
using Multiprocess.ResourceTracking;

namespace Multiprocess.Processes;

/// <content>popen_spawn_posix.Popen._launch, without fork.</content>
public sealed partial class PythonProcess
{
    /// <summary>Starts the child (Python's <c>start()</c>).</summary>
    /// <remarks>
    /// <code>
    ///   this process                                     child (python -c spawn_main(...))
    ///   1. tracker_fd = resource tracker's write end
    ///   2. pickle prep data + SpawnProcess, collecting the fds of Connections/Queues in the arguments (_DupFd)
    ///   3. pipe(parent_r, child_w), pipe(child_r, parent_w)
    ///   4. posix_spawn with tracker_fd, the _DupFd fds, child_r, child_w at their own numbers
    ///   5. write both pickles to parent_w  ─────────────▶ load prep data, prepare(), load the process, _bootstrap()
    ///   6. close child_r, child_w; keep parent_w (the child's parent_sentinel) and parent_r (our sentinel: EOF at exit)
    /// </code>
    /// </remarks>
    /// <exception cref="InvalidOperationException">Already started or closed, or an argument may not be sent (e.g. a
    /// queue inside a queue item).</exception>
    /// <exception cref="PicklingException">An argument cannot be pickled.</exception>
    /// <exception cref="FileNotFoundException">The interpreter does not exist.</exception>
    /// <exception cref="IOException">A pipe or the spawn failed.</exception>
    public void Start()
    {
        lock (_gate)
        {
            if (_started || _closed)
            {
                throw new InvalidOperationException(_closed ? "process object is closed" : "cannot start a process twice");
            }

            if (Options.CaptureOutput && (Options.ForkServer is not null || Options.UseForkServer))
            {
                throw new InvalidOperationException(
                    "CaptureOutput cannot be used with a forkserver: its children are forks of the server and write to its stdout and stderr");
            }

            _started = true;
        }

        var server = Options.ForkServer ?? (Options.UseForkServer ? ForkServer.Shared(Options) : null);
        var package = server?.Package ?? Options.Package;
        var trackerFd = TrackerFd(Options.Tracker ?? ResourceTracker.Default);
        var popen = new SpawningPopen(forkServer: server is not null);
        byte[] payload;
        using (popen.Enter())
        {
            var authKey = CurrentProcess.AuthKey;
            var kwargs = new PyDict();
            foreach (var (k, v) in Kwargs)
            {
                kwargs[k] = v;
            }

            var directory = Path.GetFullPath(Options.WorkingDirectory ?? Environment.CurrentDirectory);
            var pickleOptions = new PickleOptions { Registry = Options.Registry ?? ForkingPickler.GetRegistry(package) };
            var buffer = new ArrayBufferWriter<byte>(1024);
            PickleSerializer.Dump(buffer, SpawnPickles.PreparationData(package, Name, authKey, directory, Options.StartMethod, AttachedSysPath(server)), pickleOptions);
            PickleSerializer.Dump(buffer, SpawnPickles.ProcessObject(package, ProcessClass, _identity, authKey, Daemon, TargetGlobal, new PyTuple(Args.ToArray()), kwargs, Name), pickleOptions);
            payload = buffer.WrittenSpan.ToArray();
        }

        if (server is not null)
        {
            StartThroughForkServer(server, popen.Fds, trackerFd, payload);
            return;
        }

        var python = Options.Interpreter ?? PythonInterpreter.Default;

        var (parentRead, childWrite) = PosixSpawn.Pipe();
        var (childRead, parentWrite) = PosixSpawn.Pipe();
        var toClose = new List<int> { childRead, childWrite };
        try
        {
            var fds = new List<(int, int)>();
            if (Options.CaptureOutput)
            {
                var (outRead, outWrite) = PosixSpawn.Pipe();
                var (errRead, errWrite) = PosixSpawn.Pipe();
                toClose.AddRange([outWrite, errWrite]);
                fds.AddRange([(outWrite, 1), (errWrite, 2)]);
                _stdout = new OutputCapture(outRead, $"stdout of {Name}");
                _stderr = new OutputCapture(errRead, $"stderr of {Name}");
            }
            else
            {
                fds.AddRange([(1, 1), (2, 2)]);
            }

            // spawnv_passfds: every fd at its own number (the pickles name those numbers).
            foreach (var fd in popen.Fds.Append(childRead).Append(childWrite).Concat(trackerFd is { } t ? [t] : []).Distinct())
            {
                fds.Add((fd, fd));
            }

            _pid = PosixSpawn.Start(python.Path, CommandLine(python.Path, package, trackerFd, childRead), fds, [], ChildEnvironment(Options.Environment, Options.SysPath));
        }
        catch
        {
            LibcPipe.Close(parentRead);
            LibcPipe.Close(parentWrite);
            throw;
        }
        finally
        {
            toClose.ForEach(fd => LibcPipe.Close(fd));
        }

        _sentinel = parentRead;
        _parentWrite = parentWrite;
        s_children[this] = 0;
        try
        {
            PipeFrames.Write(parentWrite, payload);
        }
        catch (IOException)
        {
            // The child died before reading (e.g. the interpreter failed to start): its exit code tells the story.
        }
    }

    /// <summary>The <c>sys_path</c> a child of an attached (a Python parent's) forkserver gets: <see cref="PythonProcessOptions.SysPath"/>
    /// ahead of the parent's <c>sys.path</c> (<see cref="CurrentProcess.InheritedSysPath"/>), as CPython's children pass
    /// theirs on. PYTHONPATH cannot reach a server this process did not start; null (not sent) for every other child.</summary>
    private IReadOnlyList<string>? AttachedSysPath(ForkServer? server)
    {
        if (server is not { IsAttached: true })
        {
            return null;
        }

        var paths = Options.SysPath.Select(Path.GetFullPath).Concat(CurrentProcess.InheritedSysPath ?? []).ToList();
        return paths.Count > 0 ? paths : null;
    }

    /// <summary>spawn.get_command_line: <c>[exe, *flags, '-c', 'from multiprocessing.spawn import spawn_main;
    /// spawn_main(tracker_fd=T, pipe_handle=R)', '--multiprocessing-fork']</c>, values as <c>%r</c> writes them.</summary>
    private List<string> CommandLine(string python, string package, int? trackerFd, int pipeHandle)
    {
        var tracker = trackerFd?.ToString(CultureInfo.InvariantCulture) ?? "None";
        var pipe = pipeHandle.ToString(CultureInfo.InvariantCulture);
        return
        [
            python,
            .. Options.InterpreterFlags,
            "-c",
            $"from {package}.spawn import spawn_main; spawn_main(tracker_fd={tracker}, pipe_handle={pipe})",
            "--multiprocessing-fork",
        ];
    }

    /// <summary>The environment changes of a child (or forkserver): <paramref name="environment"/>, with
    /// <paramref name="sysPath"/> in front of <c>PYTHONPATH</c>.</summary>
    internal static Dictionary<string, string> ChildEnvironment(IReadOnlyDictionary<string, string>? environment, IReadOnlyList<string> sysPath)
    {
        var env = new Dictionary<string, string>(environment ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        if (sysPath.Count > 0)
        {
            var inherited = env.GetValueOrDefault("PYTHONPATH") ?? Environment.GetEnvironmentVariable("PYTHONPATH");
            env["PYTHONPATH"] = string.Join(':', sysPath.Select(Path.GetFullPath).Concat(string.IsNullOrEmpty(inherited) ? [] : [inherited]));
        }

        return env;
    }

    private static int? TrackerFd(ResourceTracker tracker)
    {
        try
        {
            return tracker.GetFd();
        }
        catch (FileNotFoundException)
        {
            // No tracker program here: tracker_fd=None makes the child start its own, as spawn_main allows.
            return null;
        }
    }
}
