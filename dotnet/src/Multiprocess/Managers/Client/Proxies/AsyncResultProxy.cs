using System.Runtime.CompilerServices;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client.Proxies;

/// <summary>
/// A pool result in the manager (type id <c>AsyncResult</c>: what <c>apply_async</c>, <c>map_async</c> and
/// <c>starmap_async</c> return; an AutoProxy in Python). Awaitable: <c>await result</c> is <see cref="GetAsync"/>.
/// </summary>
public sealed class AsyncResultProxy : AutoProxy
{
    /// <summary>Initializes a new instance of the <see cref="AsyncResultProxy"/> class.</summary>
    /// <param name="args">What the manager passes to proxy factories.</param>
    public AsyncResultProxy(ProxyArgs args)
        : base(args)
    {
    }

    /// <summary>Returns the result, waiting for it (<c>get(timeout)</c>); the function's exception is thrown as its .NET counterpart.</summary>
    /// <param name="timeout">The longest wait; null waits for ever.</param>
    /// <returns>The result.</returns>
    /// <exception cref="TimeoutException">It is not ready in time (multiprocessing.TimeoutError).</exception>
    public object? Get(TimeSpan? timeout = null) => CallMethod("get", Args(timeout));

    /// <summary>Returns whether the call finished (<c>ready()</c>).</summary>
    /// <returns>True when ready.</returns>
    public bool Ready() => (bool)CallMethod("ready")!;

    /// <summary>Returns whether the call finished without an exception (<c>successful()</c>).</summary>
    /// <returns>True on success.</returns>
    /// <exception cref="ArgumentException">It is not ready yet (ValueError).</exception>
    public bool Successful() => (bool)CallMethod("successful")!;

    /// <summary>Waits for the result without taking it (<c>wait(timeout)</c>).</summary>
    /// <param name="timeout">The longest wait; null waits for ever.</param>
    public void Wait(TimeSpan? timeout = null) => CallMethod("wait", Args(timeout));

    /// <summary>Returns the result asynchronously.</summary>
    /// <param name="timeout">The longest wait; null waits for ever.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The result.</returns>
    /// <exception cref="TimeoutException">It is not ready in time.</exception>
    public ValueTask<object?> GetAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        CallMethodAsync("get", Args(timeout), cancellationToken: cancellationToken);

    /// <summary>Awaits the result (<see cref="GetAsync"/> without a timeout).</summary>
    /// <returns>The awaiter.</returns>
    public ValueTaskAwaiter<object?> GetAwaiter() => GetAsync().GetAwaiter();

    private static PyTuple Args(TimeSpan? timeout) =>
        PyArguments.Seconds(timeout) is { } seconds ? PyTuple.Create(seconds) : PyTuple.Empty;
}
