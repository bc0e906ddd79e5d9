using System.Globalization;
using Multiprocess.Internal;

namespace Multiprocess.ResourceTracking;

/// <summary>
/// The client side of <c>multiprocessing.resource_tracker</c>: a pipe to a tracker process that remembers the names of
/// shared memory segments and semaphores and unlinks whatever is left when every holder of the pipe has gone (exit,
/// crash or SIGKILL), warning with CPython's wording.
/// </summary>
/// <remarks>
/// <para>One tracker serves a process tree. <see cref="Default"/> is this process's: it uses the fd named by
/// <c>MULTIPROCESS_TRACKER_FD</c> when a parent handed one down (CPython's <c>spawn_main(tracker_fd=…)</c>), else
/// starts one on first use with <see cref="ResourceTrackerLauncher.FindDefault"/>. Children, C# or Python, share it by
/// inheriting <see cref="GetFd"/> at the same number (<c>tracker_fd=N</c> for <c>spawn_main</c>).</para>
/// <code>
///   client (any holder)                                tracker (reads the pipe until EOF)
///   1. pipe2(O_CLOEXEC); posix_spawn tracker(r) ─────▶ SIGINT/SIGTERM blocked; reads lines from r
///   2. "PROBE:0:noop\n" (every later call)     ─────▶ ignored (the write failing means the tracker died)
///   3. "REGISTER:/psm_1a2b3c4d:shared_memory\n" ────▶ set[shared_memory].add(name)
///   4. "UNREGISTER:/psm_1a2b3c4d:shared_memory\n" ──▶ set[shared_memory].remove(name)
///   5. every write end closed (exit, kill -9)   ─────▶ EOF: warn "There appear to be N leaked …", unlink each
/// </code>
/// </remarks>
public sealed class ResourceTracker : IDisposable
{
    /// <summary>The environment variable a parent sets to hand its tracker's write fd to a C# child.</summary>
    public const string FdVariable = "MULTIPROCESS_TRACKER_FD";

    /// <summary>The resource type of POSIX shared memory segments (cleanup: shm_unlink).</summary>
    public const string SharedMemoryType = "shared_memory";

    /// <summary>The resource type of named semaphores (cleanup: sem_unlink).</summary>
    public const string SemaphoreType = "semaphore";

    private static readonly Lazy<ResourceTracker> s_default = new(CreateDefault);

    private readonly Lock _lock = new();
    private int _fd = -1;
    private int _pid;
    private int? _exitCode;

    /// <summary>Creates a tracker client that starts its own tracker process on first use.</summary>
    public ResourceTracker()
    {
    }

    private ResourceTracker(int fd) => _fd = fd;

    /// <summary>Gets this process's tracker (CPython's module-level <c>_resource_tracker</c>).</summary>
    public static ResourceTracker Default => s_default.Value;

    /// <summary>Gets or sets how the tracker process is started; null means
    /// <see cref="ResourceTrackerLauncher.FindDefault"/> at launch time.</summary>
    public ResourceTrackerLauncher? Launcher { get; set; }

    /// <summary>Gets the write end of the pipe, or -1 before the tracker runs.</summary>
    public int Fd => Volatile.Read(ref _fd);

    /// <summary>Gets the pid of the tracker process this client started, or null (not started, or inherited).</summary>
    public int? Pid => _pid == 0 ? null : _pid;

    /// <summary>Gets the tracker's exit status after <see cref="Stop"/> (3.13 semantics: 0 clean, 1 leaks were cleaned
    /// up, 2 a cleanup failed, 3 a malformed line was seen), or null.</summary>
    public int? ExitCode => _exitCode;

    /// <summary>Uses an inherited write end of a running tracker's pipe (CPython's <c>tracker_fd</c>): the tracker may
    /// be CPython's or the engine's. The fd is made close-on-exec; children get it only when passed explicitly.</summary>
    /// <param name="fd">The fd number.</param>
    /// <returns>A client writing to <paramref name="fd"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fd"/> is negative.</exception>
    public static ResourceTracker FromFd(int fd)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fd);
        LibcPipe.Fcntl(fd, LibcSpawn.F_SETFD, LibcSpawn.FD_CLOEXEC);
        return new ResourceTracker(fd);
    }

    /// <summary>Makes sure the tracker runs (probing it when already started, relaunching it with CPython's warning
    /// when it died) and returns the write fd to hand to children.</summary>
    /// <returns>The fd number.</returns>
    /// <exception cref="FileNotFoundException">No tracker program was found.</exception>
    /// <exception cref="IOException">The tracker could not be started.</exception>
    public int GetFd()
    {
        EnsureRunning();
        return _fd;
    }

    /// <summary>Starts the tracker unless it is running (CPython <c>ensure_running</c>).</summary>
    /// <exception cref="FileNotFoundException">No tracker program was found.</exception>
    /// <exception cref="IOException">The tracker could not be started.</exception>
    public void EnsureRunning()
    {
        lock (_lock)
        {
            EnsureRunningLocked();
        }
    }

    /// <summary>Registers a name for cleanup (<c>REGISTER:name:rtype</c>).</summary>
    /// <param name="name">The name as the cleanup function takes it (<c>/psm_…</c>, <c>/mp-…</c>).</param>
    /// <param name="resourceType"><see cref="SharedMemoryType"/>, <see cref="SemaphoreType"/>, …</param>
    /// <exception cref="ArgumentException">The line would be malformed or too long.</exception>
    /// <exception cref="IOException">The tracker could not be reached or started.</exception>
    public void Register(string name, string resourceType) => Send("REGISTER", name, resourceType);

    /// <summary>Withdraws a registration (<c>UNREGISTER:name:rtype</c>).</summary>
    /// <param name="name">The registered name.</param>
    /// <param name="resourceType">Its resource type.</param>
    /// <exception cref="ArgumentException">The line would be malformed or too long.</exception>
    /// <exception cref="IOException">The tracker could not be reached or started.</exception>
    public void Unregister(string name, string resourceType) => Send("UNREGISTER", name, resourceType);

    /// <summary>Closes this client's write end and, when this client started the tracker, waits for it and records
    /// <see cref="ExitCode"/> (CPython 3.13 <c>_stop</c>). The tracker exits once every other holder has closed too.</summary>
    public void Stop()
    {
        lock (_lock)
        {
            if (_fd < 0)
            {
                return;
            }

            LibcPipe.Close(_fd);
            _fd = -1;
            if (_pid != 0)
            {
                var status = PosixSpawn.Wait(_pid);
                _exitCode = status is { } s ? PosixSpawn.ExitCode(s) : null;
                _pid = 0;
            }
        }
    }

    /// <summary>Same as <see cref="Stop"/>.</summary>
    public void Dispose() => Stop();

    /// <summary>Checks that <paramref name="name"/> can be registered, before anything is created under it (CPython
    /// finds out only after creating, and leaks the resource).</summary>
    internal static void ValidateName(string name, string resourceType) => ResourceTrackerMessage.Format("UNREGISTER", name, resourceType);

    private static ResourceTracker CreateDefault()
    {
        var inherited = Environment.GetEnvironmentVariable(FdVariable);
        if (!string.IsNullOrEmpty(inherited)
            && int.TryParse(inherited, NumberStyles.None, CultureInfo.InvariantCulture, out var fd))
        {
            // Consumed here, like spawn_main's tracker_fd argument: our own children get the fd only when passed
            // explicitly, so they must not see a number that means nothing in them.
            Environment.SetEnvironmentVariable(FdVariable, null);
            return FromFd(fd);
        }

        return new ResourceTracker();
    }

    private void Send(string command, string name, string resourceType)
    {
        var message = ResourceTrackerMessage.Format(command, name, resourceType);
        lock (_lock)
        {
            EnsureRunningLocked();
            if (!TryWrite(_fd, message, out var errno))
            {
                ThrowHelper.ThrowOSError(errno);
            }
        }
    }

    private void EnsureRunningLocked()
    {
        if (_fd >= 0)
        {
            if (TryWrite(_fd, ResourceTrackerMessage.Probe, out _))
            {
                return;
            }

            // The write end no longer reaches a reader: the tracker died. Relaunch as CPython does, and say so.
            LibcPipe.Close(_fd);
            if (_pid != 0)
            {
                PosixSpawn.Wait(_pid);
            }

            _fd = -1;
            _pid = 0;
            _exitCode = null;
            // stderr on purpose: CPython says this with warnings.warn, which prints it there (same text).
            Console.Error.WriteLine("UserWarning: resource_tracker: process died unexpectedly, relaunching.  Some resources might leak.");
        }

        var launcher = Launcher ?? ResourceTrackerLauncher.FindDefault();
        var (r, w) = PosixSpawn.Pipe();
        try
        {
            // The tracker keeps stderr (its warnings go where ours go) and the read end at the same number; SIGINT and
            // SIGTERM start blocked (bpo-33613) so ^C on the terminal cannot kill it before it ignores them.
            _pid = PosixSpawn.Start(
                launcher.Executable,
                launcher.GetArguments(r),
                [(2, 2), (r, r)],
                [LibcSpawn.SIGINT, LibcSpawn.SIGTERM]);
            _fd = w;
        }
        catch
        {
            LibcPipe.Close(w);
            throw;
        }
        finally
        {
            LibcPipe.Close(r);
        }
    }

    private static unsafe bool TryWrite(int fd, ReadOnlySpan<byte> message, out int errno)
    {
        fixed (byte* p = message)
        {
            while (true)
            {
                // One write(2) of at most 512 bytes: atomic on a pipe, so lines from many writers never interleave.
                var n = LibcPipe.Write(fd, p, (nuint)message.Length);
                if (n == message.Length)
                {
                    errno = 0;
                    return true;
                }

                errno = n < 0 ? ThrowHelper.LastErrno : Errno.EPIPE;
                if (errno != Errno.EINTR)
                {
                    return false;
                }
            }
        }
    }
}
