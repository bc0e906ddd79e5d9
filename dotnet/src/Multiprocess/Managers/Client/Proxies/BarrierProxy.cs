using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client.Proxies;

/// <summary>
/// A <c>threading.Barrier</c> in the manager (CPython's <c>BarrierProxy</c>). A broken barrier or a wait that times
/// out raises <c>threading.BrokenBarrierError</c>, thrown as a <see cref="PyRaisedException"/> of that type.
/// </summary>
public sealed class BarrierProxy : BaseProxy
{
    /// <summary>Initializes a new instance of the <see cref="BarrierProxy"/> class.</summary>
    /// <param name="args">What the manager passes to proxy factories.</param>
    public BarrierProxy(ProxyArgs args)
        : base(args)
    {
    }

    /// <summary>Gets the number of parties (<c>parties</c>).</summary>
    public long Parties => (long)CallMethod("__getattribute__", PyTuple.Create("parties"))!;

    /// <summary>Gets the number of parties waiting now (<c>n_waiting</c>).</summary>
    public long NWaiting => (long)CallMethod("__getattribute__", PyTuple.Create("n_waiting"))!;

    /// <summary>Gets a value indicating whether the barrier is broken (<c>broken</c>).</summary>
    public bool Broken => (bool)CallMethod("__getattribute__", PyTuple.Create("broken"))!;

    /// <inheritdoc/>
    protected override string PythonProxyClass => "BarrierProxy";

    /// <summary>Waits for every party (<c>wait(timeout)</c>).</summary>
    /// <param name="timeout">The longest wait; null uses the barrier's default.</param>
    /// <returns>This party's index, 0 to parties − 1.</returns>
    /// <exception cref="PyRaisedException">BrokenBarrierError: the barrier was broken, reset or aborted, or the wait timed out.</exception>
    public long Wait(TimeSpan? timeout = null) => (long)CallMethod("wait", PyTuple.Create(PyArguments.Seconds(timeout)))!;

    /// <summary>Waits for every party asynchronously.</summary>
    /// <param name="timeout">The longest wait; null uses the barrier's default.</param>
    /// <param name="cancellationToken">Cancels the wait (its connection is closed).</param>
    /// <returns>This party's index.</returns>
    public async ValueTask<long> WaitAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        (long)(await CallMethodAsync("wait", PyTuple.Create(PyArguments.Seconds(timeout)), cancellationToken: cancellationToken).ConfigureAwait(false))!;

    /// <summary>Breaks the barrier (<c>abort()</c>): current and future waiters fail.</summary>
    public void Abort() => CallMethod("abort");

    /// <summary>Returns the barrier to its initial state (<c>reset()</c>).</summary>
    public void Reset() => CallMethod("reset");
}
