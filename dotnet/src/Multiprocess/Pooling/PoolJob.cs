namespace Multiprocess.Pooling;

/// <summary>
/// What a caller waits for (CPython's ApplyResult / MapResult / IMapIterator, keyed by job id in the pool's cache):
/// results arrive as <c>(job, i, (success, value))</c>, in any order, from any worker.
/// </summary>
internal abstract class PoolJob(long id, string function)
{
    private readonly object _tasksGate = new();
    private readonly HashSet<int> _done = [];

    public long Id { get; } = id;

    /// <summary>Gets the function the tasks run (for error messages).</summary>
    public string Function { get; } = function;

    /// <summary>Raised once the job needs nothing more (all results in, or failed): the pool drops it from its cache.</summary>
    public Action<PoolJob>? Completed { get; set; }

    /// <summary>Whether task <paramref name="index"/> has its result (a job that is finished has them all).</summary>
    public bool IsTaskDone(int index)
    {
        lock (_tasksGate)
        {
            return IsFinished || _done.Contains(index);
        }
    }

    /// <summary>Gets whether the job is finished (all results, or failed).</summary>
    public abstract bool IsFinished { get; }

    /// <summary>Records a task's result; <paramref name="error"/> is set when it failed.</summary>
    public void Set(int index, object? value, Exception? error)
    {
        lock (_tasksGate)
        {
            if (!_done.Add(index))
            {
                return;
            }
        }

        OnResult(index, value, error);
        if (IsFinished)
        {
            Completed?.Invoke(this);
        }
    }

    /// <summary>Fails everything not yet delivered (pool terminated or broken).</summary>
    public void Fail(Exception error)
    {
        OnFail(error);
        Completed?.Invoke(this);
    }

    protected abstract void OnResult(int index, object? value, Exception? error);

    protected abstract void OnFail(Exception error);
}

/// <summary>One call: <c>apply_async</c>.</summary>
internal sealed class ApplyJob(long id, string function) : PoolJob(id, function)
{
    private readonly TaskCompletionSource<object?> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<object?> Task => _result.Task;

    public override bool IsFinished => _result.Task.IsCompleted;

    protected override void OnResult(int index, object? value, Exception? error)
    {
        if (error is null)
        {
            _result.TrySetResult(value);
        }
        else
        {
            _result.TrySetException(error);
        }
    }

    protected override void OnFail(Exception error) => _result.TrySetException(error);
}

/// <summary><c>map_async</c>/<c>starmap_async</c>: one task per chunk, each result a list of the chunk's results;
/// the first failure fails the whole job (as MapResult does).</summary>
internal sealed class MapJob : PoolJob
{
    private readonly TaskCompletionSource<IReadOnlyList<object?>> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object?[] _values;
    private readonly int _chunkSize;
    private int _remaining;

    public MapJob(long id, string function, int length, int chunkSize)
        : base(id, function)
    {
        _values = new object?[length];
        _chunkSize = chunkSize;
        _remaining = length == 0 ? 0 : (length + chunkSize - 1) / chunkSize;
        if (_remaining == 0)
        {
            _result.TrySetResult([]);
        }
    }

    public Task<IReadOnlyList<object?>> Task => _result.Task;

    public override bool IsFinished => _result.Task.IsCompleted;

    protected override void OnResult(int index, object? value, Exception? error)
    {
        if (error is not null)
        {
            _result.TrySetException(error);
            return;
        }

        if (value is not List<object?> chunk)
        {
            _result.TrySetException(new ProcessException($"task {index} of {Function} returned {Pickle.PyRepr.Repr(value)}, not the list of a chunk"));
            return;
        }

        var start = index * _chunkSize;
        if (start + chunk.Count > _values.Length)
        {
            _result.TrySetException(new ProcessException($"task {index} of {Function} returned {chunk.Count} results, more than its chunk holds"));
            return;
        }

        chunk.CopyTo(_values, start);
        if (Interlocked.Decrement(ref _remaining) == 0)
        {
            _result.TrySetResult(_values);
        }
    }

    protected override void OnFail(Exception error) => _result.TrySetException(error);
}
