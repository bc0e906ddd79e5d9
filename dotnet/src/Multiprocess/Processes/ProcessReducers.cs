using System.Collections.Concurrent;
using Multiprocess.Internal;
using Multiprocess.Pickle;
using Multiprocess.Queues;
using Multiprocess.Synchronize;
using Conn = Multiprocess.Connection.Connection;

namespace Multiprocess.Processes;

/// <summary>
/// Teaches a <see cref="PyTypeRegistry"/> what CPython's ForkingPickler does for the objects that travel to a spawned
/// child (protocols.md §2.6): Connections (<c>rebuild_connection(_DupFd, readable, writable)</c>, the fd passed at its
/// own number), <see cref="Queue"/>, <see cref="JoinableQueue"/> and <see cref="SimpleQueue"/> (their state tuples),
/// and everything <see cref="SharedObjectReducers"/> knows (locks, conditions, events, shared memory). Reading does
/// the reverse: a C# child rebuilds the queues its Python parent sent.
/// </summary>
public static class ProcessReducers
{
    private static readonly ConcurrentDictionary<string, PyTypeRegistry> s_registries = new(StringComparer.Ordinal);

    /// <summary>The shared registry for <paramref name="package"/> with every binding of
    /// <see cref="Register"/>; queues and processes use it unless told otherwise.</summary>
    /// <param name="package"><c>multiprocessing</c> or <c>multiprocess</c>.</param>
    /// <returns>The registry.</returns>
    /// <exception cref="ArgumentException"><paramref name="package"/> is neither.</exception>
    public static PyTypeRegistry GetRegistry(string package = "multiprocessing")
    {
        if (package is not ("multiprocessing" or "multiprocess"))
        {
            throw new ArgumentException($"package must be 'multiprocessing' or 'multiprocess', not '{package}'", nameof(package));
        }

        return s_registries.GetOrAdd(package, p =>
        {
            var registry = new PyTypeRegistry();
            Register(registry, p);
            return registry;
        });
    }

    /// <summary>Registers the bindings in <paramref name="registry"/> (for a registry that also holds your own types).</summary>
    /// <param name="registry">The registry.</param>
    /// <param name="package"><c>multiprocessing</c> or <c>multiprocess</c>.</param>
    /// <exception cref="ArgumentException">A type is already registered.</exception>
    public static void Register(PyTypeRegistry registry, string package = "multiprocessing")
    {
        ArgumentNullException.ThrowIfNull(registry);
        SharedObjectReducers.Register(registry, package);
        registry.Register<Conn>(package + ".connection", "rebuild_connection", c => ReduceConnection(c, package), RebuildConnection);
        registry.Register<InheritedFd>(
            package + ".popen_spawn_posix",
            "_DupFd",
            d => PyReduce.NewObj(PickledShapes.Global(package, "popen_spawn_posix", "_DupFd"), state: new PyDict { ["fd"] = (long)d.Fd }),
            r => r.State is PyDict state && state.Get("fd") is long fd
                ? new InheritedFd(checked((int)fd))
                : throw PickledShapes.Unexpected("NEWOBJ(popen_spawn_posix._DupFd) + BUILD {'fd': N}", r));
        registry.Register<ResourceSharerFd>(package + ".resource_sharer", "DupFd", d => d.Reduce(package), ResourceSharerFd.Rebuild);
        registry.Register<Queue>(package + ".queues", "Queue", q => q.Reduce(), Queue.Rebuild);
        registry.Register<JoinableQueue>(package + ".queues", "JoinableQueue", q => q.Reduce(), JoinableQueue.Rebuild);
        registry.Register<SimpleQueue>(package + ".queues", "SimpleQueue", q => q.Reduce(), SimpleQueue.Rebuild);
    }

    /// <summary>connection.py <c>reduce_connection</c>: <c>rebuild_connection, (DupFd(fd), readable, writable)</c>. While
    /// spawning, the fd goes to the child at its own number (<c>popen_spawn_posix._DupFd</c>); otherwise it is offered
    /// through this process's resource sharer (<c>resource_sharer.DupFd</c>, SCM_RIGHTS on request).</summary>
    private static PyReduce ReduceConnection(Conn connection, string package)
    {
        var fd = connection.Fileno();
        object dupFd = SpawningPopen.Current is { } popen
            ? new InheritedFd(popen.DuplicateForChild(fd))
            : ResourceSharer.Default.Share(fd);
        return new PyReduce(
            PickledShapes.Global(package, "connection", "rebuild_connection"),
            PyTuple.Create(dupFd, connection.Readable, connection.Writable));
    }

    /// <summary>connection.py <c>rebuild_connection(df, readable, writable)</c>: <c>Connection(df.detach(), …)</c>.</summary>
    private static Conn RebuildConnection(PyReduce value)
    {
        if (value.Args is not { Count: 3 } args || args[1] is not bool readable || args[2] is not bool writable)
        {
            throw PickledShapes.Unexpected("rebuild_connection(DupFd, readable: bool, writable: bool)", value);
        }

        var fd = args[0] switch
        {
            InheritedFd inherited => inherited.Fd,
            ResourceSharerFd shared => shared.Detach(),
            var other => throw PickledShapes.Unexpected("a popen_spawn_posix._DupFd or resource_sharer.DupFd", other),
        };
        return Conn.FromHandle(fd, readable, writable);
    }
}
