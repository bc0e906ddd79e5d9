using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client.Proxies;

/// <summary>
/// A <c>multiprocessing.pool.Pool</c> in the manager (CPython's <c>PoolProxy</c>): the manager's worker processes
/// run Python functions. A function is named <c>"module:qualname"</c> (e.g. <c>"operator:mul"</c>) and pickled by
/// reference, so it must be importable in the workers; a <see cref="PyGlobal"/> or any pickled callable works too.
/// </summary>
/// <example><code>
/// using var pool = manager.Pool(2);
/// var squares = pool.Map("math:sqrt", new[] { 1, 4, 9 });            // [1.0, 2.0, 3.0]
/// var sum = pool.Apply("builtins:sum", PyTuple.Create(new List&lt;object?&gt; { 1L, 2L }));
/// using var pending = pool.ApplyAsync("time:sleep", PyTuple.Create(0.1));
/// await pending;
/// pool.Terminate();
/// </code></example>
public sealed class PoolProxy : BaseProxy
{
    /// <summary>Initializes a new instance of the <see cref="PoolProxy"/> class.</summary>
    /// <param name="args">What the manager passes to proxy factories.</param>
    public PoolProxy(ProxyArgs args)
        : base(args)
    {
    }

    /// <inheritdoc/>
    protected override string PythonProxyClass => "PoolProxy";

    /// <summary>Calls <paramref name="function"/> in a worker and returns its result (<c>apply(func, args, kwds)</c>).</summary>
    /// <param name="function"><c>"module:qualname"</c>, a <see cref="PyGlobal"/>, or a pickled callable.</param>
    /// <param name="args">The positional arguments; null for none.</param>
    /// <param name="kwargs">The keyword arguments; null for none.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentException"><paramref name="function"/> is a malformed name, or the function raised ValueError/TypeError.</exception>
    public object? Apply(object function, PyTuple? args = null, PyDict? kwargs = null) =>
        CallMethod("apply", ApplyArgs(function, args, kwargs));

    /// <summary>Starts <paramref name="function"/> in a worker (<c>apply_async</c>); the result lives in the manager.</summary>
    /// <param name="function">The function.</param>
    /// <param name="args">The positional arguments; null for none.</param>
    /// <param name="kwargs">The keyword arguments; null for none.</param>
    /// <returns>The pending result (dispose it when done).</returns>
    public AsyncResultProxy ApplyAsync(object function, PyTuple? args = null, PyDict? kwargs = null) =>
        (AsyncResultProxy)CallMethod("apply_async", ApplyArgs(function, args, kwargs))!;

    /// <summary>Applies <paramref name="function"/> to every item and returns the results in order (<c>map</c>).</summary>
    /// <param name="function">The function.</param>
    /// <param name="items">The items (sent as a list).</param>
    /// <param name="chunkSize">Items per task; null lets the pool choose.</param>
    /// <returns>The results.</returns>
    public List<object?> Map(object function, System.Collections.IEnumerable items, int? chunkSize = null) =>
        (List<object?>)CallMethod("map", MapArgs(function, items, chunkSize))!;

    /// <summary>Starts a map (<c>map_async</c>).</summary>
    /// <param name="function">The function.</param>
    /// <param name="items">The items.</param>
    /// <param name="chunkSize">Items per task; null lets the pool choose.</param>
    /// <returns>The pending result: a list.</returns>
    public AsyncResultProxy MapAsync(object function, System.Collections.IEnumerable items, int? chunkSize = null) =>
        (AsyncResultProxy)CallMethod("map_async", MapArgs(function, items, chunkSize))!;

    /// <summary>Calls <paramref name="function"/> with each argument tuple (<c>starmap</c>).</summary>
    /// <param name="function">The function.</param>
    /// <param name="argumentTuples">One tuple (or list) of arguments per call.</param>
    /// <param name="chunkSize">Items per task; null lets the pool choose.</param>
    /// <returns>The results.</returns>
    public List<object?> Starmap(object function, System.Collections.IEnumerable argumentTuples, int? chunkSize = null) =>
        (List<object?>)CallMethod("starmap", MapArgs(function, argumentTuples, chunkSize))!;

    /// <summary>Starts a starmap (<c>starmap_async</c>).</summary>
    /// <param name="function">The function.</param>
    /// <param name="argumentTuples">One tuple of arguments per call.</param>
    /// <param name="chunkSize">Items per task; null lets the pool choose.</param>
    /// <returns>The pending result: a list.</returns>
    public AsyncResultProxy StarmapAsync(object function, System.Collections.IEnumerable argumentTuples, int? chunkSize = null) =>
        (AsyncResultProxy)CallMethod("starmap_async", MapArgs(function, argumentTuples, chunkSize))!;

    /// <summary>Applies lazily, results in order (<c>imap</c>): an iterator in the manager.</summary>
    /// <param name="function">The function.</param>
    /// <param name="items">The items.</param>
    /// <param name="chunkSize">Items per task.</param>
    /// <returns>The iterator (dispose it when done).</returns>
    public IteratorProxy Imap(object function, System.Collections.IEnumerable items, int chunkSize = 1) =>
        (IteratorProxy)CallMethod("imap", PyTuple.Create(PyArguments.Callable(function, nameof(function)), PyArguments.List(items), (long)chunkSize))!;

    /// <summary>Applies lazily, results in completion order (<c>imap_unordered</c>).</summary>
    /// <param name="function">The function.</param>
    /// <param name="items">The items.</param>
    /// <param name="chunkSize">Items per task.</param>
    /// <returns>The iterator (dispose it when done).</returns>
    public IteratorProxy ImapUnordered(object function, System.Collections.IEnumerable items, int chunkSize = 1) =>
        (IteratorProxy)CallMethod("imap_unordered", PyTuple.Create(PyArguments.Callable(function, nameof(function)), PyArguments.List(items), (long)chunkSize))!;

    /// <summary>Applies <paramref name="function"/> asynchronously and returns the results (<c>map</c> on a pooled connection).</summary>
    /// <param name="function">The function.</param>
    /// <param name="items">The items.</param>
    /// <param name="chunkSize">Items per task; null lets the pool choose.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The results.</returns>
    public async ValueTask<List<object?>> MapTaskAsync(object function, System.Collections.IEnumerable items, int? chunkSize = null, CancellationToken cancellationToken = default) =>
        (List<object?>)(await CallMethodAsync("map", MapArgs(function, items, chunkSize), cancellationToken: cancellationToken).ConfigureAwait(false))!;

    /// <summary>Calls <paramref name="function"/> asynchronously and returns its result (<c>apply</c> on a pooled connection).</summary>
    /// <param name="function">The function.</param>
    /// <param name="args">The positional arguments; null for none.</param>
    /// <param name="kwargs">The keyword arguments; null for none.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The result.</returns>
    public ValueTask<object?> ApplyTaskAsync(object function, PyTuple? args = null, PyDict? kwargs = null, CancellationToken cancellationToken = default) =>
        CallMethodAsync("apply", ApplyArgs(function, args, kwargs), cancellationToken: cancellationToken);

    /// <summary>Stops accepting work (<c>close()</c>).</summary>
    public void Close() => CallMethod("close");

    /// <summary>Waits for the workers to exit, after <see cref="Close"/> or <see cref="Terminate"/> (<c>join()</c>).</summary>
    /// <exception cref="ArgumentException">The pool is still running (ValueError).</exception>
    public void Join() => CallMethod("join");

    /// <summary>Stops the workers at once (<c>terminate()</c>, what Python's <c>with pool:</c> does on exit).</summary>
    public void Terminate() => CallMethod("terminate");

    private static PyTuple ApplyArgs(object function, PyTuple? args, PyDict? kwargs)
    {
        var func = PyArguments.Callable(function ?? throw new ArgumentNullException(nameof(function)), nameof(function));
        return kwargs is { Count: > 0 } ? PyTuple.Create(func, args ?? PyTuple.Empty, kwargs)
            : args is { Count: > 0 } ? PyTuple.Create(func, args)
            : PyTuple.Create(func);
    }

    private static PyTuple MapArgs(object function, System.Collections.IEnumerable items, int? chunkSize)
    {
        var func = PyArguments.Callable(function ?? throw new ArgumentNullException(nameof(function)), nameof(function));
        var list = PyArguments.List(items);
        return chunkSize is { } c ? PyTuple.Create(func, list, (long)c) : PyTuple.Create(func, list);
    }
}
