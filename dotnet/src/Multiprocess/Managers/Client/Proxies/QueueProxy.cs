using System.Runtime.CompilerServices;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client.Proxies;

/// <summary>
/// A <c>queue.Queue</c> in the manager (type ids <c>Queue</c> and <c>JoinableQueue</c>, or any registered
/// callable returning a queue, like the docs' <c>get_queue</c>). An <see cref="AutoProxy"/> in Python, pickled as one.
/// An empty (or full) queue raises <c>queue.Empty</c> (<c>queue.Full</c>), thrown as <see cref="TimeoutException"/>.
/// </summary>
public sealed class QueueProxy : AutoProxy
{
    /// <summary>Initializes a new instance of the <see cref="QueueProxy"/> class.</summary>
    /// <param name="args">What the manager passes to proxy factories.</param>
    public QueueProxy(ProxyArgs args)
        : base(args)
    {
    }

    /// <summary>Puts an item (Python's <c>put(item, block=True, timeout=None)</c>).</summary>
    /// <param name="item">The item.</param>
    /// <param name="block">Whether to wait for room in a bounded queue.</param>
    /// <param name="timeout">The longest wait; null waits for ever.</param>
    /// <exception cref="TimeoutException">The queue stayed full (<c>queue.Full</c>).</exception>
    /// <exception cref="RemoteException">The manager reported a traceback.</exception>
    public void Put(object? item, bool block = true, TimeSpan? timeout = null) => CallMethod("put", PutArgs(item, block, timeout));

    /// <summary>Puts an item without waiting (<c>put_nowait</c>).</summary>
    /// <param name="item">The item.</param>
    /// <exception cref="TimeoutException">The queue is full (<c>queue.Full</c>).</exception>
    public void PutNowait(object? item) => CallMethod("put_nowait", PyTuple.Create(item));

    /// <summary>Removes and returns an item (Python's <c>get(block=True, timeout=None)</c>).</summary>
    /// <param name="block">Whether to wait for an item.</param>
    /// <param name="timeout">The longest wait; null waits for ever.</param>
    /// <returns>The item.</returns>
    /// <exception cref="TimeoutException">No item came (<c>queue.Empty</c>).</exception>
    /// <exception cref="RemoteException">The manager reported a traceback.</exception>
    public object? Get(bool block = true, TimeSpan? timeout = null) => CallMethod("get", GetArgs(block, timeout));

    /// <summary>Removes and returns an item without waiting (<c>get_nowait</c>).</summary>
    /// <returns>The item.</returns>
    /// <exception cref="TimeoutException">The queue is empty (<c>queue.Empty</c>).</exception>
    public object? GetNowait() => CallMethod("get_nowait");

    /// <summary>Waits up to <paramref name="timeout"/> for an item.</summary>
    /// <param name="timeout">The longest wait.</param>
    /// <param name="item">The item, when one came.</param>
    /// <returns>False when the queue stayed empty.</returns>
    public bool TryGet(TimeSpan timeout, out object? item)
    {
        try
        {
            item = Get(block: true, timeout);
            return true;
        }
        catch (TimeoutException e) when (e.GetPythonException() is not null)
        {
            item = null;
            return false;
        }
    }

    /// <summary>Marks one fetched item as processed (<c>task_done</c>).</summary>
    /// <exception cref="ArgumentException">Called more times than there were items (ValueError).</exception>
    public void TaskDone() => CallMethod("task_done");

    /// <summary>Waits until every item put was marked done (<c>join</c>).</summary>
    public void Join() => CallMethod("join");

    /// <summary>Returns the approximate size (<c>qsize</c>).</summary>
    /// <returns>The number of items.</returns>
    public long QSize() => (long)CallMethod("qsize")!;

    /// <summary>Returns whether the queue is empty (<c>empty</c>).</summary>
    /// <returns>True when empty.</returns>
    public bool Empty() => (bool)CallMethod("empty")!;

    /// <summary>Returns whether a bounded queue is full (<c>full</c>).</summary>
    /// <returns>True when full.</returns>
    public bool Full() => (bool)CallMethod("full")!;

    /// <summary>Shuts the queue down (<c>shutdown(immediate)</c>, Python 3.13+ managers only).</summary>
    /// <param name="immediate">Whether to drop the queued items.</param>
    /// <exception cref="RemoteException">The manager's Python has no <c>Queue.shutdown</c> (before 3.13).</exception>
    public void Shutdown(bool immediate = false) => CallMethod("shutdown", immediate ? PyTuple.Create(true) : null);

    /// <summary>Puts an item asynchronously.</summary>
    /// <param name="item">The item.</param>
    /// <param name="block">Whether to wait for room.</param>
    /// <param name="timeout">The longest wait; null waits for ever.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the item is in the queue.</returns>
    /// <exception cref="TimeoutException">The queue stayed full.</exception>
    public async ValueTask PutAsync(object? item, bool block = true, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        await CallMethodAsync("put", PutArgs(item, block, timeout), cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>Removes and returns an item asynchronously.</summary>
    /// <param name="block">Whether to wait for an item.</param>
    /// <param name="timeout">The longest wait; null waits for ever.</param>
    /// <param name="cancellationToken">Cancels the call (the connection it used is closed; the manager may still take an item).</param>
    /// <returns>The item.</returns>
    /// <exception cref="TimeoutException">No item came.</exception>
    public ValueTask<object?> GetAsync(bool block = true, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        CallMethodAsync("get", GetArgs(block, timeout), cancellationToken: cancellationToken);

    /// <summary>Returns the approximate size asynchronously.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The number of items.</returns>
    public async ValueTask<long> QSizeAsync(CancellationToken cancellationToken = default) =>
        (long)(await CallMethodAsync("qsize", cancellationToken: cancellationToken).ConfigureAwait(false))!;

    /// <summary>Waits asynchronously until every item was marked done.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the queue is joined.</returns>
    public async ValueTask JoinAsync(CancellationToken cancellationToken = default) =>
        await CallMethodAsync("join", cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>Marks one item as processed, asynchronously.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the manager answered.</returns>
    public async ValueTask TaskDoneAsync(CancellationToken cancellationToken = default) =>
        await CallMethodAsync("task_done", cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Reads items as they arrive, for ever (until cancelled). Each wait is a <c>get(True, poll)</c> in the manager,
    /// so cancelling takes effect within <paramref name="poll"/> without breaking a connection.
    /// </summary>
    /// <param name="poll">How long each get waits in the manager (default 0.5 s).</param>
    /// <param name="cancellationToken">Ends the enumeration.</param>
    /// <returns>The items.</returns>
    public async IAsyncEnumerable<object?> ReadAllAsync(TimeSpan? poll = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var args = GetArgs(true, poll ?? TimeSpan.FromSeconds(0.5));
        while (!cancellationToken.IsCancellationRequested)
        {
            object? item;
            try
            {
                item = await CallMethodAsync("get", args, cancellationToken: CancellationToken.None).ConfigureAwait(false);
            }
            catch (TimeoutException e) when (e.GetPythonException() is not null)
            {
                continue;
            }

            yield return item;
        }
    }

    private static PyTuple PutArgs(object? item, bool block, TimeSpan? timeout) =>
        PyArguments.Seconds(timeout) is { } seconds ? PyTuple.Create(item, block, seconds)
        : block ? PyTuple.Create(item)
        : PyTuple.Create(item, false);

    private static PyTuple GetArgs(bool block, TimeSpan? timeout) =>
        PyArguments.Seconds(timeout) is { } seconds ? PyTuple.Create(block, seconds)
        : block ? PyTuple.Empty
        : PyTuple.Create(false);
}
