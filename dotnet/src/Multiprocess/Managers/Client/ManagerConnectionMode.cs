using Multiprocess.Managers.Client.Proxies;

namespace Multiprocess.Managers.Client;

/// <summary>How a manager client holds its persistent proxy connections (each one is a thread in the manager).</summary>
public enum ManagerConnectionMode
{
    /// <summary>
    /// One connection per thread and manager, as Python's <c>BaseProxy</c> keeps them. Locks, RLocks and
    /// Conditions are owned by the manager thread serving a connection, so acquire and release on one thread pair
    /// up exactly as in Python. Asynchronous calls still use the pool.
    /// </summary>
    PerThread,

    /// <summary>
    /// Every call takes an idle connection from a pool (opening one when none is idle) and gives it back. Fewer
    /// connections when many short-lived threads call; lock ownership needs a scope
    /// (<see cref="AcquirerProxy.Enter"/>), which keeps one connection until it is disposed.
    /// </summary>
    Pooled,
}
