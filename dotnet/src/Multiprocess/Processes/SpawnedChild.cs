using System.Globalization;
using System.Runtime.InteropServices;
using Multiprocess.Internal;
using Multiprocess.Pickle;
using Multiprocess.Reduction;
using Multiprocess.ResourceTracking;

namespace Multiprocess.Processes;

/// <summary>
/// Runs a C# program as the child of a Python parent (the reverse of <see cref="PythonProcess"/>): the parent calls
/// <c>multiprocessing.set_executable('/path/to/program')</c> and starts a spawn-context Process whose target names a
/// C# <see cref="SpawnedTarget"/>; CPython then starts the program with its spawn command line, which
/// <see cref="Run"/> recognises. The program reads the preparation data and the Process object from the pipe as
/// <c>spawn_main</c> does, adopts the parent's authkey, name and directory and the resource tracker fd, rebuilds the
/// arguments (Queues, SimpleQueues, JoinableQueues, locks, Connections), runs the target and exits with its code.
/// </summary>
/// <example><code>
/// // Program.cs of the C# child
/// if (SpawnCommandLine.TryParse(args, out _))
///     return SpawnedChild.Run(args, new Dictionary&lt;string, SpawnedTarget&gt;
///     {
///         ["workers:double_all"] = (a, kw) =>
///         {
///             var (inq, outq) = ((Queue)a[0]!, (Queue)a[1]!);
///             for (object? x; (x = inq.Get()) is long n;) outq.Put(2 * n);
///             return 0;
///         },
///     });
/// // the Python parent: workers.py must define double_all (its body may be a stub), so that pickle finds it
/// //   mp.set_executable(csharp_program); ctx = mp.get_context('spawn')
/// //   p = ctx.Process(target=workers.double_all, args=(inq, outq)); p.start()
/// </code></example>
public static class SpawnedChild
{
    /// <summary>Runs the child: reads what the parent sent, runs the target registered under the Process's
    /// <c>_target</c> (<c>module:qualname</c>), flushes queues, and returns the exit code.</summary>
    /// <param name="args">The program's arguments (CPython's spawn command line after the executable).</param>
    /// <param name="targets">The C# targets by <c>module:qualname</c>.</param>
    /// <returns>The exit code: the target's; 1 if it threw (the traceback-like report goes to stderr, as
    /// <c>Process._bootstrap</c> prints <c>Process name:</c> and the traceback); 1 if no target matches.</returns>
    /// <exception cref="ArgumentException"><paramref name="args"/> is not a spawn command line.</exception>
    public static int Run(IReadOnlyList<string> args, IReadOnlyDictionary<string, SpawnedTarget> targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (!SpawnCommandLine.TryParse(args, out var command))
        {
            throw new ArgumentException(SpawnCommandLine.ForkServerRefusal(args)
                ?? $"not a multiprocessing spawn command line: {string.Join(' ', args)}", nameof(args));
        }

        if (command.TrackerFd is { } trackerFd)
        {
            // spawn_main: resource_tracker._resource_tracker._fd = tracker_fd — the default tracker picks it up.
            Environment.SetEnvironmentVariable(ResourceTracker.FdVariable, trackerFd.ToString(CultureInfo.InvariantCulture));
        }

        CloseOnExecInherited();
        var sentinel = LibcPipe.Dup(command.PipeHandle);
        if (sentinel >= 0)
        {
            SocketNative.SetCloseOnExec(sentinel);
            CurrentProcess.ParentSentinel = sentinel;
        }

        PyReduce process;
        string name;
        try
        {
            var options = new UnpickleOptions { Registry = ForkingPickler.GetRegistry(command.Package) };
            using var reader = new PickleStreamReader(command.PipeHandle);
            Prepare(reader.Next(UnpickleOptions.Default));
            process = reader.Next(options) as PyReduce ?? throw new InvalidDataException("the second pickle is not a Process object");
            name = (process.State as PyDict)?.Get("_name") as string ?? CurrentProcess.Name;
        }
        finally
        {
            LibcPipe.Close(command.PipeHandle);
        }

        return Bootstrap(process, name, targets);
    }

    /// <summary>spawn.prepare: name, authkey, working directory; <c>sys_path</c> is kept for forkserver children
    /// (<see cref="CurrentProcess.InheritedSysPath"/>).</summary>
    private static void Prepare(object? data)
    {
        if (data is not PyDict prep)
        {
            throw new InvalidDataException($"the preparation data is not a dict: {PickledShapes.Describe(data)}");
        }

        CurrentProcess.Inherit(prep.Get("name") as string, AuthKeyOf(prep.Get("authkey")), null, null, null);
        if (prep.Get("sys_path") is List<object?> sysPath)
        {
            CurrentProcess.InheritedSysPath = sysPath.OfType<string>().ToArray();
        }
        if (prep.Get("dir") is string dir && LibcPipe.ChDir(dir) != 0)
        {
            ThrowHelper.ThrowErrno($"chdir('{dir}')", ThrowHelper.LastErrno);
        }
    }

    /// <summary>BaseProcess._bootstrap: become the process object, run the target, map the outcome to an exit code.</summary>
    /// <remarks>Failures go to this child's stderr as <c>Process NAME:</c> and the error, not to a logger: that is where
    /// and how CPython's <c>_bootstrap</c> prints a child's traceback, and where the parent's user looks for it.</remarks>
    private static int Bootstrap(PyReduce process, string name, IReadOnlyDictionary<string, SpawnedTarget> targets)
    {
        if (process.State is not PyDict state || state.Get("_target") is not PyGlobal target)
        {
            Console.Error.WriteLine($"Process {name}:\nthe Process object has no _target function: {PickledShapes.Describe(process)}");
            return 1;
        }

        var config = state.Get("_config") as PyDict;
        CurrentProcess.Inherit(
            name,
            AuthKeyOf(config?.Get("authkey")),
            (state.Get("_identity") as PyTuple)?.AsSpan().ToArray().Select(i => checked((int)(long)i!)).ToArray(),
            state.Get("_parent_pid") is long ppid ? checked((int)ppid) : null,
            state.Get("_parent_name") as string);

        var key = target.Module + ":" + target.Name;
        if (!targets.TryGetValue(key, out var run))
        {
            Console.Error.WriteLine(
                $"Process {name}:\nno C# target is registered for '{key}' (registered: {string.Join(", ", targets.Keys.Order(StringComparer.Ordinal))})");
            return 1;
        }

        var args = (state.Get("_args") as PyTuple)?.ToArray() ?? [];
        var kwargs = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (state.Get("_kwargs") is PyDict kw)
        {
            foreach (var (k, v) in kw)
            {
                kwargs[k as string ?? throw new InvalidDataException($"keyword argument name {PickledShapes.Describe(k)} is not a str")] = v;
            }
        }

        try
        {
            return run(args, kwargs);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"Process {name}:");
            Console.Error.WriteLine(e);
            return 1;
        }
        finally
        {
            Console.Out.Flush();
            Console.Error.Flush();
        }
    }

    private static byte[]? AuthKeyOf(object? value) => value switch
    {
        byte[] b => b,
        PyReduce { Args: { Count: 1 } a } when a[0] is byte[] b => b,   // process.AuthenticationString(b'...')
        _ => null,
    };

    /// <summary>CPython makes the fds it passes inheritable only for the exec; here every inherited fd above stderr
    /// becomes close-on-exec, so programs this child starts do not keep the parent's pipes (and sentinels) open.</summary>
    private static void CloseOnExecInherited()
    {
        try
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
            {
                if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var fd) && fd > 2)
                {
                    var flags = LibcPipe.Fcntl(fd, LibcSpawn.F_GETFD, 0);
                    if (flags >= 0 && (flags & LibcSpawn.FD_CLOEXEC) == 0)
                    {
                        LibcPipe.Fcntl(fd, LibcSpawn.F_SETFD, flags | LibcSpawn.FD_CLOEXEC);
                    }
                }
            }
        }
        catch (IOException)
        {
            // No /proc: nothing to tidy.
        }
    }

    /// <summary>Reads consecutive pickles from an fd that stays open (the parent keeps its end until the child exits),
    /// reading more whenever a pickle is incomplete: the same bytes pickle.load would consume.</summary>
    private sealed unsafe class PickleStreamReader(int fd) : IDisposable
    {
        private byte[] _buffer = new byte[64 * 1024];
        private int _start;
        private int _end;

        public object? Next(UnpickleOptions options)
        {
            while (true)
            {
                if (_end > _start)
                {
                    try
                    {
                        // First find where the pickle ends with plain options: rebuilding queues takes ownership of
                        // fds, which must happen once, on the complete pickle.
                        PickleSerializer.Load(_buffer.AsSpan(_start, _end - _start), out var used, UnpickleOptions.Default);
                        var value = PickleSerializer.Loads(_buffer.AsSpan(_start, used), options);
                        _start += used;
                        return value;
                    }
                    catch (EndOfStreamException)
                    {
                        // Incomplete: read more below.
                    }
                }

                Fill();
            }
        }

        public void Dispose()
        {
        }

        private void Fill()
        {
            if (_end == _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }

            fixed (byte* p = _buffer)
            {
                while (true)
                {
                    var n = LibcPipe.Read(fd, p + _end, (nuint)(_buffer.Length - _end));
                    if (n > 0)
                    {
                        _end += (int)n;
                        return;
                    }

                    if (n == 0)
                    {
                        throw new EndOfStreamException($"the parent closed the spawn pipe (fd {fd}) after {_end} bytes, inside a pickle");
                    }

                    if (Marshal.GetLastPInvokeError() != Errno.EINTR)
                    {
                        ThrowHelper.ThrowErrno($"read of the spawn pipe (fd {fd})", Marshal.GetLastPInvokeError());
                    }
                }
            }
        }
    }
}
