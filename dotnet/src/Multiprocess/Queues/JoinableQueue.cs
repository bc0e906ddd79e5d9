using Multiprocess.Pickle;
using Multiprocess.Reduction;
using Multiprocess.Synchronize;
using Conn = Multiprocess.Connection.Connection;
using SyncLock = Multiprocess.Synchronize.Lock;
using SyncSemaphore = Multiprocess.Synchronize.Semaphore;

namespace Multiprocess.Queues;

/// <summary>
/// CPython's <c>multiprocessing.JoinableQueue</c> (docs/protocols.md §4.2): a <see cref="Queue"/> that also counts
/// unfinished tasks in a shared <see cref="SyncSemaphore"/> under a shared <see cref="Condition"/>, so that
/// <see cref="Join"/> in any process (C# or Python) waits until every item put has been marked done with
/// <see cref="TaskDone"/> in any process.
/// </summary>
public sealed class JoinableQueue : Queue
{
    /// <summary>Creates a joinable queue.</summary>
    /// <param name="maxSize">The most items it holds; 0 or less means <see cref="SemLock.SemValueMax"/>.</param>
    /// <param name="package"><c>multiprocessing</c> or <c>multiprocess</c>.</param>
    /// <param name="registry">Type bindings for pickling items; null for <see cref="ForkingPickler.GetRegistry"/>.</param>
    /// <exception cref="IOException">A pipe or semaphore could not be created.</exception>
    public JoinableQueue(int maxSize = 0, string package = "multiprocessing", PyTypeRegistry? registry = null)
        : base(maxSize, package, registry)
    {
        UnfinishedTasks = new SyncSemaphore(0);
        Condition = new Condition();
    }

    private JoinableQueue(Queue parts, Condition condition, SyncSemaphore unfinished)
        : base(parts.IgnoreEpipe, parts.MaxSize, parts.Reader, parts.Writer, parts.RLock, parts.WLock, parts.Semaphore, parts.OwnerPid, parts.Package)
    {
        Condition = condition;
        UnfinishedTasks = unfinished;
    }

    /// <summary>Gets the condition <see cref="Join"/> waits on (<c>_cond</c>).</summary>
    public Condition Condition { get; }

    /// <summary>Gets the count of items put and not yet marked done (<c>_unfinished_tasks</c>).</summary>
    public SyncSemaphore UnfinishedTasks { get; }

    /// <summary>Puts an item and counts it as an unfinished task (CPython <c>JoinableQueue.put</c>).</summary>
    /// <param name="item">The item.</param>
    /// <param name="block">Wait for room.</param>
    /// <param name="timeout">The longest wait for room; null waits as long as it takes.</param>
    /// <exception cref="QueueFullException">No room in time.</exception>
    /// <exception cref="PicklingException">The item cannot be pickled.</exception>
    /// <exception cref="InvalidOperationException">The queue is closed.</exception>
    public override void Put(object? item, bool block = true, TimeSpan? timeout = null)
    {
        ThrowIfClosed();
        if (!Semaphore.Acquire(block, timeout))
        {
            throw new QueueFullException();
        }

        var frame = FrameOrRelease(item);

        // queues.py: with self._notempty, self._cond: ... self._unfinished_tasks.release() — counted before a reader
        // can see the item, so join() never returns while it is in flight.
        using (Condition.EnterScope())
        {
            UnfinishedTasks.Release();
            Enqueue(frame);
        }
    }

    /// <summary>Marks one item done (CPython <c>task_done()</c>); the last one wakes every <see cref="Join"/>.</summary>
    /// <exception cref="InvalidOperationException">More calls than items put ("task_done() called too many times").</exception>
    public void TaskDone()
    {
        using (Condition.EnterScope())
        {
            if (!UnfinishedTasks.Acquire(block: false))
            {
                throw new InvalidOperationException("task_done() called too many times");
            }

            if (UnfinishedTasks.IsZero())
            {
                Condition.NotifyAll();
            }
        }
    }

    /// <summary>Waits until every item put has been marked done (CPython <c>join()</c>).</summary>
    /// <param name="timeout">The longest wait; null waits as long as it takes.</param>
    /// <returns>False if the wait timed out.</returns>
    public bool Join(TimeSpan? timeout = null)
    {
        using (Condition.EnterScope())
        {
            return UnfinishedTasks.IsZero() || Condition.Wait(timeout);
        }
    }

    /// <summary>What CPython writes when it sends this queue to a spawned child: the Queue 8-tuple plus
    /// <c>(cond, unfinished_tasks)</c>.</summary>
    /// <returns>The reduce value.</returns>
    /// <exception cref="InvalidOperationException">No child is being spawned on this thread.</exception>
    public override PyReduce Reduce()
    {
        SpawningPopen.AssertSpawning(nameof(JoinableQueue));
        return PyReduce.NewObj(
            PickledShapes.Global(Package, "queues", "JoinableQueue"),
            state: new PyTuple([.. QueueState(), Condition, UnfinishedTasks]));
    }

    /// <summary>Rebuilds a joinable queue from CPython's pickled 10-tuple state.</summary>
    /// <param name="value">NEWOBJ(queues.JoinableQueue) + BUILD 10-tuple.</param>
    /// <returns>The queue.</returns>
    /// <exception cref="InvalidDataException">The value is not a pickled JoinableQueue.</exception>
    public static new JoinableQueue Rebuild(PyReduce value)
    {
        var state = StateOf(value, "JoinableQueue", 10);
        var asQueue = PyReduce.NewObj(PickledShapes.Global(PackageOf(value), "queues", "Queue"), state: new PyTuple(state.AsSpan()[..8].ToArray()));
        return new JoinableQueue(Queue.Rebuild(asQueue), As<Condition>(state[8], "cond"), As<SyncSemaphore>(state[9], "unfinished_tasks"));
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            Condition.Dispose();
            UnfinishedTasks.Dispose();
        }
    }
}
