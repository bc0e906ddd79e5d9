using System.Collections.Concurrent;
using System.Globalization;
using Multiprocess.Internal;
using Multiprocess.Pickle;
using Multiprocess.Queues;
using Conn = Multiprocess.Connection.Connection;

namespace Multiprocess.Pooling;

/// <content>The result handler thread (pool.py <c>_handle_results</c>): reads <c>(job, i, (success, value))</c> from the
/// result pipe, which only this thread reads, and hands each to its job. It also puts the pipe back in step after a
/// worker died while writing a result (docs/pool-worker-death.md), which CPython's pool does not: it hangs.</content>
public sealed partial class Pool
{
    private const string MarkerTag = "multiprocess-dotnet marker";

    private readonly ConcurrentQueue<(PythonWorker Worker, int? ExitCode)> _resultWriterDeaths = new();
    private readonly (Conn Reader, Conn Writer) _resultWake;
    private long _markerSeen;

    private void HandleResults()
    {
        try
        {
            var frames = new ResultFrames(_outqueue.Reader.Fileno());
            Span<SocketNative.PollFd> fds = stackalloc SocketNative.PollFd[2];
            while (true)
            {
                while (frames.TryTake(out var payload))
                {
                    if (!Dispatch(payload))
                    {
                        return;   // the worker handler's sentinel
                    }
                }

                fds[0].Fd = _outqueue.Reader.Fileno();
                fds[1].Fd = _resultWake.Reader.Fileno();
                SocketNative.PollReadable(fds, Deadline.Infinite);
                if (fds[1].Revents != 0)
                {
                    while (_resultWake.Reader.Poll())
                    {
                        _resultWake.Reader.RecvBytes();
                    }

                    ResynchroniseAfterWriterDeaths(frames);
                }

                if (fds[0].Revents != 0 && !frames.ReadAvailable())
                {
                    throw frames.Partial == 0
                        ? new EndOfStreamException("the result pipe was closed by every writer")
                        : new IOException($"the result pipe ended inside a frame ({frames.Partial} bytes of it read)");
                }
            }
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or ObjectDisposedException or InvalidOperationException or UnpicklingException)
        {
            if (!IsTerminating)
            {
                BreakPool(new ProcessException($"the pool's result pipe failed: {e.Message}", e));
            }
        }
    }

    /// <summary>Hands one message to its job.</summary>
    /// <returns><see langword="false"/> for the sentinel that ends the thread.</returns>
    private bool Dispatch(ReadOnlySpan<byte> payload)
    {
        var message = PickleSerializer.Loads(payload, _unpickleOptions);
        switch (message)
        {
            case null:
                return false;
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

        return true;
    }

    /// <summary>The worker handler found <paramref name="worker"/> dead with the result pipe's write lock taken
    /// (its slot's flag): the result thread puts the pipe back in step, releases the lock and fails the task whose
    /// result was being written.</summary>
    private void ResynchroniseResultPipe(PythonWorker worker, int? exitCode)
    {
        _resultWriterDeaths.Enqueue((worker, exitCode));
        _resultWake.Writer.SendBytes([1]);
    }

    /// <summary>
    /// A worker died holding the result pipe's write lock, so nothing has been written after its bytes, and it writes
    /// no more: read everything the pipe holds, hand on the whole frames in it (results written before the death,
    /// including the dead worker's own if it got all of it out), throw away what is left (the start of the frame it
    /// was writing) and release the lock for the others, whose results then come in step again.
    /// </summary>
    private void ResynchroniseAfterWriterDeaths(ResultFrames frames)
    {
        while (_resultWriterDeaths.TryDequeue(out var death))
        {
            var fd = _outqueue.Reader.Fileno();
            while (PipeFrames.Poll(fd, Deadline.From(TimeSpan.Zero)) && frames.ReadAvailable())
            {
                while (frames.TryTake(out var payload))
                {
                    Dispatch(payload);
                }
            }

            var discarded = frames.DiscardPartial();
            _outqueue.WLock!.Release();
            FailResultWriterTask(death.Worker, death.ExitCode, discarded);
            FreeSlot(death.Worker.Slot);
        }
    }

    private void FailResultWriterTask(PythonWorker w, int? code, int discarded)
    {
        var slot = _slots.Read(w.Slot);
        var known = slot.Pid == w.Process.Pid && slot.Job >= 0;
        var what = discarded > 0
            ? string.Create(CultureInfo.InvariantCulture, $"the {discarded} bytes of it that reached the result queue were discarded")
            : "none of it reached the result queue";
        PoolLog.ResultWriterDied(Logger, w.Process.Pid ?? 0, code ?? 0, known ? slot.Job : -1, known ? slot.Index : -1, discarded);
        if (known && _cache.TryGetValue(slot.Job, out var job) && !job.IsTaskDone((int)slot.Index))
        {
            job.Set((int)slot.Index, null, new ProcessException(string.Create(CultureInfo.InvariantCulture,
                $"worker process {w.Process.Pid} ({w.Process.Name}) exited with code {code}{PoolErrors.SignalName(code)} while writing the result of task {slot.Index} of job {slot.Job} ({job.Function}): {what}; the pool goes on with a new worker")));
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
        var until = Deadline.From(TimeSpan.FromSeconds(5));
        while (!wlock.Acquire(true, TimeSpan.FromMilliseconds(100)))
        {
            // The holder may be a worker that died in its write, not reaped yet: hand it to the result thread, which
            // releases the lock once the pipe is in step.
            if (Thread.CurrentThread == _handlerThread && !IsTerminating)
            {
                ReapResultWriterDeaths();
            }

            if (Deadline.Expired(until))
            {
                throw new ProcessException("the result queue's write lock stayed held for 5 s: a worker died while taking or releasing it, so the result stream cannot be trusted");
            }
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
