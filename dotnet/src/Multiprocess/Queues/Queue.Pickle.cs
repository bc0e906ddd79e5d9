using Multiprocess.Pickle;
using Multiprocess.Reduction;
using Multiprocess.Synchronize;
using Conn = Multiprocess.Connection.Connection;
using SyncLock = Multiprocess.Synchronize.Lock;

namespace Multiprocess.Queues;

/// <content>Pickling as CPython's <c>Queue.__getstate__</c>: NEWOBJ(queues.Queue) + BUILD
/// <c>(ignore_epipe, maxsize, reader, writer, rlock, wlock, sem, opid)</c>.</content>
public partial class Queue
{
    /// <summary>What CPython writes when it sends this queue to a spawned child (only while spawning, as
    /// <c>context.assert_spawning</c> demands).</summary>
    /// <returns>The reduce value.</returns>
    /// <exception cref="InvalidOperationException">No child is being spawned on this thread.</exception>
    public virtual PyReduce Reduce()
    {
        SpawningPopen.AssertSpawning(nameof(Queue));
        return PyReduce.NewObj(PickledShapes.Global(Package, "queues", "Queue"), state: new PyTuple(QueueState()));
    }

    /// <summary>Rebuilds a queue from CPython's pickled state (the Connections and SemLocks already rebuilt through
    /// <see cref="ForkingPickler"/>).</summary>
    /// <param name="value">NEWOBJ(queues.Queue) + BUILD 8-tuple.</param>
    /// <returns>The queue; it does not own the semaphore names.</returns>
    /// <exception cref="InvalidDataException">The value is not a pickled Queue.</exception>
    public static Queue Rebuild(PyReduce value)
    {
        var state = StateOf(value, "Queue", 8);
        return new Queue(
            AsBool(state[0]), AsInt(state[1]), As<Conn>(state[2], "reader"), As<Conn>(state[3], "writer"),
            As<SyncLock>(state[4], "rlock"), state[5] as SyncLock, As<BoundedSemaphore>(state[6], "sem"),
            AsInt(state[7]), PackageOf(value));
    }

    /// <summary>The 8 items of <c>Queue.__getstate__</c>.</summary>
    private protected object?[] QueueState() =>
        [IgnoreEpipe, (long)MaxSize, Reader, Writer, RLock, WLock, Semaphore, (long)OwnerPid];

    internal static PyTuple StateOf(PyReduce value, string className, int count)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!PickledShapes.Is(value.Callable, "queues", className) || value.State is not PyTuple { } state || state.Count != count)
        {
            throw PickledShapes.Unexpected($"NEWOBJ(multiprocessing.queues.{className}) + BUILD {count}-tuple", value);
        }

        return state;
    }

    internal static string PackageOf(PyReduce value) =>
        value.Callable is PyGlobal { Module: var m } && m.StartsWith("multiprocess.", StringComparison.Ordinal) ? "multiprocess" : "multiprocessing";

    internal static T As<T>(object? value, string what)
        where T : class =>
        value as T ?? throw PickledShapes.Unexpected($"{what}: a {typeof(T).Name}", value);

    internal static int AsInt(object? value) => value is long l ? checked((int)l) : throw PickledShapes.Unexpected("an int", value);

    private static bool AsBool(object? value) => value is bool b ? b : throw PickledShapes.Unexpected("a bool", value);
}
