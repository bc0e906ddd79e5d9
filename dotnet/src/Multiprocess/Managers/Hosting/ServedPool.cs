using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Multiprocess.Managers.Python;
using Multiprocess.Managers.Referents;
using Multiprocess.Pickle;
using Multiprocess.Pooling;
using Multiprocess.Processes;

namespace Multiprocess.Managers.Hosting;

/// <summary>
/// <c>manager.Pool()</c> served by the C# server itself (type id <c>Pool</c>, PoolProxy; docs/python-host.md): a
/// <see cref="Pool"/> whose CPython workers (<c>multiprocessing.pool.worker</c>, forked by a forkserver of the host's
/// interpreter) get the client's function and arguments as the client pickled them. A call therefore crosses the
/// same processes as in CPython's server (client, server, worker); only callbacks, which are Python callables that
/// run where the pool is, go to the Python host.
/// </summary>
internal sealed class ServedPool : Referent, IDisposable
{
    private static readonly PySignature s_create = new("Pool", ["processes", "initializer", "initargs", "maxtasksperchild", "context"],
        [null, null, PyTuple.Empty, null, null]);

    private static readonly PySignature s_apply = new("apply", ["func", "args", "kwds"], [PySignature.Required, PyTuple.Empty, null]);
    private static readonly PySignature s_applyAsync = new("apply_async", ["func", "args", "kwds", "callback", "error_callback"],
        [PySignature.Required, PyTuple.Empty, null, null, null]);

    private static readonly PySignature s_map = new("map", ["func", "iterable", "chunksize"], [PySignature.Required, PySignature.Required, null]);
    private static readonly PySignature s_starmap = new("starmap", ["func", "iterable", "chunksize"], [PySignature.Required, PySignature.Required, null]);
    private static readonly PySignature s_mapAsync = new("map_async", ["func", "iterable", "chunksize", "callback", "error_callback"],
        [PySignature.Required, PySignature.Required, null, null, null]);

    private static readonly PySignature s_starmapAsync = new("starmap_async", ["func", "iterable", "chunksize", "callback", "error_callback"],
        [PySignature.Required, PySignature.Required, null, null, null]);

    private static readonly PySignature s_imap = new("imap", ["func", "iterable", "chunksize"], [PySignature.Required, PySignature.Required, 1L]);
    private static readonly PySignature s_close = PySignature.None("close");
    private static readonly PySignature s_join = PySignature.None("join");
    private static readonly PySignature s_terminate = PySignature.None("terminate");

    private readonly Pool _pool;
    private readonly PythonTypeIds? _python;
    private readonly string _package;
    private readonly ConcurrentDictionary<ServedPool, byte> _owner;
    private int _disposed;

    private ServedPool(Pool pool, PythonTypeIds? python, string package, ConcurrentDictionary<ServedPool, byte> owner)
    {
        _pool = pool;
        _python = python;
        _package = package;
        _owner = owner;
    }

    /// <summary>CPython's <c>Pool(processes=None, initializer=None, initargs=(), maxtasksperchild=None, context=None)</c>.</summary>
    /// <param name="args">The create request's arguments.</param>
    /// <param name="kwargs">Its keyword arguments.</param>
    /// <param name="host">The interpreter and library the workers run.</param>
    /// <param name="python">Where callbacks run; null refuses them.</param>
    /// <param name="owner">The server's live pools (terminated when it stops).</param>
    /// <param name="logger">The server's log, for what the pool ignores and callbacks that fail; null logs nothing.</param>
    /// <exception cref="PyRaisedException">ValueError for a bad count, as CPython's Pool raises.</exception>
    public static ServedPool Create(PyTuple args, PyDict kwargs, PythonHostOptions host, PythonTypeIds? python, ConcurrentDictionary<ServedPool, byte> owner, ILogger? logger)
    {
        var a = s_create.Bind(args, kwargs);
        int? processes = a[0] is null ? null : (int)Math.Clamp(PyValues.AsIndex(a[0]), int.MinValue, int.MaxValue);
        if (processes is < 1)
        {
            throw PyErrors.ValueError("Number of processes must be at least 1");
        }

        int? maxTasks = null;
        if (a[3] is not null)
        {
            if (a[3] is not (long or int or System.Numerics.BigInteger) || PyValues.AsIndex(a[3]) <= 0)
            {
                throw PyErrors.ValueError("maxtasksperchild must be a positive int or None");
            }

            maxTasks = (int)Math.Min(PyValues.AsIndex(a[3]), int.MaxValue);
        }

        var initArgs = a[2] switch
        {
            PyTuple t => (IReadOnlyList<object?>)[.. t],
            List<object?> l => l,
            _ => throw PyErrors.TypeError($"initargs must be a tuple, not {PyRepr.TypeName(a[2])}"),
        };
        var (initializer, workerInitArgs) = AfterServerInitializer(host, a[1], initArgs);
        var pool = new Pool(new PoolOptions
        {
            Processes = processes,
            PythonInitializer = initializer,
            InitArgs = workerInitArgs,
            MaxTasksPerChild = maxTasks,
            Logger = logger,
            Process = new PythonProcessOptions
            {
                Interpreter = PythonInterpreter.FromPath(host.Executable),
                Package = host.Flavour,
                UseForkServer = true,
                SysPath = host.Initializer is null ? [] : [HostSource.ModuleDirectory],
            },
        });
        var served = new ServedPool(pool, python, host.Flavour, owner);
        owner[served] = 0;
        return served;
    }

    /// <summary>
    /// The workers' initializer. CPython's server forks its Pools' workers from the server process, after
    /// <c>start(initializer, initargs)</c> ran there, so they inherit what it did (imports, patches, module state).
    /// These workers come from a forkserver instead: they run the server's initializer first, then the Pool's own,
    /// through the host's own <c>initialize</c> (python/multiprocess_dotnet/_pyhost.py, the same code the Python host
    /// runs before serving), imported as <see cref="HostSource.ModuleName"/> from <see cref="HostSource.ModuleDirectory"/>
    /// on the workers' <c>sys.path</c>: a worker needs nothing installed beyond its interpreter and the initializer's module.
    /// </summary>
    private static (object? Initializer, IReadOnlyList<object?> InitArgs) AfterServerInitializer(
        PythonHostOptions host, object? initializer, IReadOnlyList<object?> initArgs)
    {
        if (host.Initializer is null)
        {
            return (initializer, initArgs);
        }

        return (new PyGlobal(HostSource.ModuleName, "initialize"),
            [host.Initializer, host.InitArgs, initializer, new PyTuple([.. initArgs])]);
    }

    public override object? CallMethod(string name, PyTuple args, PyDict kwargs, SharedCallContext context)
    {
        switch (name)
        {
            case "apply":
            {
                var a = s_apply.Bind(args, kwargs);
                var task = Submit(() => _pool.SubmitApply(a[0], ArgsTuple(a[1]), KwdsDict(a[2])));
                ServedResults.Wait(task, null, context);
                return ServedResults.ValueOf(task);
            }

            case "map" or "starmap":
            {
                var a = (name == "map" ? s_map : s_starmap).Bind(args, kwargs);
                var task = SubmitMap(a[0], a[1], a[2], star: name == "starmap", context);
                ServedResults.Wait(task, null, context);
                return ServedResults.ValueOf(task);
            }

            case "apply_async":
            {
                var a = s_applyAsync.Bind(args, kwargs);
                var (callback, errorCallback) = Callbacks(a[3], a[4], context);
                return new ServedAsyncResult(Submit(() => _pool.SubmitApply(a[0], ArgsTuple(a[1]), KwdsDict(a[2]))), callback, errorCallback, _package, "ApplyResult", _pool.Logger);
            }

            case "map_async" or "starmap_async":
            {
                var a = (name == "map_async" ? s_mapAsync : s_starmapAsync).Bind(args, kwargs);
                var task = SubmitMap(a[0], a[1], a[2], star: name == "starmap_async", context);
                var (callback, errorCallback) = Callbacks(a[3], a[4], context);
                return new ServedAsyncResult(task, callback, errorCallback, _package, "MapResult", _pool.Logger);
            }

            case "imap" or "imap_unordered":
            {
                var a = s_imap.Bind(args, kwargs);
                var chunksize = PyValues.AsIndex(a[2]);
                if (chunksize < 1)
                {
                    throw PyErrors.ValueError($"Chunksize must be 1+, not {chunksize}");
                }

                var items = PyIteration.ToList(a[1], context);
                var job = Submit(() => _pool.SubmitImap(a[0], items, (int)Math.Min(chunksize, int.MaxValue), ordered: name == "imap"));
                return new ServedPoolIterator(job, chunked: chunksize > 1, _package, name == "imap" ? "IMapIterator" : "IMapUnorderedIterator");
            }

            case "close":
                s_close.BindNone(args, kwargs);
                _pool.Close();
                return null;
            case "terminate":
                s_terminate.BindNone(args, kwargs);
                _pool.Terminate();
                return null;
            case "join":
                s_join.BindNone(args, kwargs);
                Join(context);
                return null;
            default:
                throw NoSuchMethod("Pool", name);
        }
    }

    public override string Repr() =>
        $"<{_package}.pool.Pool state={(_pool.IsTerminating ? "TERMINATE" : _pool.IsRunning ? "RUN" : "CLOSE")} pool_size={_pool.PythonWorkerCount}>";

    /// <summary>The last reference went (CPython: the pool's finalizer terminates it): terminate, then release the
    /// pool's pipes and workers off the caller's thread.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _owner.TryRemove(this, out _);
            _pool.Terminate();
            ThreadPool.UnsafeQueueUserWorkItem(static p => p.Dispose(), _pool, preferLocal: false);
        }
    }

    private static T Submit<T>(Func<T> submit)
    {
        try
        {
            return submit();
        }
        catch (InvalidOperationException e)
        {
            throw PyErrors.ValueError(e.Message);   // pool.py _check_running: ValueError("Pool not running")
        }
    }

    private static PyTuple ArgsTuple(object? args) => args switch
    {
        PyTuple t => t,
        List<object?> l => new PyTuple([.. l]),
        _ => throw PyErrors.TypeError($"apply() argument after * must be an iterable, not {PyRepr.TypeName(args)}"),
    };

    private static PyDict KwdsDict(object? kwds) => kwds switch
    {
        null => new PyDict(),
        PyDict d => d,
        _ => throw PyErrors.TypeError($"apply() argument after ** must be a mapping, not {PyRepr.TypeName(kwds)}"),
    };

    private Task<IReadOnlyList<object?>> SubmitMap(object? func, object? iterable, object? chunksize, bool star, SharedCallContext context)
    {
        var items = PyIteration.ToList(iterable, context);
        int? size = null;
        if (chunksize is not null)
        {
            var c = PyValues.AsIndex(chunksize);
            if (c < 1)
            {
                throw PyErrors.ValueError($"Chunksize must be 1+, not {c}");
            }

            size = (int)Math.Min(c, int.MaxValue);
        }

        return Submit(() => _pool.SubmitMap(func, items, size, star));
    }

    /// <summary>Callbacks are Python callables run where the pool is: kept in the Python host, called there.</summary>
    private (PythonReferent? Callback, PythonReferent? ErrorCallback) Callbacks(object? callback, object? errorCallback, SharedCallContext context)
    {
        if (callback is null && errorCallback is null)
        {
            return (null, null);
        }

        if (_python is null)
        {
            throw PyErrors.NotImplementedError("this manager server has no Python host to run a Pool's callbacks");
        }

        return (callback is null ? null : _python.Keep(callback, context), errorCallback is null ? null : _python.Keep(errorCallback, context));
    }

    private void Join(SharedCallContext context)
    {
        if (_pool.IsTerminating)
        {
            // terminate() returned once the workers and the pool's threads were gone (pool.py _terminate_pool joins
            // them too): nothing is left to wait for, so release the pool's pipes now (Pool.Dispose).
            _pool.Dispose();
            return;
        }

        try
        {
            while (!_pool.Join(TimeSpan.FromMilliseconds(Waiter.PeerCheckInterval)))
            {
                ServedResults.CheckPeer(context);
            }
        }
        catch (InvalidOperationException e)
        {
            throw PyErrors.ValueError(e.Message);   // pool.py join: ValueError("Pool is still running")
        }
    }
}
