using Multiprocess.Pickle;

namespace Multiprocess.Pooling;

/// <content>Submission of a Python function as a client pickled it (any picklable callable, passed on to the workers
/// as it came), for the Pool a manager server serves natively (docs/python-host.md): CPython's <c>apply_async</c>,
/// <c>_map_async</c> and <c>imap</c>/<c>imap_unordered</c>, without the <c>module:qualname</c> check of the public API.
/// A failed task's error is a <see cref="RemoteException"/> whose <see cref="RemoteException.PythonValue"/> is the
/// worker's exception.</content>
public sealed partial class Pool
{
    /// <summary>Gets a value indicating whether the pool takes work (neither closed nor terminated).</summary>
    internal bool IsRunning => State == PoolState.Run;

    /// <summary>CPython <c>apply_async(func, args, kwds)</c>.</summary>
    /// <exception cref="InvalidOperationException">The pool is not running.</exception>
    internal Task<object?> SubmitApply(object? func, PyTuple args, PyDict kwds)
    {
        var job = new ApplyJob(NextJobId(), Describe(func));
        Submit(job, [new TaskItem(0, func, args, kwds)], batch: true, setLength: null);
        return job.Task;
    }

    /// <summary>CPython <c>_map_async(func, iterable, mapstar or starmapstar, chunksize)</c>; the chunk size is
    /// CPython's choice when null.</summary>
    /// <exception cref="InvalidOperationException">The pool is not running.</exception>
    internal Task<IReadOnlyList<object?>> SubmitMap(object? func, List<object?> items, int? chunksize, bool star)
    {
        var size = chunksize ?? DefaultChunkSize(items.Count);
        var job = new MapJob(NextJobId(), Describe(func), items.Count, size);
        if (items.Count > 0)
        {
            Submit(job, Chunks(items, size, func, star ? _starmapstar : _mapstar), batch: true, setLength: null);
        }

        return job.Task;
    }

    /// <summary>CPython <c>imap</c>/<c>imap_unordered</c>: the job hands out results in order (or as they come,
    /// <see cref="ImapJob.TryTake"/>); with a chunk size above 1 each result is a chunk's list.</summary>
    /// <exception cref="InvalidOperationException">The pool is not running.</exception>
    internal ImapJob SubmitImap(object? func, List<object?> items, int chunksize, bool ordered)
    {
        var job = new ImapJob(NextJobId(), Describe(func), ordered);
        var tasks = chunksize == 1
            ? items.Select((item, i) => new TaskItem(i, func, PyTuple.Create(item), new PyDict()))
            : Chunks(items, chunksize, func, _mapstar);
        Submit(job, tasks, batch: true, setLength: job.SetLength);
        return job;
    }

    private static string Describe(object? func) => func is PyGlobal g ? $"{g.Module}.{g.Name}" : PyRepr.Repr(func);
}
