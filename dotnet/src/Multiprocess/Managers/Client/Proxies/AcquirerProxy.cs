using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client.Proxies;

/// <summary>
/// A <c>threading.Lock</c>, <c>RLock</c>, <c>Semaphore</c> or <c>BoundedSemaphore</c> in the manager (CPython's
/// <c>AcquirerProxy</c>). The lock is held by the manager thread that serves the caller's connection, so an RLock
/// acquired on one thread must be released on the same thread (as in Python); asynchronous code keeps one
/// connection for the whole hold with <see cref="EnterAsync"/>.
/// </summary>
/// <example><code>
/// using (lockProxy.Enter()) { /* held */ }
/// if (semaphore.Acquire(timeout: TimeSpan.FromSeconds(1))) { try { … } finally { semaphore.Release(); } }
/// await using (await lockProxy.EnterAsync()) { … }
/// </code></example>
public class AcquirerProxy : BaseProxy
{
    /// <summary>Initializes a new instance of the <see cref="AcquirerProxy"/> class.</summary>
    /// <param name="args">What the manager passes to proxy factories.</param>
    public AcquirerProxy(ProxyArgs args)
        : base(args)
    {
    }

    /// <inheritdoc/>
    protected override string PythonProxyClass => "AcquirerProxy";

    /// <summary>Acquires (Python's <c>acquire(blocking=True, timeout=None)</c>).</summary>
    /// <param name="blocking">Whether to wait.</param>
    /// <param name="timeout">The longest wait; null waits for ever.</param>
    /// <returns>True when acquired.</returns>
    /// <exception cref="ArgumentException">A timeout was given with <paramref name="blocking"/> false (ValueError).</exception>
    public bool Acquire(bool blocking = true, TimeSpan? timeout = null) => (bool)CallMethod("acquire", AcquireArgs(blocking, timeout))!;

    /// <summary>Releases (<c>release()</c>).</summary>
    /// <exception cref="InvalidOperationException">The lock is not held by this thread's connection (RuntimeError).</exception>
    /// <exception cref="ArgumentException">A BoundedSemaphore was released too often (ValueError).</exception>
    public void Release() => CallMethod("release");

    /// <summary>
    /// Returns whether the lock is held by anyone (<c>locked()</c>, exposed by CPython 3.14's <c>AcquirerProxy</c> and
    /// <c>ConditionProxy</c>, and by the C# server to clients that pickle with protocol 5). <c>threading.Semaphore</c>
    /// has no such method: a 3.14 manager answers AttributeError for semaphores.
    /// </summary>
    /// <returns>True when held.</returns>
    /// <exception cref="NotSupportedException">The manager does not expose <c>locked</c> for this object (CPython 3.8–3.13, <c>multiprocess</c> before 0.70.19): the message lists what it exposes.</exception>
    public bool Locked()
    {
        RequireExposed("locked", "CPython 3.14");
        return (bool)CallMethod("locked")!;
    }

    /// <summary>The asynchronous <see cref="Locked"/>.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>True when held.</returns>
    /// <exception cref="NotSupportedException">The manager does not expose <c>locked</c> for this object.</exception>
    public async ValueTask<bool> LockedAsync(CancellationToken cancellationToken = default)
    {
        RequireExposed("locked", "CPython 3.14");
        return (bool)(await CallMethodAsync("locked", cancellationToken: cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Acquires asynchronously (on a pooled connection: use <see cref="EnterAsync"/> for an RLock or a Condition).</summary>
    /// <param name="blocking">Whether to wait.</param>
    /// <param name="timeout">The longest wait; null waits for ever.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>True when acquired.</returns>
    public async ValueTask<bool> AcquireAsync(bool blocking = true, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        (bool)(await CallMethodAsync("acquire", AcquireArgs(blocking, timeout), cancellationToken: cancellationToken).ConfigureAwait(false))!;

    /// <summary>Releases asynchronously.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when released.</returns>
    public async ValueTask ReleaseAsync(CancellationToken cancellationToken = default) =>
        await CallMethodAsync("release", cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>Acquires and returns a scope that releases when disposed (Python's <c>with lock:</c>).</summary>
    /// <returns>The scope.</returns>
    public AcquirerScope Enter()
    {
        if (!Endpoint.SyncCallsArePooled)
        {
            // Python: __enter__ → _callmethod('acquire'); this thread's connection serves the whole hold.
            CallMethod("acquire");
            return CreateScope(null);
        }

        var channel = Endpoint.RentPooled();
        try
        {
            CallOn(channel, "acquire");
        }
        catch
        {
            Endpoint.Return(channel, pooled: true);
            throw;
        }

        return CreateScope(channel);
    }

    /// <summary>Acquires asynchronously and returns a scope that keeps one connection (so one manager thread owns the lock) until it is disposed.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The scope.</returns>
    public async ValueTask<AcquirerScope> EnterAsync(CancellationToken cancellationToken = default)
    {
        var channel = await Endpoint.RentAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await CallOnAsync(channel, "acquire", null, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Endpoint.Return(channel, pooled: true);
            throw;
        }

        return CreateScope(channel);
    }

    /// <summary>Makes the scope object <see cref="Enter"/> returns.</summary>
    /// <param name="channel">The pinned connection, or null for this thread's.</param>
    /// <returns>The scope.</returns>
    private protected virtual AcquirerScope CreateScope(ManagerChannel? channel) => new(this, channel);

    private static PyTuple AcquireArgs(bool blocking, TimeSpan? timeout) =>
        // managers.py AcquirerProxy.acquire: (blocking,) if timeout is None else (blocking, timeout)
        PyArguments.Seconds(timeout) is { } seconds ? PyTuple.Create(blocking, seconds) : PyTuple.Create(blocking);
}
