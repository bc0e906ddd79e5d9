using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client.Proxies;

/// <summary>A <c>threading.Event</c> in the manager (CPython's <c>EventProxy</c>).</summary>
public sealed class EventProxy : BaseProxy
{
    /// <summary>Initializes a new instance of the <see cref="EventProxy"/> class.</summary>
    /// <param name="args">What the manager passes to proxy factories.</param>
    public EventProxy(ProxyArgs args)
        : base(args)
    {
    }

    /// <inheritdoc/>
    protected override string PythonProxyClass => "EventProxy";

    /// <summary>Returns whether the flag is set (<c>is_set()</c>).</summary>
    /// <returns>The flag.</returns>
    public bool IsSet() => (bool)CallMethod("is_set")!;

    /// <summary>Sets the flag, waking every waiter (<c>set()</c>).</summary>
    public void Set() => CallMethod("set");

    /// <summary>Clears the flag (<c>clear()</c>).</summary>
    public void Clear() => CallMethod("clear");

    /// <summary>Waits until the flag is set (<c>wait(timeout)</c>).</summary>
    /// <param name="timeout">The longest wait; null waits for ever.</param>
    /// <returns>The flag on return: false when the timeout passed.</returns>
    public bool Wait(TimeSpan? timeout = null) => (bool)CallMethod("wait", PyTuple.Create(PyArguments.Seconds(timeout)))!;

    /// <summary>Waits asynchronously until the flag is set.</summary>
    /// <param name="timeout">The longest wait; null waits for ever.</param>
    /// <param name="cancellationToken">Cancels the wait (its connection is closed).</param>
    /// <returns>The flag on return.</returns>
    public async ValueTask<bool> WaitAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        (bool)(await CallMethodAsync("wait", PyTuple.Create(PyArguments.Seconds(timeout)), cancellationToken: cancellationToken).ConfigureAwait(false))!;

    /// <summary>Sets the flag asynchronously.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when set.</returns>
    public async ValueTask SetAsync(CancellationToken cancellationToken = default) =>
        await CallMethodAsync("set", cancellationToken: cancellationToken).ConfigureAwait(false);
}
