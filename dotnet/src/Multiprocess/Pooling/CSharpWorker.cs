using Multiprocess.Pickle;
using Multiprocess.Queues;

namespace Multiprocess.Pooling;

/// <summary>
/// A C# worker: a thread of this process running <c>multiprocessing.pool.worker</c>'s loop over the same task pipe
/// as the Python workers (taking <c>rlock</c> and reading whole frames), running the handler registered for each
/// task's function, and handing results straight to the pool (they pass through pickle once, so their types are
/// those a Python worker's would have).
/// </summary>
internal sealed class CSharpWorker
{
    private static readonly TimeSpan PollSlice = TimeSpan.FromMilliseconds(100);

    private readonly Pool _pool;
    private readonly SimpleQueue _inqueue;
    private readonly Thread _thread;
    private long _tasks;
    private long _busyJob = -1;
    private int _busyIndex = -1;

    public CSharpWorker(Pool pool, SimpleQueue inqueue, int number)
    {
        _pool = pool;
        _inqueue = inqueue;
        Name = $"CSharpPoolWorker-{number}";
        _thread = new Thread(Run) { IsBackground = true, Name = Name };
    }

    public string Name { get; }

    public long Tasks => Interlocked.Read(ref _tasks);

    /// <summary>Gets the task it runs, or (-1, -1).</summary>
    public (long Job, int Index) Busy => (Interlocked.Read(ref _busyJob), Volatile.Read(ref _busyIndex));

    public bool IsAlive => _thread.IsAlive;

    public void Start() => _thread.Start();

    public bool Join(TimeSpan timeout) => _thread.Join(timeout);

    private void Run()
    {
        while (!_pool.IsTerminating)
        {
            byte[]? frame;
            try
            {
                frame = _inqueue.GetFrame(PollSlice);
            }
            catch (Exception e) when (e is EndOfStreamException or IOException or ObjectDisposedException)
            {
                return;   // worker: except (EOFError, OSError): break
            }

            if (frame is null)
            {
                continue;
            }

            object? task;
            try
            {
                task = PickleSerializer.Loads(frame);
            }
            catch (Exception e) when (e is UnpicklingException or EndOfStreamException)
            {
                PoolLog.TaskNotUnpickled(_pool.Logger, Name, e.Message);
                continue;
            }

            if (task is null)
            {
                return;   // the sentinel
            }

            if (task is not PyTuple { Count: 5 } t || t[0] is not long job || t[1] is not long index)
            {
                PoolLog.TaskMalformed(_pool.Logger, Name, PyRepr.Repr(task));
                continue;
            }

            Interlocked.Increment(ref _tasks);
            Volatile.Write(ref _busyIndex, (int)index);
            Interlocked.Exchange(ref _busyJob, job);
            object? value = null;
            Exception? error = null;
            try
            {
                value = _pool.RunHandler(Unwrap(t));
            }
            catch (Exception e)
            {
                error = e;
            }

            _pool.Deliver(job, (int)index, value, error);
            Interlocked.Exchange(ref _busyJob, -1);
        }
    }

    /// <summary>The pool wraps each task as <c>(job, i, run, (job, i, func, args, kwds), {})</c>; unwrap it.</summary>
    private static (object? Func, PyTuple Args, PyDict Kwds) Unwrap(PyTuple task)
    {
        if (task[3] is PyTuple { Count: 5 } inner && task[2] is PyGlobal { Module: WorkerSlots.WrapperModule })
        {
            return (inner[2], inner[3] as PyTuple ?? PyTuple.Empty, inner[4] as PyDict ?? new PyDict());
        }

        return (task[2], task[3] as PyTuple ?? PyTuple.Empty, task[4] as PyDict ?? new PyDict());
    }
}
