using Multiprocess.Managers.Python;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Referents;

/// <summary>
/// <c>queue.Queue(maxsize=0)</c> (type ids <c>Queue</c> and <c>JoinableQueue</c>, AutoProxy), CPython 3.13's
/// algorithm including <c>shutdown(immediate=False)</c>: three conditions over one mutex, items kept as unpickled
/// values so they come back as stored. A <c>get</c> whose client hung up takes no item (the hang-up is looked for
/// right before the take), and an item whose reply cannot be sent is given back to the front of the queue
/// (<see cref="IGivesBack"/>); what is left is a TCP client that dies after the take: docs/limits.md.
/// </summary>
internal sealed class SharedQueue : Referent, IGivesBack
{
    /// <summary>What CPython 3.13's <c>public_methods(queue.Queue())</c> returns (3.8–3.12 lack <c>shutdown</c>).</summary>
    public static readonly string[] Exposed =
        ["empty", "full", "get", "get_nowait", "join", "put", "put_nowait", "qsize", "shutdown", "task_done"];

    private static readonly PySignature s_init = new("Queue", ["maxsize"], [0L]);
    private static readonly PySignature s_put = new("put", ["item", "block", "timeout"], [PySignature.Required, true, null]);
    private static readonly PySignature s_putNowait = new("put_nowait", ["item"], [PySignature.Required]);
    private static readonly PySignature s_get = new("get", ["block", "timeout"], [true, null]);
    private static readonly PySignature s_shutdown = new("shutdown", ["immediate"], [false]);
    private static readonly PySignature s_getNowait = PySignature.None("get_nowait");
    private static readonly PySignature s_qsize = PySignature.None("qsize");
    private static readonly PySignature s_empty = PySignature.None("empty");
    private static readonly PySignature s_full = PySignature.None("full");
    private static readonly PySignature s_taskDone = PySignature.None("task_done");
    private static readonly PySignature s_join = PySignature.None("join");

    private readonly object _mutex = new();
    private readonly WaitList _notEmpty = new();
    private readonly WaitList _notFull = new();
    private readonly WaitList _allTasksDone = new();
    private readonly Queue<object?> _items = new();
    private readonly long _maxsize;
    private long _unfinishedTasks;
    private bool _isShutdown;

    private SharedQueue(long maxsize) => _maxsize = maxsize;

    public static SharedQueue Create(PyTuple args, PyDict kwargs)
    {
        var maxsize = s_init.Bind(args, kwargs)[0];
        return new SharedQueue(maxsize is double d ? (long)d : PyValues.AsIndex(maxsize));
    }

    public override IEnumerable<string> PublicMethods() => Exposed;

    public override object? CallMethod(string name, PyTuple args, PyDict kwargs, SharedCallContext context)
    {
        switch (name)
        {
            case "put":
                var p = default(Arguments); // bound on the stack: no allocation per call
                s_put.Bind(args, kwargs, p);
                Put(context, p[0], PyValues.IsTrue(p[1]), p[2]);
                return null;
            case "put_nowait":
                Put(context, s_putNowait.Bind(args, kwargs)[0], block: false, timeout: null);
                return null;
            case "get":
                var g = default(Arguments);
                s_get.Bind(args, kwargs, g);
                return Get(context, PyValues.IsTrue(g[0]), g[1]);
            case "get_nowait":
                s_getNowait.BindNone(args, kwargs);
                return Get(context, block: false, timeout: null);
            case "qsize":
                s_qsize.BindNone(args, kwargs);
                lock (_mutex)
                {
                    return (long)_items.Count;
                }

            case "empty":
                s_empty.BindNone(args, kwargs);
                lock (_mutex)
                {
                    return _items.Count == 0;
                }

            case "full":
                s_full.BindNone(args, kwargs);
                lock (_mutex)
                {
                    return _maxsize > 0 && _items.Count >= _maxsize;
                }

            case "task_done":
                s_taskDone.BindNone(args, kwargs);
                TaskDone();
                return null;
            case "join":
                s_join.BindNone(args, kwargs);
                Join(context);
                return null;
            case "shutdown":
                Shutdown(PyValues.IsTrue(s_shutdown.Bind(args, kwargs)[0]));
                return null;
            default:
                throw NoSuchMethod("Queue", name);
        }
    }

    public override string Repr() => $"<queue.Queue object at {Address}>";

    private static double? CheckTimeout(object? timeout)
    {
        var t = PyValues.AsTimeout(timeout);
        return t < 0 ? throw PyErrors.ValueError("'timeout' must be a non-negative number") : t;
    }

    private void Put(SharedCallContext context, object? item, bool block, object? timeout)
    {
        lock (_mutex)
        {
            if (_isShutdown)
            {
                throw PyErrors.QueueShutDown();
            }

            if (_maxsize > 0)
            {
                if (!block)
                {
                    if (_items.Count >= _maxsize)
                    {
                        throw PyErrors.QueueFull();
                    }
                }
                else
                {
                    var deadline = Deadline.FromSeconds(CheckTimeout(timeout));
                    while (_items.Count >= _maxsize)
                    {
                        if (deadline.Expired)
                        {
                            throw PyErrors.QueueFull();
                        }

                        _notFull.Wait(_mutex, context, deadline);
                        if (_isShutdown)
                        {
                            throw PyErrors.QueueShutDown();
                        }
                    }
                }
            }

            _items.Enqueue(item);
            _unfinishedTasks++;
            _notEmpty.Notify(1);
        }
    }

    private object? Get(SharedCallContext context, bool block, object? timeout)
    {
        var peerChecked = false;
        lock (_mutex)
        {
            if (_isShutdown && _items.Count == 0)
            {
                throw PyErrors.QueueShutDown();
            }

            if (!block)
            {
                if (_items.Count == 0)
                {
                    throw PyErrors.QueueEmpty();
                }
            }
            else
            {
                var deadline = Deadline.FromSeconds(CheckTimeout(timeout));
                while (_items.Count == 0)
                {
                    if (deadline.Expired)
                    {
                        throw PyErrors.QueueEmpty();
                    }

                    // A wait that was notified has just asked whether the client is still there (WaitList.Wait).
                    peerChecked = _notEmpty.Wait(_mutex, context, deadline);
                    if (_isShutdown && _items.Count == 0)
                    {
                        throw PyErrors.QueueShutDown();
                    }
                }
            }

            // The request may have been read after its client hung up (a get sent just before a kill, served late):
            // one poll(2) for POLLRDHUP/POLLHUP, so that such a get takes nothing. On AF_UNIX a reply to a closed
            // peer fails (EPIPE) and the item would be given back anyway; on TCP that send succeeds into a dead
            // connection, so this check is what keeps the item. It stays on both families by default: skipping it on
            // AF_UNIX (MULTIPROCESS_QUEUE_PEER_CHECK=tcp) saves the system call but cost 4 clients more CPU in paired
            // rounds, twice (docs/manager-server/queue-lock-one-client.md).
            if (!peerChecked && context.IsPeerGoneBeforeTake())
            {
                throw new SessionAbortedException();
            }

            var item = _items.Dequeue();
            _notFull.Notify(1);
            context.NoteTaken(this, item);
            return item;
        }
    }

    /// <summary>An item whose reply could not be sent goes back to the front, where it was taken from.</summary>
    public void GiveBack(object? taken)
    {
        lock (_mutex)
        {
            // Rare (a client gone between the check and the reply): the O(n) rebuild keeps the queue a Queue<T>.
            var rest = _items.ToArray();
            _items.Clear();
            _items.Enqueue(taken);
            foreach (var item in rest)
            {
                _items.Enqueue(item);
            }

            _notEmpty.Notify(1);
        }
    }

    private void TaskDone()
    {
        lock (_mutex)
        {
            var unfinished = _unfinishedTasks - 1;
            if (unfinished <= 0)
            {
                if (unfinished < 0)
                {
                    throw PyErrors.ValueError("task_done() called too many times");
                }

                _allTasksDone.NotifyAll();
            }

            _unfinishedTasks = unfinished;
        }
    }

    private void Join(SharedCallContext context)
    {
        lock (_mutex)
        {
            while (_unfinishedTasks != 0)
            {
                _allTasksDone.Wait(_mutex, context, Deadline.Never);
            }
        }
    }

    private void Shutdown(bool immediate)
    {
        lock (_mutex)
        {
            _isShutdown = true;
            if (immediate)
            {
                while (_items.Count > 0)
                {
                    _items.Dequeue();
                    if (_unfinishedTasks > 0)
                    {
                        _unfinishedTasks--;
                    }
                }

                _allTasksDone.NotifyAll();
            }

            _notEmpty.NotifyAll();
            _notFull.NotifyAll();
        }
    }
}
