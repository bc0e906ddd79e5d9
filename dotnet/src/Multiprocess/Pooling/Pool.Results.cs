using Multiprocess.Pickle;
using Multiprocess.Queues;

namespace Multiprocess.Pooling;

/// <content>The result handler thread (pool.py <c>_handle_results</c>): reads <c>(job, i, (success, value))</c> from the
/// result pipe, which only this thread reads, and hands each to its job.</content>
public sealed partial class Pool
{
    private const string MarkerTag = "multiprocess-dotnet marker";

    private long _markerSeen;

    private void HandleResults()
    {
        while (true)
        {
            object? message;
            try
            {
                message = PickleSerializer.Loads(_outqueue.Reader.RecvBytes(), _unpickleOptions);
            }
            catch (Exception e) when (e is EndOfStreamException or IOException or ObjectDisposedException or InvalidOperationException or UnpicklingException)
            {
                if (!IsTerminating)
                {
                    BreakPool(new ProcessException($"the pool's result pipe failed: {e.Message}", e));
                }

                return;
            }

            switch (message)
            {
                case null:
                    return;   // the worker handler's sentinel
                case PyTuple { Count: 3 } m when m[0] is null && m[1] is MarkerTag && m[2] is long serial:
                    // Everything a dead worker wrote is before this marker: its crash can be judged now.
                    Interlocked.Exchange(ref _markerSeen, serial);
                    Wake();
                    break;
                case PyTuple { Count: 3 } r when r[0] is long job && r[1] is long index && r[2] is PyTuple { Count: 2 } result && result[0] is bool ok:
                    if (_cache.TryGetValue(job, out var j))
                    {
                        j.Set((int)index, ok ? result[1] : null, ok ? null : PoolErrors.FromPython(result[1], j.Function));
                    }

                    break;
                default:
                    PoolLog.UnexpectedResult(Logger, PyRepr.Repr(message));
                    break;
            }
        }
    }

    /// <summary>Writes a marker on the result pipe (under its <c>wlock</c>, as the workers write).</summary>
    /// <exception cref="ProcessException">The lock stayed held: a worker died while writing a result, and the result
    /// stream cannot be trusted any more.</exception>
    private void WriteMarker(long serial) => WriteResultPipe(PyTuple.Create(null, MarkerTag, serial));

    /// <summary>Stops the result thread (pool.py <c>_terminate_pool</c>: outqueue.put(None)).</summary>
    private void StopResultThread()
    {
        try
        {
            WriteResultPipe(null);
        }
        catch (Exception e) when (e is ProcessException or IOException or ObjectDisposedException)
        {
            // The thread ends anyway when the pipe closes.
        }
    }

    private void WriteResultPipe(object? message)
    {
        var frame = PipeFrames.Frame(message, _pickleOptions);
        var wlock = _outqueue.WLock!;
        if (_resultLockLost)
        {
            throw new ProcessException("the result queue's write lock is held by a worker that died writing a result");
        }

        if (!wlock.Acquire(true, TimeSpan.FromSeconds(5)))
        {
            throw new ProcessException("the result queue's write lock stayed held for 5 s: a worker died while writing a result, so the result stream cannot be trusted");
        }

        try
        {
            PipeFrames.Write(_outqueue.Writer.Fileno(), frame);
        }
        finally
        {
            wlock.Release();
        }
    }
}
