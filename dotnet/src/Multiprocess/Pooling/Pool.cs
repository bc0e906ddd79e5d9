using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Multiprocess.Pickle;
using Multiprocess.Processes;
using Multiprocess.Queues;
using Multiprocess.Reduction;
using Conn = Multiprocess.Connection.Connection;

namespace Multiprocess.Pooling;

/// <summary>
/// A pool of workers for Python functions named <c>module:qualname</c> (CPython's <c>multiprocessing.Pool</c>):
/// CPython worker processes running <c>multiprocessing.pool.worker</c> itself, fed through two
/// <see cref="SimpleQueue"/>s with CPython's task format <c>(job, i, func, args, kwds)</c> (docs/protocols.md §9.5), and
/// optionally C# workers that take tasks from the same stream and run handlers registered by name.
/// </summary>
/// <remarks>
/// <para>Unlike CPython's pool, a worker that dies in the middle of a task (killed, crashed) does not leave the caller
/// waiting for ever: the task fails with a <see cref="ProcessException"/> naming the worker and its exit code, and the
/// worker is replaced. A task that raises fails with a <see cref="RemoteException"/> carrying the remote traceback.</para>
/// <para>Disposing terminates the pool (as CPython's <c>with Pool() as p:</c> does); call <see cref="Close"/> and
/// <see cref="Join"/> to let the work finish first.</para>
/// </remarks>
/// <example><code>
/// using var pool = new Pool(new PoolOptions { Processes = 2, CSharpWorkers = 2,
///     Process = new PythonProcessOptions { Interpreter = PythonInterpreter.Resolve("3.12"), SysPath = ["python/demo"] } });
/// pool.RegisterHandler("mpdemo:collatz_steps", a => Collatz((long)a[0]!, (long)a[1]!));
/// IReadOnlyList&lt;object?&gt; steps = pool.StarMap("mpdemo:collatz_steps", ranges);
/// </code></example>
public sealed partial class Pool : IDisposable
{
    private readonly ConcurrentDictionary<long, PoolJob> _cache = new();
    private readonly ConcurrentDictionary<string, Func<object?[], object?>> _handlers = new(StringComparer.Ordinal);
    private readonly SimpleQueue _inqueue;
    private readonly SimpleQueue _outqueue;
    private readonly WorkerSlots _slots;
    private readonly Internal.FlockLock _taskLock;
    private readonly PickleOptions _pickleOptions;
    private readonly UnpickleOptions _unpickleOptions;
    private readonly List<CSharpWorker> _csharpWorkers = [];
    private readonly Thread _taskThread;
    private readonly Thread _resultThread;
    private readonly Thread _handlerThread;
    private long _jobCounter;
    private volatile int _state;   // PoolState

    /// <summary>Starts a pool of <paramref name="processes"/> CPython workers with default options.</summary>
    /// <param name="processes">The number of Python workers; null for the processor count.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative, or there would be no worker at all.</exception>
    /// <exception cref="IOException">A pipe, semaphore or worker could not be created.</exception>
    public Pool(int? processes = null)
        : this(new PoolOptions { Processes = processes })
    {
    }

    /// <summary>Starts a pool: its queues, its CPython workers, its C# workers and its three handler threads (tasks,
    /// results, workers), as CPython's <c>Pool.__init__</c> does.</summary>
    /// <param name="options">The pool's make-up.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative, <see cref="PoolOptions.MaxTasksPerChild"/> is
    /// below 1, or there would be no worker at all.</exception>
    /// <exception cref="ArgumentException">The initializer is not <c>module:qualname</c>.</exception>
    /// <exception cref="IOException">A pipe, semaphore or worker could not be created.</exception>
    public Pool(PoolOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        PythonWorkerCount = options.Processes ?? Environment.ProcessorCount;
        ArgumentOutOfRangeException.ThrowIfNegative(PythonWorkerCount, nameof(options.Processes));
        ArgumentOutOfRangeException.ThrowIfNegative(options.CSharpWorkers, nameof(options.CSharpWorkers));
        if (PythonWorkerCount + options.CSharpWorkers == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Number of processes must be at least 1");
        }

        if (options.MaxTasksPerChild is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxTasksPerChild, "maxtasksperchild must be a positive int or None");
        }

        _initializer = options.Initializer is null ? options.PythonInitializer : SpawnPickles.Target(options.Initializer, nameof(options.Initializer));
        Package = options.Process.Package;
        var registry = options.Process.Registry ?? ForkingPickler.GetRegistry(Package);
        _pickleOptions = new PickleOptions { Registry = registry };
        _unpickleOptions = new UnpickleOptions { Registry = registry };
        _mapstar = new PyGlobal(Package + ".pool", "mapstar");
        _starmapstar = new PyGlobal(Package + ".pool", "starmapstar");

        _taskLock = new Internal.FlockLock(); // after the argument checks: a refused pool leaves no lock file behind
        _inqueue = new SimpleQueue(Package, registry) { ReadGate = _taskLock, FramesMarked = true };
        _outqueue = new SimpleQueue(Package, registry);

        // The result thread shares the CPUs with the workers it waits for: block at once rather than spin.
        _outqueue.Reader.SpinDuration = TimeSpan.Zero;
        _slots = new WorkerSlots(PythonWorkerCount);
        _freeSlots = new Stack<int>(Enumerable.Range(0, PythonWorkerCount).Reverse());
        _wake = Conn.Pipe(duplex: false);
        _resultWake = Conn.Pipe(duplex: false);
        _taskThread = new Thread(HandleTasks) { IsBackground = true, Name = "Pool task handler" };
        _resultThread = new Thread(HandleResults) { IsBackground = true, Name = "Pool result handler" };
        _handlerThread = new Thread(HandleWorkers) { IsBackground = true, Name = "Pool worker handler" };
        try
        {
            RepopulatePool();
            for (var i = 0; i < options.CSharpWorkers; i++)
            {
                var worker = new CSharpWorker(this, _inqueue, i + 1);
                _csharpWorkers.Add(worker);
                worker.Start();
            }
        }
        catch
        {
            _state = (int)PoolState.Terminate;
            TerminateCore();
            ReleaseResources();
            throw;
        }

        _taskThread.Start();
        _resultThread.Start();
        _handlerThread.Start();
    }

    private enum PoolState
    {
        Run,
        Close,
        Terminate,
    }

    /// <summary>Gets the options the pool was made with.</summary>
    public PoolOptions Options { get; }

    /// <summary>Gets where the pool logs (<see cref="PoolOptions.Logger"/>, or nowhere).</summary>
    internal ILogger Logger => Options.Logger ?? NullLogger.Instance;

    /// <summary>Gets the number of CPython workers the pool keeps.</summary>
    public int PythonWorkerCount { get; }

    /// <summary>Gets the package the workers run (<c>multiprocessing</c>).</summary>
    public string Package { get; }

    /// <summary>Gets every worker so far, live or exited, with the number of tasks each took.</summary>
    public IReadOnlyList<PoolWorkerInfo> Workers
    {
        get
        {
            var list = new List<PoolWorkerInfo>();
            lock (_workersGate)
            {
                list.AddRange(_exitedWorkers);
                list.AddRange(_pythonWorkers.Select(w => Info(w, null)));
            }

            list.AddRange(_csharpWorkers.Select(w => new PoolWorkerInfo("C#", w.Name, Environment.ProcessId, w.Tasks, null)));
            return list;
        }
    }

    internal bool IsTerminating => _state == (int)PoolState.Terminate;

    /// <summary>Gets the file whose flock(2) is the task pipe's read lock (tests look its holder up in /proc/locks).</summary>
    internal string TaskLockPath => _taskLock.Path;

    private PoolState State => (PoolState)_state;

    /// <summary>Registers the C# implementation of a Python function, which C# workers run for its tasks. The handler
    /// gets the task's positional arguments as the pickle codec reads them (Python int → long, str → string, …).</summary>
    /// <param name="function">The Python function's name, <c>module:qualname</c>, as used in <see cref="Map"/> etc.</param>
    /// <param name="handler">The implementation.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not <c>module:qualname</c>.</exception>
    public void RegisterHandler(string function, Func<object?[], object?> handler)
    {
        SpawnPickles.Target(function, nameof(function));
        ArgumentNullException.ThrowIfNull(handler);
        _handlers[function] = handler;
    }

    /// <summary>Stops accepting work (CPython <c>close()</c>); the workers finish what was submitted, then exit.</summary>
    public void Close()
    {
        lock (_submitGate)
        {
            Interlocked.CompareExchange(ref _state, (int)PoolState.Close, (int)PoolState.Run);
        }

        Wake();
    }

    /// <summary>Stops at once (CPython <c>terminate()</c>): Python workers are terminated, C# workers stop after their
    /// current task, and every unfinished call fails with a <see cref="ProcessException"/>. Returns once the workers
    /// and the pool's threads have ended (a second call waits for the first).</summary>
    public void Terminate()
    {
        _state = (int)PoolState.Terminate;
        Wake();
        TerminateCore();
    }

    /// <summary>Waits for the workers to exit (CPython <c>join()</c>), after <see cref="Close"/> or
    /// <see cref="Terminate"/>.</summary>
    /// <param name="timeout">The longest wait; null waits as long as it takes.</param>
    /// <returns>Whether everything stopped in time.</returns>
    /// <exception cref="InvalidOperationException">The pool is still running.</exception>
    public bool Join(TimeSpan? timeout = null)
    {
        if (State == PoolState.Run)
        {
            throw new InvalidOperationException("Pool is still running");
        }

        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromDays(3650));
        TimeSpan Left() => TimeSpan.FromTicks(Math.Max(0, (deadline - DateTime.UtcNow).Ticks));
        return _handlerThread.Join(Left()) && _taskThread.Join(Left()) && _resultThread.Join(Left())
               && _csharpWorkers.All(w => w.Join(Left()));
    }

    /// <summary>Terminates (as CPython's context manager does; a terminate already under way is waited for), waits
    /// briefly for anything stuck, and releases the queues.</summary>
    public void Dispose()
    {
        Terminate();
        Join(TimeSpan.FromSeconds(10));
        ReleaseResources();
    }

    private static void DisposeQueue(SimpleQueue queue, bool readerBlocked, Func<bool> readersLeft, ILogger logger)
    {
        if (readerBlocked)
        {
            queue.Writer.Close();
            if (!readersLeft())
            {
                PoolLog.QueueLeftOpen(logger);
                return;
            }
        }

        queue.Dispose();
    }

    /// <summary>Runs the registered handler for a task (C# workers).</summary>
    internal object? RunHandler((object? Func, PyTuple Args, PyDict Kwds) task)
    {
        var (func, args, kwds) = task;
        if (func is PyGlobal g && (g.Equals(_mapstar) || g.Equals(_starmapstar))
            && args is { Count: 1 } && args[0] is PyTuple { Count: 2 } fc && fc[0] is PyGlobal f && fc[1] is PyTuple chunk)
        {
            var handler = HandlerFor(f);
            var star = g.Equals(_starmapstar);
            var results = new List<object?>(chunk.Count);
            foreach (var item in chunk)
            {
                results.Add(handler(star ? StarArgs(item, f) : [item]));
            }

            return Normalize(results);
        }

        if (func is not PyGlobal plain)
        {
            throw new InvalidOperationException($"a C# worker cannot run {PyRepr.Repr(func)}: only functions named module:qualname");
        }

        if (kwds.Count > 0)
        {
            throw new ArgumentException($"C# handlers take positional arguments only; {plain.Module}:{plain.Name} got keyword arguments {PyRepr.Repr(kwds)}");
        }

        return Normalize(HandlerFor(plain)(args.ToArray()));
    }

    /// <summary>A result (or failure) from a C# worker.</summary>
    internal void Deliver(long job, int index, object? value, Exception? error)
    {
        if (_cache.TryGetValue(job, out var j))
        {
            j.Set(index, value, error);
        }
    }

    private static object?[] StarArgs(object? item, PyGlobal f) => item switch
    {
        PyTuple t => t.ToArray(),
        List<object?> l => [.. l],
        _ => throw new ArgumentException($"starmap arguments for {f.Module}:{f.Name} must be sequences, got {PyRepr.Repr(item)}"),
    };

    private Func<object?[], object?> HandlerFor(PyGlobal function) =>
        _handlers.TryGetValue(function.Module + ":" + function.Name, out var h)
            ? h
            : throw new InvalidOperationException($"no C# handler is registered for '{function.Module}:{function.Name}'");

    /// <summary>Passes a C# result through pickle, so it has the types a Python worker's result would (int → long,
    /// arrays → list) and an unpicklable result fails here, as it would in a Python worker.</summary>
    private object? Normalize(object? value) =>
        PickleSerializer.Loads(PickleSerializer.Dumps(value, _pickleOptions), _unpickleOptions);

    private void ReleaseResources()
    {
        lock (_workersGate)
        {
            if (_released)
            {
                return;
            }

            _released = true;
        }

        // A thread still blocked reading a queue (the result thread whose stop sentinel could not be written because
        // a terminated worker died holding the result pipe's wlock; a C# worker on the task pipe) would make the
        // reader's Dispose wait for that read for ever. Close our write ends first: with the workers gone the readers
        // see end of stream and leave; a reader that still does not is leaked rather than waited on.
        var inqueueReaders = _csharpWorkers.Count > 0 && !_csharpWorkers.All(w => w.Join(TimeSpan.Zero));
        DisposeQueue(_inqueue, inqueueReaders, () => _csharpWorkers.All(w => w.Join(TimeSpan.FromSeconds(5))), Logger);
        DisposeQueue(_outqueue, _resultThread.IsAlive, () => _resultThread.Join(TimeSpan.FromSeconds(5)), Logger);
        _slots.Dispose();
        _taskLock.Dispose();
        _wake.Reader.Close();
        _wake.Writer.Close();
        if (!_resultThread.IsAlive)
        {
            _resultWake.Reader.Close();
        }

        _resultWake.Writer.Close();
    }
}
