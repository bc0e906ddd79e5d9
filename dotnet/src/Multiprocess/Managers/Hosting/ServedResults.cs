using Multiprocess.Managers.Referents;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Hosting;

/// <summary>How a served Pool's results reach a Python client (<see cref="ServedPool"/>): waits that notice a client
/// that hung up, values as CPython pickles them, and failures as the exception the worker raised.</summary>
internal static class ServedResults
{
    /// <summary>Waits for <paramref name="task"/> (null: as long as it takes); false when the timeout passed first.
    /// Every <see cref="Waiter.PeerCheckInterval"/> it checks that the client is still there.</summary>
    /// <exception cref="SessionAbortedException">The client hung up or the server is stopping.</exception>
    public static bool Wait(Task task, double? timeout, SharedCallContext context)
    {
        var deadline = Deadline.FromSeconds(timeout);
        while (true)
        {
            if (WaitQuietly(task, deadline.RemainingMilliseconds(Waiter.PeerCheckInterval)))
            {
                return true;
            }

            if (deadline.Expired)
            {
                return false;
            }

            CheckPeer(context);
        }
    }

    /// <exception cref="SessionAbortedException">The client hung up or the server is stopping.</exception>
    public static void CheckPeer(SharedCallContext context)
    {
        if (context.Aborted || context.IsPeerGone())
        {
            throw new SessionAbortedException($"client {context.ClientName} hung up while waiting for a Pool result");
        }
    }

    /// <summary>The result of a finished task, as the client gets it; a failure is raised as the worker's exception.</summary>
    /// <exception cref="RaisedValueException">The task raised: the worker's exception, passed on unchanged.</exception>
    /// <exception cref="PyRaisedException">The pool failed the task (a worker died, the pool was terminated).</exception>
    public static object? ValueOf(Task task)
    {
        if (task.Exception is { } aggregate)
        {
            throw Raise(aggregate.InnerException ?? aggregate);
        }

        return task switch
        {
            Task<IReadOnlyList<object?>> map => new List<object?>(map.Result),
            Task<object?> apply => apply.Result,
            _ => null,
        };
    }

    /// <summary>A failure as Python raises it: the worker's exception as its library pickled it (what CPython's
    /// server sends after <c>rebuild_exc</c>: the exception, whose <c>__cause__</c> does not travel); a pool-side
    /// failure (a worker died, the pool was terminated) mapped by its .NET type.</summary>
    public static Exception Raise(Exception error)
    {
        var value = error is RemoteException { PythonValue: { } v } ? v : null;
        if (value is PyReduce { Callable: PyGlobal { Name: "rebuild_exc" }, Args: { Count: 2 } args })
        {
            value = args[0];
        }

        return value is null
            ? new PyRaisedException(PyException.FromException(error))
            : new RaisedValueException(value, error.Message);
    }

    /// <summary>The failure as the error callback gets it: the worker's exception with its remote traceback
    /// (<c>rebuild_exc(exc, tb)</c>, as pool.py's result handler unpickles it).</summary>
    public static object? CallbackErrorOf(Exception error) =>
        error is RemoteException { PythonValue: { } v } ? v : PyException.FromException(error);

    /// <summary><c>multiprocessing.TimeoutError</c> of the client's library.</summary>
    public static PyRaisedException Timeout(string package) => new(PyException.Create(package + ".context", "TimeoutError"));

    private static bool WaitQuietly(Task task, int milliseconds)
    {
        try
        {
            return task.Wait(milliseconds);
        }
        catch (AggregateException)
        {
            return true;   // failed: finished
        }
    }
}
