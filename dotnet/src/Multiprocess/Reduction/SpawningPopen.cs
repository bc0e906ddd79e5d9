namespace Multiprocess.Reduction;

/// <summary>
/// CPython's <c>context.get_spawning_popen()</c>: set on the thread that pickles a child's preparation data and Process
/// object, so that reducers of fd-backed objects (Connections, hence Queues) write <c>popen_spawn_posix._DupFd</c> and
/// the fd is passed to the child at the same number, and so that objects which may only travel by inheritance
/// (Queues, AuthenticationString) agree to be pickled.
/// </summary>
/// <param name="forkServer">Whether the child comes from a forkserver (popen_forkserver.Popen): its fds then travel
/// with the request (SCM_RIGHTS) and are named by their index in that list, not by number.</param>
internal sealed class SpawningPopen(bool forkServer = false)
{
    [ThreadStatic]
    private static SpawningPopen? s_current;

    private readonly List<int> _fds = [];

    /// <summary>Gets whether the child comes from a forkserver.</summary>
    public bool ForkServer => forkServer;

    /// <summary>Gets the popen whose child is being pickled on this thread, or null.</summary>
    public static SpawningPopen? Current => s_current;

    /// <summary>Gets the fds to pass to the child, each at its own number.</summary>
    public IReadOnlyList<int> Fds => _fds;

    /// <summary>Makes this the current spawning popen of this thread until the scope is disposed.</summary>
    public Scope Enter()
    {
        var previous = s_current;
        s_current = this;
        return new Scope(previous);
    }

    /// <summary>CPython's <c>Popen.duplicate_for_child(fd)</c>: spawn gives the child the fd at the same number and
    /// returns it; a forkserver request carries it and the result is its index among the request's extra fds.</summary>
    public int DuplicateForChild(int fd)
    {
        var index = _fds.IndexOf(fd);
        if (index < 0)
        {
            _fds.Add(fd);
            index = _fds.Count - 1;
        }

        return forkServer ? index : fd;
    }

    /// <summary>CPython's <c>reduction.DupFd(fd)</c> while spawning: <c>popen.DupFd(popen.duplicate_for_child(fd))</c>,
    /// i.e. <c>popen_spawn_posix._DupFd</c> (<see cref="InheritedFd"/>) or <c>popen_forkserver._DupFd</c>
    /// (<see cref="ForkServerFd"/>).</summary>
    public object DupFd(int fd) => forkServer ? new ForkServerFd(DuplicateForChild(fd)) : new InheritedFd(DuplicateForChild(fd));

    /// <summary>Restores the previous spawning popen.</summary>
    public readonly struct Scope(SpawningPopen? previous) : IDisposable
    {
        /// <inheritdoc/>
        public void Dispose() => s_current = previous;
    }

    /// <summary>CPython's <c>context.assert_spawning</c>: the RuntimeError text for objects that only travel by
    /// inheritance.</summary>
    public static void AssertSpawning(string typeName)
    {
        if (s_current is null)
        {
            throw new InvalidOperationException(
                $"{typeName} objects should only be shared between processes through inheritance "
                + "(pass them in the arguments of a PythonProcess or a Pool initializer)");
        }
    }
}
