using System.Diagnostics;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client.Proxies;

/// <summary>
/// A <c>threading.Condition</c> in the manager (CPython's <c>ConditionProxy</c>): acquire, then wait, notify and
/// notify_all on the same thread (or, asynchronously, on the <see cref="ConditionScope"/> that
/// <see cref="EnterAsync"/> returns). <see cref="WaitFor"/> evaluates its predicate here, as Python's does.
/// </summary>
public sealed class ConditionProxy : AcquirerProxy
{
    /// <summary>Initializes a new instance of the <see cref="ConditionProxy"/> class.</summary>
    /// <param name="args">What the manager passes to proxy factories.</param>
    public ConditionProxy(ProxyArgs args)
        : base(args)
    {
    }

    /// <inheritdoc/>
    protected override string PythonProxyClass => "ConditionProxy";

    /// <summary>Waits for a notification (<c>wait(timeout)</c>); the lock must be held by this thread.</summary>
    /// <param name="timeout">The longest wait; null waits for ever.</param>
    /// <returns>False when the timeout passed.</returns>
    /// <exception cref="InvalidOperationException">The lock is not held (RuntimeError: cannot wait on un-acquired lock).</exception>
    public bool Wait(TimeSpan? timeout = null) => (bool)CallMethod("wait", PyTuple.Create(PyArguments.Seconds(timeout)))!;

    /// <summary>Waits until <paramref name="predicate"/> is true (Python's <c>wait_for</c>: the predicate runs here, between waits).</summary>
    /// <param name="predicate">The condition to wait for.</param>
    /// <param name="timeout">The longest total wait; null waits for ever.</param>
    /// <returns>The last value of the predicate.</returns>
    public bool WaitFor(Func<bool> predicate, TimeSpan? timeout = null) => WaitForCore(predicate, timeout, t => Wait(t));

    /// <summary>Wakes up to <paramref name="n"/> waiters (<c>notify(n)</c>); the lock must be held.</summary>
    /// <param name="n">How many.</param>
    /// <exception cref="InvalidOperationException">The lock is not held (RuntimeError).</exception>
    public void Notify(int n = 1) => CallMethod("notify", PyTuple.Create((long)n));

    /// <summary>Wakes every waiter (<c>notify_all()</c>); the lock must be held.</summary>
    /// <exception cref="InvalidOperationException">The lock is not held (RuntimeError).</exception>
    public void NotifyAll() => CallMethod("notify_all");

    /// <summary>Acquires and returns a scope with wait and notify over the scope's connection.</summary>
    /// <returns>The scope.</returns>
    public new ConditionScope Enter() => (ConditionScope)base.Enter();

    /// <summary>Acquires asynchronously and returns a scope that keeps one connection for waits and notifies.</summary>
    /// <param name="cancellationToken">Cancels the wait for the lock.</param>
    /// <returns>The scope.</returns>
    public new async ValueTask<ConditionScope> EnterAsync(CancellationToken cancellationToken = default) =>
        (ConditionScope)await base.EnterAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc/>
    private protected override AcquirerScope CreateScope(ManagerChannel? channel) => new ConditionScope(this, channel);

    /// <summary>managers.py ConditionProxy.wait_for: check, then wait with the time left until the predicate holds.</summary>
    internal static bool WaitForCore(Func<bool> predicate, TimeSpan? timeout, Action<TimeSpan?> wait)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var result = predicate();
        if (result)
        {
            return result;
        }

        var start = Stopwatch.GetTimestamp();
        while (!result)
        {
            TimeSpan? waitTime = null;
            if (timeout is { } limit && limit != Timeout.InfiniteTimeSpan)
            {
                waitTime = limit - Stopwatch.GetElapsedTime(start);
                if (waitTime <= TimeSpan.Zero)
                {
                    break;
                }
            }

            wait(waitTime);
            result = predicate();
        }

        return result;
    }
}
