using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Multiprocess.Pickle;
using Multiprocess.Reduction;
using Conn = Multiprocess.Connection.Connection;

namespace Multiprocess.Processes;

/// <summary>
/// What this folder adds to <see cref="ForkingPickler"/> (CPython's <c>reduction.register</c> calls of connection.py
/// and the spawn machinery): Connections (<c>rebuild_connection(_DupFd, readable, writable)</c>, the fd passed to a
/// spawned child at its own number or to a forkserver child by index, otherwise offered through the resource sharer)
/// and <c>resource_sharer.DupFd</c>. The two popen <c>_DupFd</c> classes are Reduction's (<see cref="PopenReducers"/>).
/// </summary>
internal static class ProcessReducers
{
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "CPython registers reducers at import; the engine's folders register theirs when the assembly loads, so Reduction needs none of them.")]
    internal static void AddToForkingPickler() => ForkingPickler.AddReducers(Register);

    private static void Register(PyTypeRegistry registry, string package)
    {
        registry.Register<Conn>(package + ".connection", "rebuild_connection", c => ReduceConnection(c, package), RebuildConnection);
        registry.Register<ResourceSharerFd>(package + ".resource_sharer", "DupFd", d => d.Reduce(package), ResourceSharerFd.Rebuild);
    }

    /// <summary>connection.py <c>reduce_connection</c>: <c>rebuild_connection, (DupFd(fd), readable, writable)</c>. While
    /// spawning, the fd goes to the child at its own number (<c>popen_spawn_posix._DupFd</c>); otherwise it is offered
    /// through this process's resource sharer (<c>resource_sharer.DupFd</c>, SCM_RIGHTS on request).</summary>
    private static PyReduce ReduceConnection(Conn connection, string package)
    {
        return new PyReduce(
            PickledShapes.Global(package, "connection", "rebuild_connection"),
            PyTuple.Create(DupFd(connection.Fileno()), connection.Readable, connection.Writable));
    }

    /// <summary>reduction.py <c>DupFd(fd)</c>: while spawning, the fd goes to the child at its own number
    /// (<c>popen_spawn_posix._DupFd</c>), or with a forkserver request by index (<c>popen_forkserver._DupFd</c>);
    /// otherwise it is offered through this process's resource sharer (<c>resource_sharer.DupFd</c>). Connections and
    /// heap arenas (<c>rebuild_arena</c>) both travel this way.</summary>
    internal static object DupFd(int fd) =>
        SpawningPopen.Current is { } popen ? popen.DupFd(fd) : ResourceSharer.Default.Share(fd);

    /// <summary><c>df.detach()</c> of a received DupFd: the inherited fd number, or the fd fetched from the sender's
    /// resource sharer.</summary>
    /// <exception cref="InvalidDataException"><paramref name="dupFd"/> is not a DupFd.</exception>
    internal static int DetachFd(object? dupFd) => dupFd switch
    {
        InheritedFd inherited => inherited.Fd,
        ResourceSharerFd shared => shared.Detach(),
        var other => throw PickledShapes.Unexpected("a popen_spawn_posix._DupFd or resource_sharer.DupFd", other),
    };

    /// <summary>connection.py <c>rebuild_connection(df, readable, writable)</c>: <c>Connection(df.detach(), …)</c>.</summary>
    private static Conn RebuildConnection(PyReduce value)
    {
        if (value.Args is not { Count: 3 } args || args[1] is not bool readable || args[2] is not bool writable)
        {
            throw PickledShapes.Unexpected("rebuild_connection(DupFd, readable: bool, writable: bool)", value);
        }

        return Conn.FromHandle(DetachFd(args[0]), readable, writable);
    }
}
