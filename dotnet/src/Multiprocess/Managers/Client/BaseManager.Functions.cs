using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client;

/// <summary>The manager's public functions (CPython's <c>Server.public</c>), each over a one-shot connection.</summary>
public partial class BaseManager
{
    /// <summary>Returns how many shared objects the manager holds (Python's <c>_number_of_objects()</c>).</summary>
    /// <returns>The count of objects with a reference.</returns>
    /// <exception cref="IOException">The manager cannot be reached.</exception>
    /// <exception cref="AuthenticationException">The authkey is wrong.</exception>
    public long NumberOfObjects() => (long)_endpoint.Dispatch("number_of_objects", PyTuple.Empty)!;

    /// <summary>Returns how many shared objects the manager holds, asynchronously.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The count.</returns>
    /// <exception cref="IOException">The manager cannot be reached.</exception>
    public async ValueTask<long> NumberOfObjectsAsync(CancellationToken cancellationToken = default) =>
        (long)(await _endpoint.DispatchAsync("number_of_objects", PyTuple.Empty, null, cancellationToken).ConfigureAwait(false))!;

    /// <summary>Returns the manager's table of objects and reference counts (Python's <c>_debug_info()</c>).</summary>
    /// <returns>One <c>  id:       refcount=n\n    str(obj)</c> entry per object.</returns>
    /// <exception cref="IOException">The manager cannot be reached.</exception>
    public string DebugInfo() => (string)_endpoint.Dispatch("debug_info", PyTuple.Empty)!;

    /// <summary>
    /// Stops the manager process (the <c>shutdown</c> function): it answers, then exits within about a second.
    /// Afterwards proxies no longer send decrefs.
    /// </summary>
    /// <exception cref="IOException">The manager cannot be reached.</exception>
    /// <exception cref="AuthenticationException">The authkey is wrong.</exception>
    public void Shutdown()
    {
        ThrowIfDisposed();
        _endpoint.Dispatch("shutdown", PyTuple.Empty);
        Volatile.Write(ref _state, (int)ManagerState.Shutdown);
    }

    /// <summary>Starts a batch of proxy calls sent back to back on one connection (see <see cref="ManagerBatch"/>).</summary>
    /// <returns>An empty batch.</returns>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public ManagerBatch Batch()
    {
        ThrowIfDisposed();
        return new ManagerBatch(this);
    }

    /// <summary>
    /// Calls one of the manager's public functions over its own connection (managers.py <c>dispatch(conn, None,
    /// funcname, args, kwds)</c>), e.g. <c>track_segment</c> of a SharedMemoryManager.
    /// </summary>
    /// <param name="function">The function name (one of <c>Server.public</c>).</param>
    /// <param name="args">The arguments; null for none.</param>
    /// <param name="kwargs">The keyword arguments; null for none.</param>
    /// <returns>The <c>#RETURN</c> value.</returns>
    /// <exception cref="RemoteException">The manager answered with a traceback (e.g. the name is not public).</exception>
    /// <exception cref="IOException">The manager cannot be reached.</exception>
    public object? Dispatch(string function, PyTuple? args = null, PyDict? kwargs = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(function);
        ThrowIfDisposed();
        return _endpoint.Dispatch(function, args ?? PyTuple.Empty, kwargs);
    }
}
