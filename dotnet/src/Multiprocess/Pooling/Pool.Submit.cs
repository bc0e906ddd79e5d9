using Multiprocess.Pickle;
using Multiprocess.Processes;

namespace Multiprocess.Pooling;

/// <content>apply / map / starmap / imap / imap_unordered and their asynchronous forms.</content>
public sealed partial class Pool
{
    private readonly object _submitGate = new();

    /// <summary>Calls <paramref name="function"/> once in a worker and waits (CPython <c>apply</c>).</summary>
    /// <param name="function">The Python function, <c>module:qualname</c>.</param>
    /// <param name="args">Positional arguments.</param>
    /// <param name="kwargs">Keyword arguments (Python workers only: C# handlers take positional arguments).</param>
    /// <returns>The result.</returns>
    /// <exception cref="RemoteException">The function raised; <see cref="RemoteException.RemoteTraceback"/> has the
    /// traceback and the inner exception the Python exception.</exception>
    /// <exception cref="ProcessException">The worker died while running it, or the pool was terminated.</exception>
    /// <exception cref="InvalidOperationException">The pool is not running.</exception>
    /// <exception cref="ArgumentException">The name is not <c>module:qualname</c>, or the pool has C# workers and no
    /// handler is registered for it.</exception>
    public object? Apply(string function, IEnumerable<object?>? args = null, IReadOnlyDictionary<string, object?>? kwargs = null) =>
        ApplyAsync(function, args, kwargs).GetAwaiter().GetResult();

    /// <summary>Calls <paramref name="function"/> once in a worker (CPython <c>apply_async</c>).</summary>
    /// <param name="function">The Python function, <c>module:qualname</c>.</param>
    /// <param name="args">Positional arguments.</param>
    /// <param name="kwargs">Keyword arguments.</param>
    /// <returns>The result, when it comes; fails as <see cref="Apply"/> throws.</returns>
    /// <exception cref="InvalidOperationException">The pool is not running.</exception>
    /// <exception cref="ArgumentException">The name is not <c>module:qualname</c>, or a C# handler is missing.</exception>
    public Task<object?> ApplyAsync(string function, IEnumerable<object?>? args = null, IReadOnlyDictionary<string, object?>? kwargs = null)
    {
        var f = CheckFunction(function);
        var kwds = new PyDict();
        foreach (var (k, v) in kwargs ?? new Dictionary<string, object?>())
        {
            kwds[k] = v;
        }

        var job = new ApplyJob(NextJobId(), function);
        Submit(job, [new TaskItem(0, f, new PyTuple(args?.ToArray() ?? []), kwds)], batch: true, setLength: null);
        return job.Task;
    }

    /// <summary>Applies <paramref name="function"/> to each item (CPython <c>map</c>), in chunks, and returns the
    /// results in order.</summary>
    /// <param name="function">The Python function, <c>module:qualname</c>, of one argument.</param>
    /// <param name="iterable">The items (read at once).</param>
    /// <param name="chunksize">Items per task; null for CPython's choice (about four chunks per worker).</param>
    /// <returns>The results, in the order of the items.</returns>
    /// <exception cref="RemoteException">A call raised (the first failure is reported).</exception>
    /// <exception cref="ProcessException">A worker died while running a chunk, or the pool was terminated.</exception>
    /// <exception cref="InvalidOperationException">The pool is not running.</exception>
    /// <exception cref="ArgumentException">A bad name, a missing C# handler, or a chunksize below 1.</exception>
    public IReadOnlyList<object?> Map(string function, IEnumerable<object?> iterable, int? chunksize = null) =>
        MapAsync(function, iterable, chunksize).GetAwaiter().GetResult();

    /// <summary>CPython <c>map_async</c>.</summary>
    /// <param name="function">The Python function, <c>module:qualname</c>.</param>
    /// <param name="iterable">The items (read at once).</param>
    /// <param name="chunksize">Items per task; null for CPython's choice.</param>
    /// <returns>The results in order, when all have come.</returns>
    /// <exception cref="InvalidOperationException">The pool is not running.</exception>
    /// <exception cref="ArgumentException">A bad name, a missing C# handler, or a chunksize below 1.</exception>
    public Task<IReadOnlyList<object?>> MapAsync(string function, IEnumerable<object?> iterable, int? chunksize = null)
    {
        ArgumentNullException.ThrowIfNull(iterable);
        return MapCore(function, iterable.ToList(), chunksize, _mapstar);
    }

    /// <summary>Calls <paramref name="function"/> with each item's elements as arguments (CPython <c>starmap</c>).</summary>
    /// <param name="function">The Python function, <c>module:qualname</c>.</param>
    /// <param name="iterable">Argument sequences (read at once).</param>
    /// <param name="chunksize">Items per task; null for CPython's choice.</param>
    /// <returns>The results, in order.</returns>
    /// <exception cref="RemoteException">A call raised.</exception>
    /// <exception cref="ProcessException">A worker died while running a chunk, or the pool was terminated.</exception>
    /// <exception cref="InvalidOperationException">The pool is not running.</exception>
    /// <exception cref="ArgumentException">A bad name, a missing C# handler, or a chunksize below 1.</exception>
    public IReadOnlyList<object?> StarMap(string function, IEnumerable<IEnumerable<object?>> iterable, int? chunksize = null) =>
        StarMapAsync(function, iterable, chunksize).GetAwaiter().GetResult();

    /// <summary>CPython <c>starmap_async</c>.</summary>
    /// <param name="function">The Python function, <c>module:qualname</c>.</param>
    /// <param name="iterable">Argument sequences (read at once).</param>
    /// <param name="chunksize">Items per task; null for CPython's choice.</param>
    /// <returns>The results in order, when all have come.</returns>
    /// <exception cref="InvalidOperationException">The pool is not running.</exception>
    /// <exception cref="ArgumentException">A bad name, a missing C# handler, or a chunksize below 1.</exception>
    public Task<IReadOnlyList<object?>> StarMapAsync(string function, IEnumerable<IEnumerable<object?>> iterable, int? chunksize = null)
    {
        ArgumentNullException.ThrowIfNull(iterable);
        return MapCore(function, iterable.Select(a => (object?)new PyTuple(a.ToArray())).ToList(), chunksize, _starmapstar);
    }

    /// <summary>Applies <paramref name="function"/> to each item and yields the results in order as they come (CPython
    /// <c>imap</c>); the input is read lazily, by the pool's task thread.</summary>
    /// <param name="function">The Python function, <c>module:qualname</c>, of one argument.</param>
    /// <param name="iterable">The items.</param>
    /// <param name="chunksize">Items per task.</param>
    /// <returns>The results; enumerating throws a call's error at its place.</returns>
    /// <exception cref="InvalidOperationException">The pool is not running.</exception>
    /// <exception cref="ArgumentException">A bad name, a missing C# handler, or a chunksize below 1.</exception>
    public IEnumerable<object?> Imap(string function, IEnumerable<object?> iterable, int chunksize = 1) =>
        ImapCore(function, iterable, chunksize, ordered: true);

    /// <summary>As <see cref="Imap"/>, yielding results in the order they finish (CPython <c>imap_unordered</c>).</summary>
    /// <param name="function">The Python function, <c>module:qualname</c>, of one argument.</param>
    /// <param name="iterable">The items.</param>
    /// <param name="chunksize">Items per task.</param>
    /// <returns>The results, in completion order.</returns>
    /// <exception cref="InvalidOperationException">The pool is not running.</exception>
    /// <exception cref="ArgumentException">A bad name, a missing C# handler, or a chunksize below 1.</exception>
    public IEnumerable<object?> ImapUnordered(string function, IEnumerable<object?> iterable, int chunksize = 1) =>
        ImapCore(function, iterable, chunksize, ordered: false);

    private Task<IReadOnlyList<object?>> MapCore(string function, List<object?> items, int? chunksize, PyGlobal star)
    {
        var f = CheckFunction(function);
        var size = chunksize ?? DefaultChunkSize(items.Count);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1, nameof(chunksize));
        var job = new MapJob(NextJobId(), function, items.Count, size);
        if (items.Count > 0)
        {
            Submit(job, Chunks(items, size, f, star), batch: true, setLength: null);
        }

        return job.Task;
    }

    private IEnumerable<object?> ImapCore(string function, IEnumerable<object?> iterable, int chunksize, bool ordered)
    {
        ArgumentNullException.ThrowIfNull(iterable);
        var f = CheckFunction(function);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunksize, 1);
        var job = new ImapJob(NextJobId(), function, ordered);
        var tasks = chunksize == 1
            ? iterable.Select((item, i) => new TaskItem(i, f, PyTuple.Create(item), new PyDict()))
            : Chunks(iterable, chunksize, f, _mapstar);
        Submit(job, tasks, batch: false, setLength: job.SetLength);
        return Results(job, chunksize > 1);
    }

    private static IEnumerable<object?> Results(ImapJob job, bool chunked)
    {
        while (job.TryTake(Timeout.InfiniteTimeSpan, out var value))
        {
            if (!chunked)
            {
                yield return value;
                continue;
            }

            foreach (var item in (List<object?>)value!)
            {
                yield return item;
            }
        }
    }

    /// <summary>pool.py _get_tasks + mapstar: <c>(mapstar, ((func, chunk),))</c> per chunk.</summary>
    private static IEnumerable<TaskItem> Chunks(IEnumerable<object?> items, int size, object? f, PyGlobal star)
    {
        var index = 0;
        foreach (var chunk in items.Chunk(size))
        {
            yield return new TaskItem(index++, star, PyTuple.Create(PyTuple.Create(f, new PyTuple(chunk))), new PyDict());
        }
    }

    /// <summary>pool.py _map_async: <c>chunksize, extra = divmod(len, len(pool) * 4)</c>, rounded up.</summary>
    private int DefaultChunkSize(int length)
    {
        var workers = PythonWorkerCount + Options.CSharpWorkers;
        var (size, extra) = Math.DivRem(length, workers * 4);
        return Math.Max(1, extra > 0 ? size + 1 : size);
    }

    private PyGlobal CheckFunction(string function)
    {
        var f = SpawnPickles.Target(function, nameof(function));
        if (Options.CSharpWorkers > 0 && !_handlers.ContainsKey(function))
        {
            throw new ArgumentException(
                $"the pool has C# workers, which take tasks from the same stream as the Python workers, and no C# handler is registered for '{function}' (RegisterHandler)",
                nameof(function));
        }

        if (State != PoolState.Run)
        {
            throw new InvalidOperationException("Pool not running");
        }

        return f;
    }

    private long NextJobId() => Interlocked.Increment(ref _jobCounter) - 1;

    private void Submit(PoolJob job, IEnumerable<TaskItem> tasks, bool batch, Action<int>? setLength)
    {
        lock (_submitGate)
        {
            if (State != PoolState.Run)
            {
                throw new InvalidOperationException("Pool not running");
            }

            job.Completed = OnJobCompleted;
            _cache[job.Id] = job;
            _taskQueue.Add(new TaskSource(job, tasks, batch, setLength, 0));
        }
    }

    private void OnJobCompleted(PoolJob job)
    {
        _cache.TryRemove(job.Id, out _);
        if (State != PoolState.Run && _cache.IsEmpty)
        {
            Wake();
        }
    }

    /// <summary>One task: index within its job, function, arguments.</summary>
    private readonly record struct TaskItem(int Index, object? Func, PyTuple Args, PyDict Kwds);
}
