using Multiprocess.Managers.Python;
using Multiprocess.Managers.Referents;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Server;

/// <summary>
/// <c>SyncManager</c>'s registry (docs/protocols.md §3.7), with each proxy type's <c>_exposed_</c> as CPython registers it and the
/// objects built in C#. <c>Pool</c>, <c>AsyncResult</c> and a Barrier's action run Python functions: they live in
/// the server's Python interpreter when it has one (<see cref="Server.Python"/>), and are refused with a clear error
/// otherwise. Where CPython 3.14 registers more (<see cref="ManagerDialect"/>), the entry carries both lists, and
/// <c>set</c> exists for 3.14 clients only.
/// </summary>
internal static class SyncManagerTypes
{
    /// <summary>CPython's <c>PoolProxy._exposed_</c>.</summary>
    public static readonly string[] PoolExposed =
        ["apply", "apply_async", "close", "imap", "imap_unordered", "join", "map", "map_async", "starmap", "starmap_async", "terminate"];

    private static readonly string[] s_acquirer = ["acquire", "release"];
    private static readonly string[] s_acquirer314 = ["acquire", "release", "locked"];

    public static void RegisterAll(Server server)
    {
        Add(server, "Queue", (a, k, _) => SharedQueue.Create(a, k), null);
        Add(server, "JoinableQueue", (a, k, _) => SharedQueue.Create(a, k), null);
        Add(server, "Event", (a, k, _) => NoArgs("Event", a, k, new SharedEvent()), ["is_set", "set", "clear", "wait"]);
        Add(server, "Lock", (a, k, _) => NoArgs("Lock", a, k, new SharedLock()), s_acquirer, s_acquirer314);
        Add(server, "RLock", (a, k, _) => NoArgs("RLock", a, k, new SharedRLock()), s_acquirer, s_acquirer314);
        Add(server, "Semaphore", (a, k, _) => SharedSemaphore.Create(a, k, bounded: false), s_acquirer, s_acquirer314);
        Add(server, "BoundedSemaphore", (a, k, _) => SharedSemaphore.Create(a, k, bounded: true), s_acquirer, s_acquirer314);
        Add(server, "Condition", CreateCondition, ["acquire", "release", "wait", "notify", "notify_all"],
            ["acquire", "release", "locked", "wait", "notify", "notify_all"]);
        Add(server, "Barrier", (a, k, c) => SharedBarrier.Create(a, k, server.Python is { } python ? python.Keep : null, c), ["__getattribute__", "wait", "abort", "reset"]);
        Add(server, "Pool", (_, _, _) => throw PyErrors.NotImplementedError(
            "this manager server has no Python host to run a multiprocessing.Pool (its workers run Python functions): "
            + "start `multiprocess serve` without --no-python, or start a Pool in the client"),
            PoolExposed);
        Add(server, "list", (a, k, c) => SharedList.Create(a, k, c), SharedList.Exposed, SharedList.Exposed314);
        server.Register(new TypeIdEntry("dict", (a, k, c) => SharedDict.Create(a, k, c), SharedDict.Exposed,
            new Dictionary<string, string> { ["__iter__"] = "Iterator" }) { Exposed314 = SharedDict.Exposed314 });
        server.Register(new TypeIdEntry("set", (a, k, c) => SharedSet.Create(a, k, c), SharedSet.Exposed, null)
            { Since = ManagerDialect.Python314 });
        Add(server, "Value", (a, k, _) => SharedValue.Create(a, k), SharedValue.Exposed);
        Add(server, "Array", (a, k, c) => SharedArray.Create(a, k, c), SharedArray.Exposed);
        Add(server, "Namespace", (a, k, _) => SharedNamespace.Create(a, k), SharedNamespace.Exposed);
        server.Register(new TypeIdEntry("Iterator", null, SharedIterator.Exposed, null));
        server.Register(new TypeIdEntry("AsyncResult", null, null, null));
    }

    private static void Add(Server server, string typeId, Func<PyTuple, PyDict, SharedCallContext?, object?> factory, string[]? exposed,
        string[]? exposed314 = null) =>
        server.Register(new TypeIdEntry(typeId, factory, exposed, null) { Exposed314 = exposed314 });

    private static T NoArgs<T>(string name, PyTuple args, PyDict kwargs, T value)
    {
        PySignature.None(name).BindNone(args, kwargs);
        return value;
    }

    /// <summary><c>threading.Condition(lock=None)</c>: the lock, if given, must be a lock proxy of this server.</summary>
    private static SharedCondition CreateCondition(PyTuple args, PyDict kwargs, SharedCallContext? context)
    {
        var a = new PySignature("Condition", ["lock"], [null]).Bind(args, kwargs);
        if (a[0] is null)
        {
            return new SharedCondition(null);
        }

        return context?.Resolve(a[0]) is ILockReferent lockReferent
            ? new SharedCondition(lockReferent)
            : throw PyErrors.TypeError(
                $"Condition(lock={PyRepr.Repr(a[0])}): the lock must be a Lock, RLock or Semaphore proxy of this manager");
    }
}
