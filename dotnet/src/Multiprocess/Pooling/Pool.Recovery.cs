using System.Diagnostics;
using System.Globalization;
using Multiprocess.Internal;
using Multiprocess.Queues;

namespace Multiprocess.Pooling;

/// <content>
/// What CPython's pool does not do: a worker that dies fails the task it was running (its slot names it), instead of
/// leaving the caller waiting for ever; the task pipe's read lock is a flock(2) (<see cref="FlockLock"/>), so a worker
/// that dies waiting for a task (holding it) cannot leave it taken; and tasks a dying worker took without recording
/// are failed once nobody can have them.
/// </content>
/// <remarks>
/// <code>
///   worker handler                                       result thread
///   1. a worker's sentinel fires; reap it (exit code)
///   2. write a marker on the result pipe (under wlock) ─▶ results written by the dead worker come first
///   3.                                                    the marker: record its serial, wake the handler
///   4. slot = (pid, n, job, i): task i of job unfinished ⇒ fail it with the exit code; else the worker was idle
///      (it may have taken a task it had not recorded yet: watch for tasks nobody can have)
/// </code>
/// </remarks>
public sealed partial class Pool
{
    private static readonly TimeSpan LostTasksAfter = TimeSpan.FromSeconds(2);

    /// <summary>How long terminate waits for a pool thread that has been told to stop; they stop at once unless
    /// something is stuck, which this bounds.</summary>
    private static readonly TimeSpan ThreadsStopWithin = TimeSpan.FromSeconds(10);

    private readonly TaskCompletionSource _terminated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _terminateStarted;

    private readonly List<(PythonWorker Worker, int? ExitCode, long Serial)> _crashes = [];
    private long _markerSerial;
    private bool _suspect;
    private long _idleSince;

    private void ReapExited()
    {
        var exited = TakeExited(w => !w.Process.IsAlive);

        // Those that died writing a result first: the markers below need the result pipe's write lock, which the
        // result thread releases once it has put the pipe back in step. Judged on the same list as the others: a
        // worker's sentinel fires as it closes its files, before waitpid sees it exit, so a second look could find
        // it dead only then and take it for an ordinary crash, whose marker would wait for the lock it holds.
        foreach (var (w, code) in exited.Where(e => DiedWritingResult(e.Worker)))
        {
            ResynchroniseResultPipe(w, code);
        }

        foreach (var (w, code) in exited.Where(e => !DiedWritingResult(e.Worker)))
        {
            if (w.Stopping || IsTerminating)
            {
                FreeSlot(w.Slot);
                continue;
            }

            // Its results may still be in the pipe: judge once the result thread has passed a marker written now.
            var serial = ++_markerSerial;
            WriteMarker(serial);
            _crashes.Add((w, code, serial));
        }
    }

    /// <summary>Workers that died writing a result, found while waiting for the result pipe's write lock (one may die
    /// holding it while the worker handler waits to write a marker): the result thread resynchronises the pipe.</summary>
    private void ReapResultWriterDeaths()
    {
        foreach (var (w, code) in TakeExited(w => !w.Process.IsAlive && DiedWritingResult(w)))
        {
            ResynchroniseResultPipe(w, code);
        }
    }

    /// <summary>Whether an exited worker died holding the result pipe's write lock (its slot's flag): the pipe may hold
    /// part of a frame and the lock (a semaphore) stays taken, so no result could arrive any more. CPython's pool
    /// hangs there; the result thread resynchronises the pipe and fails the task whose result was being written.</summary>
    private bool DiedWritingResult(PythonWorker w) =>
        !w.Stopping && !IsTerminating && _slots.Read(w.Slot).Pid == w.Process.Pid && _slots.HoldsResultLock(w.Slot);

    /// <summary>Takes the exited workers that <paramref name="which"/> selects out of the live list, with their exit
    /// codes, and records them as exited.</summary>
    private List<(PythonWorker Worker, int? ExitCode)> TakeExited(Func<PythonWorker, bool> which)
    {
        List<(PythonWorker Worker, int? ExitCode)> exited;
        lock (_workersGate)
        {
            exited = _pythonWorkers.Where(which).Select(w => (w, w.Process.ExitCode)).ToList();
            foreach (var (w, code) in exited)
            {
                _pythonWorkers.Remove(w);
                _exitedWorkers.Add(Info(w, code));
            }
        }

        exited.ForEach(e => e.Worker.Process.Dispose());
        return exited;
    }

    private void JudgeCrashes()
    {
        var seen = Interlocked.Read(ref _markerSeen);
        foreach (var crash in _crashes.Where(c => c.Serial <= seen).ToList())
        {
            _crashes.Remove(crash);
            var (w, code, _) = crash;
            var slot = _slots.Read(w.Slot);
            if (slot.Pid == w.Process.Pid && slot.Job >= 0 && _cache.TryGetValue(slot.Job, out var job) && !job.IsTaskDone((int)slot.Index))
            {
                job.Set((int)slot.Index, null, new ProcessException(string.Create(CultureInfo.InvariantCulture,
                    $"worker process {w.Process.Pid} ({w.Process.Name}) exited with code {code} while running task {slot.Index} of job {slot.Job} ({job.Function}); it was replaced")));
            }

            if (code != 0)
            {
                // Died between tasks, it may have taken a task it had not recorded yet; or inside the task lock, in
                // the middle of reading one (a task that read the pipe itself, as a test does): watch for lost tasks.
                _suspect = true;
            }

            FreeSlot(w.Slot);
        }
    }

    /// <summary>After a suspicious death: fail tasks that nobody can have (nothing in the pipe or on its way, no worker
    /// busy) for <see cref="LostTasksAfter"/>.</summary>
    private void Watch()
    {
        if (!_suspect)
        {
            return;
        }

        if (_cache.IsEmpty)
        {
            _suspect = false;
            _idleSince = 0;
            return;
        }

        var now = Stopwatch.GetTimestamp();
        var input = PipeFrames.Poll(_inqueue.Reader.Fileno(), Deadline.From(TimeSpan.Zero));
        if (!input && _taskQueue.Count == 0 && !_taskThreadBusy && !AnyWorkerBusy())
        {
            _idleSince = _idleSince == 0 ? now : _idleSince;
            if (Stopwatch.GetElapsedTime(_idleSince, now) >= LostTasksAfter)
            {
                foreach (var job in _cache.Values)
                {
                    job.Fail(new ProcessException($"a task of {job.Function} was lost: a worker process died after taking it and before starting it"));
                }

                _idleSince = 0;
            }
        }
        else
        {
            _idleSince = 0;
        }
    }

    private bool AnyWorkerBusy()
    {
        if (_csharpWorkers.Any(w => w.Busy.Job >= 0))
        {
            return true;
        }

        lock (_workersGate)
        {
            return _pythonWorkers.Any(w =>
            {
                var s = _slots.Read(w.Slot);
                return s.Pid == w.Process.Pid && s.Job >= 0 && _cache.TryGetValue(s.Job, out var job) && !job.IsTaskDone((int)s.Index);
            });
        }
    }

    private void FreeSlot(int slot)
    {
        lock (_workersGate)
        {
            _freeSlots.Push(slot);
        }
    }

    /// <summary>Something the pool relies on broke: fail every call and terminate.</summary>
    private void BreakPool(ProcessException error)
    {
        PoolLog.Broken(Logger, error.Message);
        _state = (int)PoolState.Terminate;
        foreach (var job in _cache.Values)
        {
            job.Fail(error);
        }

        Wake();
        ThreadPool.QueueUserWorkItem(_ => TerminateCore());
    }

    /// <summary>pool.py _terminate_pool, run once (a second caller waits for the first): stop the C# workers,
    /// terminate the Python workers, fail what is left, let the task thread out of a full pipe, stop the result thread.
    /// Returns once the workers and the pool's threads are gone, as CPython's <c>terminate()</c> does, so a
    /// <see cref="Join"/> after it has nothing left to wait for.</summary>
    private void TerminateCore()
    {
        if (Interlocked.Exchange(ref _terminateStarted, 1) != 0)
        {
            _terminated.Task.Wait();
            return;
        }

        try
        {
            TerminateOnce();
        }
        finally
        {
            _terminated.TrySetResult();
        }
    }

    private void TerminateOnce()
    {
        _taskQueue.CompleteAdding();
        List<PythonWorker> workers;
        lock (_workersGate)
        {
            workers = [.. _pythonWorkers];
            workers.ForEach(w => w.Stopping = true);
        }

        workers.ForEach(w => w.Process.Terminate());
        foreach (var job in _cache.Values)
        {
            job.Fail(new ProcessException($"the pool was terminated before {job.Function} finished"));
        }

        // pool.py _help_stuff_finish: empty the task pipe so a task thread blocked writing to it can finish. Only once
        // the C# workers have stopped reading (they look at the state between tasks).
        _csharpWorkers.ForEach(w => w.Join(TimeSpan.FromMilliseconds(500)));
        var drain = new byte[64 * 1024];
        var until = Stopwatch.GetTimestamp() + (5 * Stopwatch.Frequency);
        while (Started(_taskThread) && _taskThread.IsAlive && Stopwatch.GetTimestamp() < until)
        {
            DrainOnce(drain);
            _taskThread.Join(10);
        }

        foreach (var w in workers)
        {
            if (!w.Process.Join(TimeSpan.FromSeconds(1)))
            {
                w.Process.Kill();
                w.Process.Join(TimeSpan.FromSeconds(5));
            }
        }

        StopResultThreadAfterWorkers(workers);
    }

    /// <summary>
    /// Ends the result thread once the workers are gone. Not with CPython's sentinel: it is written under the result
    /// pipe's write lock, and a worker terminated between writing its result and releasing that lock (the caller got
    /// the result and terminated at once: <c>with Pool(1) as p: p.apply(f)</c>) leaves it taken for ever, so the
    /// sentinel never came and every join after terminate waited out its bound. With the workers dead and the worker
    /// handler (the only other writer) ended, this process holds the pipe's last write end: closing it ends the result
    /// thread's read at end of stream, whoever held the lock.
    /// </summary>
    private void StopResultThreadAfterWorkers(List<PythonWorker> workers)
    {
        var current = Thread.CurrentThread;
        if (Started(_handlerThread) && _handlerThread != current && !_handlerThread.Join(ThreadsStopWithin))
        {
            return;   // still writing markers (a stuck worker start): Dispose releases the pipe later
        }

        if (workers.Any(w => w.Process.IsAlive))
        {
            StopResultThread();   // a worker that outlived SIGKILL still holds a write end: try the sentinel
            return;
        }

        _outqueue.Writer.Close();
        if (Started(_resultThread) && _resultThread != current)
        {
            _resultThread.Join(ThreadsStopWithin);
        }
    }

    private static bool Started(Thread thread) => thread.ThreadState != System.Threading.ThreadState.Unstarted;

    private unsafe void DrainOnce(byte[] buffer)
    {
        try
        {
            var fd = _inqueue.Reader.Fileno();
            if (PipeFrames.Poll(fd, Deadline.From(TimeSpan.Zero)))
            {
                fixed (byte* p = buffer)
                {
                    LibcPipe.Read(fd, p, (nuint)buffer.Length);
                }
            }
        }
        catch (ObjectDisposedException)
        {
            // Already released.
        }
    }
}
