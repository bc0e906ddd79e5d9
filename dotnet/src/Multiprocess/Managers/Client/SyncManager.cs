using Multiprocess.Connection;
using Multiprocess.Managers.Client.Proxies;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client;

/// <summary>
/// A client of a Python <c>SyncManager</c> (what <c>multiprocessing.Manager()</c> starts): the standard type ids
/// registered with their proxies (docs/protocols.md §3.7), and a creation method for each.
/// </summary>
/// <example><code>
/// // Python: m = SyncManager(('127.0.0.1', 50000), authkey=b'secret'); m.get_server().serve_forever()
/// using var manager = new SyncManager("127.0.0.1:50000", "secret"u8.ToArray());
/// manager.Connect();
/// using var d = manager.Dict();
/// d["answer"] = 42L;
/// using var q = manager.Queue();
/// q.Put("job");
/// using (manager.Lock().Enter()) { … }
/// </code></example>
public class SyncManager : BaseManager
{
    /// <summary>Initializes a new instance of the <see cref="SyncManager"/> class (not connected yet).</summary>
    /// <param name="address">The manager's address.</param>
    /// <param name="authKey">The manager's authkey.</param>
    /// <param name="options">How to talk to it; null for the defaults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> or <paramref name="authKey"/> is null.</exception>
    public SyncManager(ConnectionAddress address, byte[] authKey, ManagerOptions? options = null)
        : base(address, authKey, options)
    {
        RegisterStandardTypes();
    }

    /// <summary>Initializes a new instance of the <see cref="SyncManager"/> class from the text form of an address.</summary>
    /// <param name="address"><c>host:port</c>, a socket path containing <c>/</c>, or <c>@name</c>.</param>
    /// <param name="authKey">The manager's authkey.</param>
    /// <param name="options">How to talk to it; null for the defaults.</param>
    /// <exception cref="FormatException"><paramref name="address"/> is not an address.</exception>
    public SyncManager(string address, byte[] authKey, ManagerOptions? options = null)
        : base(address, authKey, options)
    {
        RegisterStandardTypes();
    }

    /// <summary>Creates a shared <c>dict</c> (<c>manager.dict(initial)</c>).</summary>
    /// <param name="initial">Initial items; null for an empty dict.</param>
    /// <returns>Its proxy.</returns>
    /// <exception cref="InvalidOperationException">Not connected.</exception>
    public DictProxy Dict(IEnumerable<KeyValuePair<object?, object?>>? initial = null) =>
        Create<DictProxy>("dict", initial is null ? PyTuple.Empty : PyTuple.Create(DictProxy.ToDict(initial)), null);

    /// <summary>Creates a shared <c>list</c> (<c>manager.list(initial)</c>).</summary>
    /// <param name="initial">Initial items; null for an empty list.</param>
    /// <returns>Its proxy.</returns>
    public ListProxy List(System.Collections.IEnumerable? initial = null) =>
        Create<ListProxy>("list", initial is null ? PyTuple.Empty : PyTuple.Create(PyArguments.List(initial)), null);

    /// <summary>
    /// Creates a shared <c>set</c> (<c>manager.set(initial)</c>, type id <c>set</c>): CPython 3.14's managers.py and
    /// <c>multiprocess</c> 0.70.19 register it, as does the C# server for clients that pickle with protocol 5 (the
    /// default, <see cref="ManagerOptions.PickleProtocol"/>).
    /// </summary>
    /// <param name="initial">Initial items (hashable in Python); null for an empty set.</param>
    /// <returns>Its proxy.</returns>
    /// <exception cref="NotSupportedException">The manager has no type id <c>set</c> (CPython 3.8–3.13, <c>multiprocess</c> before 0.70.19).</exception>
    public SetProxy Set(IEnumerable<object?>? initial = null)
    {
        try
        {
            return Create<SetProxy>("set", initial is null ? PyTuple.Empty : PyTuple.Create(initial as PySetBase ?? (object)PyArguments.List(initial)), null);
        }
        catch (RemoteException e) when (ManagerProtocol.Summarize(e.RemoteTraceback) == "KeyError: 'set'")
        {
            // managers.py Server.create: self.registry[typeid] raises KeyError for a type id the manager never registered.
            throw new NotSupportedException(
                $"The manager at {Address} has no type id 'set' (its create answered KeyError: 'set'): manager.set() needs a manager of "
                + "CPython 3.14 or later, multiprocess 0.70.19 or later, or the C# server to a client that pickles with protocol 5; "
                + $"this one runs an older managers.py (CPython 3.8–3.13). {(Options.PickleProtocol < 5 ? $"This client pickles with protocol {Options.PickleProtocol}, so a C# server answers it as 3.13." : "")}",
                e);
        }
    }

    /// <summary>Creates a <c>queue.Queue</c> (<c>manager.Queue(maxsize)</c>).</summary>
    /// <param name="maxSize">The bound; 0 for none.</param>
    /// <returns>Its proxy.</returns>
    public QueueProxy Queue(int maxSize = 0) => Create<QueueProxy>("Queue", SizeArgs(maxSize), null);

    /// <summary>Creates a joinable <c>queue.Queue</c> (<c>manager.JoinableQueue(maxsize)</c>).</summary>
    /// <param name="maxSize">The bound; 0 for none.</param>
    /// <returns>Its proxy.</returns>
    public QueueProxy JoinableQueue(int maxSize = 0) => Create<QueueProxy>("JoinableQueue", SizeArgs(maxSize), null);

    /// <summary>Creates a <c>threading.Event</c>.</summary>
    /// <returns>Its proxy.</returns>
    public EventProxy Event() => Create<EventProxy>("Event");

    /// <summary>Creates a <c>threading.Lock</c>.</summary>
    /// <returns>Its proxy.</returns>
    public AcquirerProxy Lock() => Create<AcquirerProxy>("Lock");

    /// <summary>Creates a <c>threading.RLock</c>.</summary>
    /// <returns>Its proxy.</returns>
    public AcquirerProxy RLock() => Create<AcquirerProxy>("RLock");

    /// <summary>Creates a <c>threading.Semaphore(value)</c>.</summary>
    /// <param name="value">The initial count.</param>
    /// <returns>Its proxy.</returns>
    public AcquirerProxy Semaphore(int value = 1) => Create<AcquirerProxy>("Semaphore", PyTuple.Create((long)value), null);

    /// <summary>Creates a <c>threading.BoundedSemaphore(value)</c>.</summary>
    /// <param name="value">The initial (and highest) count.</param>
    /// <returns>Its proxy.</returns>
    public AcquirerProxy BoundedSemaphore(int value = 1) => Create<AcquirerProxy>("BoundedSemaphore", PyTuple.Create((long)value), null);

    /// <summary>Creates a <c>threading.Condition(lock)</c>.</summary>
    /// <param name="lockProxy">The lock to use (a Lock or RLock proxy of this manager); null for a new RLock.</param>
    /// <returns>Its proxy.</returns>
    public ConditionProxy Condition(AcquirerProxy? lockProxy = null) =>
        Create<ConditionProxy>("Condition", lockProxy is null ? PyTuple.Empty : PyTuple.Create(lockProxy), null);

    /// <summary>Creates a <c>threading.Barrier(parties, action, timeout)</c>.</summary>
    /// <param name="parties">How many parties must wait.</param>
    /// <param name="action">A Python callable (<c>"module:qualname"</c>) one party runs when all arrived; null for none.</param>
    /// <param name="timeout">The default wait timeout; null for none.</param>
    /// <returns>Its proxy.</returns>
    public BarrierProxy Barrier(int parties, object? action = null, TimeSpan? timeout = null) =>
        Create<BarrierProxy>("Barrier", PyTuple.Create((long)parties, PyArguments.Callable(action, nameof(action)), PyArguments.Seconds(timeout)), null);

    /// <summary>Creates a <c>multiprocessing.pool.Pool</c> in the manager (its workers are the manager's child processes).</summary>
    /// <param name="processes">The number of workers; null for the manager machine's CPU count.</param>
    /// <param name="initializer">A Python callable each worker runs first; null for none.</param>
    /// <param name="initArgs">Its arguments.</param>
    /// <param name="maxTasksPerChild">Tasks before a worker is replaced; null for never.</param>
    /// <returns>Its proxy.</returns>
    public PoolProxy Pool(int? processes = null, object? initializer = null, PyTuple? initArgs = null, int? maxTasksPerChild = null) =>
        Create<PoolProxy>("Pool", PyTuple.Create((long?)processes, PyArguments.Callable(initializer, nameof(initializer)), initArgs ?? PyTuple.Empty, (long?)maxTasksPerChild), null);

    /// <summary>Creates a <c>managers.Value(typecode, value)</c>.</summary>
    /// <param name="typeCode">The array typecode (informative: the manager stores any object).</param>
    /// <param name="value">The initial value.</param>
    /// <returns>Its proxy.</returns>
    public ValueProxy Value(string typeCode, object? value) => Create<ValueProxy>("Value", PyTuple.Create(typeCode, value), null);

    /// <summary>Creates an <c>array.array(typecode, sequence)</c> (type id <c>Array</c>).</summary>
    /// <param name="typeCode">The typecode (<c>i</c>, <c>d</c>, <c>b</c>, ...).</param>
    /// <param name="sequence">The initial items.</param>
    /// <returns>Its proxy.</returns>
    /// <exception cref="RemoteException">The typecode or an item is invalid.</exception>
    public ArrayProxy Array(string typeCode, System.Collections.IEnumerable sequence) =>
        Create<ArrayProxy>("Array", PyTuple.Create(typeCode, PyArguments.List(sequence)), null);

    /// <summary>Creates a <c>managers.Namespace(**attributes)</c>.</summary>
    /// <param name="attributes">Initial attributes; null for none.</param>
    /// <returns>Its proxy.</returns>
    public NamespaceProxy Namespace(IEnumerable<KeyValuePair<string, object?>>? attributes = null)
    {
        var kwargs = new PyDict();
        foreach (var (name, value) in attributes ?? [])
        {
            kwargs[name] = value;
        }

        return Create<NamespaceProxy>("Namespace", PyTuple.Empty, kwargs);
    }

    private static PyTuple SizeArgs(int maxSize) => maxSize == 0 ? PyTuple.Empty : PyTuple.Create((long)maxSize);

    private void RegisterStandardTypes()
    {
        // managers.py: SyncManager.register(...) for each type id, same proxies.
        Register("Queue", a => new QueueProxy(a));
        Register("JoinableQueue", a => new QueueProxy(a));
        Register("Event", a => new EventProxy(a));
        Register("Lock", a => new AcquirerProxy(a));
        Register("RLock", a => new AcquirerProxy(a));
        Register("Semaphore", a => new AcquirerProxy(a));
        Register("BoundedSemaphore", a => new AcquirerProxy(a));
        Register("Condition", a => new ConditionProxy(a));
        Register("Barrier", a => new BarrierProxy(a));
        Register("Pool", a => new PoolProxy(a));
        Register("list", a => new ListProxy(a));
        Register("dict", a => new DictProxy(a));
        Register("set", a => new SetProxy(a));
        Register("Value", a => new ValueProxy(a));
        Register("Array", a => new ArrayProxy(a));
        Register("Namespace", a => new NamespaceProxy(a));
        Register("Iterator", a => new IteratorProxy(a), createMethod: false);
        Register("AsyncResult", a => new AsyncResultProxy(a), createMethod: false);
    }
}
