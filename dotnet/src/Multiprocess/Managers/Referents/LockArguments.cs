using Multiprocess.Managers.Python;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Referents;

/// <summary><c>_thread.lock.acquire(blocking=True, timeout=-1)</c> argument rules, shared by Lock and RLock.</summary>
internal static class LockArguments
{
    private static readonly PySignature s_acquire = new("acquire", ["blocking", "timeout"], [true, -1L]);

    /// <summary>Binds and validates; returns whether to block and until when.</summary>
    /// <exception cref="Pickle.PyRaisedException">ValueError/TypeError as CPython raises them.</exception>
    public static (bool Blocking, Deadline Deadline) Acquire(PyTuple args, PyDict kwargs)
    {
        var a = default(Arguments); // bound on the stack: no allocation per call
        s_acquire.Bind(args, kwargs, a);
        var blocking = PyValues.IsTrue(a[0]);
        if (a[1] is null)
        {
            throw PyErrors.TypeError("'NoneType' object cannot be interpreted as an integer");
        }

        var timeout = PyValues.AsDouble(a[1]);
        if (!blocking && timeout != -1)
        {
            throw PyErrors.ValueError("can't specify a timeout for a non-blocking call");
        }

        if (timeout < 0 && timeout != -1)
        {
            throw PyErrors.ValueError("timeout value must be a non-negative number");
        }

        return (blocking, timeout == -1 ? Deadline.Never : Deadline.FromSeconds(timeout));
    }
}
