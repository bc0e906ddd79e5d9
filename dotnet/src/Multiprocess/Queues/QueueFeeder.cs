using System.Collections.Concurrent;
using Multiprocess.Internal;
using Multiprocess.Synchronize;

namespace Multiprocess.Queues;

/// <summary>
/// CPython's <c>QueueFeederThread</c> (queues.py <c>Queue._feed</c>): a background thread that writes the frames
/// <see cref="Queue.Put(object?, bool, TimeSpan?)"/> buffered, so that a put never waits for a reader to drain the
/// pipe. Frames waiting together are written with one write(2) under one hold of <c>wlock</c> (whole frames only, so
/// other writers still never interleave inside one).
/// </summary>
internal sealed class QueueFeeder
{
    // How much the feeder gathers into one write(2); a pipe holds 64 KiB, so more would only wait longer holding wlock.
    private const int BatchBytes = 64 * 1024;

    private static readonly ConcurrentDictionary<QueueFeeder, byte> s_live = new();

    private readonly object _gate = new();
    private readonly Queue<byte[]> _pending = new();
    private readonly int _writeFd;
    private readonly SemLock? _wlock;
    private readonly SemLock _sem;
    private readonly bool _ignoreEpipe;
    private readonly Action _onClosed;
    private readonly Thread _thread;
    private bool _waiting;
    private bool _closing;
    private volatile bool _joinCancelled;

    static QueueFeeder() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        // util._exit_function: Queue._finalize_close (priority 10) then _finalize_join (priority -5), so every item put
        // before exit reaches the pipe, unless cancel_join_thread() was called.
        foreach (var feeder in s_live.Keys)
        {
            feeder.Close();
        }

        foreach (var feeder in s_live.Keys)
        {
            if (!feeder._joinCancelled)
            {
                feeder.Join(TimeSpan.FromSeconds(30));
            }
        }
    };

    public QueueFeeder(int writeFd, SemLock? wlock, SemLock sem, bool ignoreEpipe, Action onClosed)
    {
        _writeFd = writeFd;
        _wlock = wlock;
        _sem = sem;
        _ignoreEpipe = ignoreEpipe;
        _onClosed = onClosed;
        _thread = new Thread(Run) { IsBackground = true, Name = "QueueFeederThread" };
        s_live[this] = 0;
        _thread.Start();
    }

    /// <summary>Gets the error of the last failed write, which the next put reports.</summary>
    public Exception? Error { get; private set; }

    public void Enqueue(byte[] frame)
    {
        lock (_gate)
        {
            _pending.Enqueue(frame);
            if (_waiting)
            {
                Monitor.Pulse(_gate);
            }
        }
    }

    /// <summary>CPython's sentinel: write what is pending, then close the pipe ends and stop.</summary>
    public void Close()
    {
        lock (_gate)
        {
            _closing = true;
            Monitor.Pulse(_gate);
        }
    }

    public bool Join(TimeSpan? timeout) =>
        Thread.CurrentThread == _thread || _thread.Join(timeout ?? Timeout.InfiniteTimeSpan);

    public void CancelJoin() => _joinCancelled = true;

    private void Run()
    {
        var batch = new List<byte[]>();
        var buffer = new byte[BatchBytes];
        try
        {
            while (true)
            {
                bool closing;
                lock (_gate)
                {
                    while (_pending.Count == 0 && !_closing)
                    {
                        _waiting = true;
                        Monitor.Wait(_gate);
                        _waiting = false;
                    }

                    var bytes = 0;
                    while (_pending.Count > 0 && (batch.Count == 0 || bytes + _pending.Peek().Length <= BatchBytes))
                    {
                        var frame = _pending.Dequeue();
                        bytes += frame.Length;
                        batch.Add(frame);
                    }

                    closing = _closing && _pending.Count == 0;
                }

                if (batch.Count > 0 && !WriteBatch(batch, buffer))
                {
                    return;
                }

                batch.Clear();
                if (closing)
                {
                    return;
                }
            }
        }
        finally
        {
            s_live.TryRemove(this, out _);
            _onClosed();
        }
    }

    private bool WriteBatch(List<byte[]> batch, byte[] buffer)
    {
        try
        {
            _wlock?.Acquire();
            try
            {
                if (batch.Count == 1)
                {
                    PipeFrames.Write(_writeFd, batch[0]);
                }
                else
                {
                    var used = 0;
                    foreach (var frame in batch)
                    {
                        frame.CopyTo(buffer, used);
                        used += frame.Length;
                    }

                    PipeFrames.Write(_writeFd, buffer.AsSpan(0, used));
                }
            }
            finally
            {
                _wlock?.Release();
            }

            return true;
        }
        catch (IOException e) when (_ignoreEpipe && e.HResult == Errno.EPIPE)
        {
            return false;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // queues.py _feed: the items were not sent, so they leave the count as if removed; report and go on.
            Error = e;
            foreach (var _ in batch)
            {
                TryRelease(_sem);
            }

            // stderr, not a logger, on purpose: CPython's feeder re-raises, and threading's excepthook prints this line
            // to the process's stderr, where a program written for CPython looks for it.
            Console.Error.WriteLine($"Exception in thread QueueFeederThread: {e.GetType().Name}: {e.Message}");
            return true;
        }
    }

    private static void TryRelease(SemLock sem)
    {
        try
        {
            sem.Release();
        }
        catch (Exception e) when (e is SemaphoreFullException or ObjectDisposedException or IOException)
        {
            // Nothing left to undo.
        }
    }
}
