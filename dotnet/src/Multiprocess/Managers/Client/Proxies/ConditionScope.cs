using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client.Proxies;

/// <summary>A held <see cref="ConditionProxy"/>: wait and notify over the connection that acquired it; disposing releases it.</summary>
public sealed class ConditionScope : AcquirerScope
{
    internal ConditionScope(ConditionProxy proxy, ManagerChannel? channel)
        : base(proxy, channel)
    {
    }

    /// <summary>Waits for a notification (<c>wait(timeout)</c>).</summary>
    /// <param name="timeout">The longest wait; null waits for ever.</param>
    /// <returns>False when the timeout passed.</returns>
    public bool Wait(TimeSpan? timeout = null) => (bool)Call("wait", PyTuple.Create(PyArguments.Seconds(timeout)))!;

    /// <summary>Waits asynchronously for a notification.</summary>
    /// <param name="timeout">The longest wait; null waits for ever.</param>
    /// <param name="cancellationToken">Cancels the wait (the scope's connection breaks: the lock can then no longer be released through it).</param>
    /// <returns>False when the timeout passed.</returns>
    public async ValueTask<bool> WaitAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        (bool)(await CallAsync("wait", PyTuple.Create(PyArguments.Seconds(timeout)), cancellationToken).ConfigureAwait(false))!;

    /// <summary>Waits until <paramref name="predicate"/> is true (Python's <c>wait_for</c>).</summary>
    /// <param name="predicate">The condition.</param>
    /// <param name="timeout">The longest total wait; null waits for ever.</param>
    /// <returns>The last value of the predicate.</returns>
    public bool WaitFor(Func<bool> predicate, TimeSpan? timeout = null) => ConditionProxy.WaitForCore(predicate, timeout, t => Wait(t));

    /// <summary>Wakes up to <paramref name="n"/> waiters.</summary>
    /// <param name="n">How many.</param>
    public void Notify(int n = 1) => Call("notify", PyTuple.Create((long)n));

    /// <summary>Wakes every waiter.</summary>
    public void NotifyAll() => Call("notify_all");

    /// <summary>Wakes up to <paramref name="n"/> waiters, asynchronously.</summary>
    /// <param name="n">How many.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the manager answered.</returns>
    public async ValueTask NotifyAsync(int n = 1, CancellationToken cancellationToken = default) =>
        await CallAsync("notify", PyTuple.Create((long)n), cancellationToken).ConfigureAwait(false);

    /// <summary>Wakes every waiter, asynchronously.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the manager answered.</returns>
    public async ValueTask NotifyAllAsync(CancellationToken cancellationToken = default) =>
        await CallAsync("notify_all", null, cancellationToken).ConfigureAwait(false);
}
