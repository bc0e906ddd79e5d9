namespace Multiprocess.Pooling;

/// <summary><c>imap</c>/<c>imap_unordered</c> (CPython's IMapIterator): results are handed out as they come, in task
/// order or in arrival order; the number of tasks is known once the task thread has read the whole input.</summary>
internal sealed class ImapJob(long id, string function, bool ordered) : PoolJob(id, function)
{
    private readonly object _gate = new();
    private readonly Dictionary<int, (object? Value, Exception? Error)> _pending = [];
    private readonly Queue<(object? Value, Exception? Error)> _arrived = new();
    private int _next;
    private int _yielded;
    private int _received;
    private int? _length;
    private Exception? _failure;

    public override bool IsFinished
    {
        get
        {
            lock (_gate)
            {
                return _failure is not null || (_length is { } n && _received == n);
            }
        }
    }

    /// <summary>The task thread has produced every task (CPython's <c>_set_length</c>).</summary>
    public void SetLength(int length)
    {
        lock (_gate)
        {
            _length = length;
            Monitor.PulseAll(_gate);
        }

        if (IsFinished)
        {
            Completed?.Invoke(this);
        }
    }

    /// <summary>The next result (blocking); false at the end. Throws a task's error at its place.</summary>
    public bool TryTake(TimeSpan timeout, out object? value)
    {
        var infinite = timeout == Timeout.InfiniteTimeSpan;
        var deadline = infinite ? DateTime.MaxValue : DateTime.UtcNow + timeout;
        lock (_gate)
        {
            while (true)
            {
                if (ordered && _pending.Remove(_next, out var r) || !ordered && _arrived.TryDequeue(out r))
                {
                    _next++;
                    _yielded++;
                    if (r.Error is not null)
                    {
                        throw r.Error;
                    }

                    value = r.Value;
                    return true;
                }

                if (_length is { } n && _yielded >= n)
                {
                    value = null;
                    return false;
                }

                if (_failure is not null)
                {
                    throw _failure;
                }

                if (infinite)
                {
                    Monitor.Wait(_gate);
                    continue;
                }

                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                {
                    throw new TimeoutException($"no result of {Function} within {timeout}");
                }

                Monitor.Wait(_gate, left);
            }
        }
    }

    protected override void OnResult(int index, object? value, Exception? error)
    {
        lock (_gate)
        {
            _received++;
            if (ordered)
            {
                _pending[index] = (value, error);
            }
            else
            {
                _arrived.Enqueue((value, error));
            }

            Monitor.PulseAll(_gate);
        }
    }

    protected override void OnFail(Exception error)
    {
        lock (_gate)
        {
            _failure ??= error;
            Monitor.PulseAll(_gate);
        }
    }
}
