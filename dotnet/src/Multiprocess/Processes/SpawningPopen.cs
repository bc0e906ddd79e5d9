namespace Multiprocess.Processes;

/// <summary>
/// CPython's <c>context.get_spawning_popen()</c>: set on the thread that pickles a child's preparation data and Process
/// object, so that reducers of fd-backed objects (Connections, hence Queues) write <c>popen_spawn_posix._DupFd</c> and
/// the fd is passed to the child at the same number, and so that objects which may only travel by inheritance
/// (Queues, AuthenticationString) agree to be pickled.
/// </summary>
internal sealed class SpawningPopen
{
    [ThreadStatic]
    private static SpawningPopen? s_current;

    private readonly List<int> _fds = [];

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

    /// <summary>CPython's <c>Popen.duplicate_for_child(fd)</c>: the child gets the fd at the same number.</summary>
    public int DuplicateForChild(int fd)
    {
        if (!_fds.Contains(fd))
        {
            _fds.Add(fd);
        }

        return fd;
    }

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
