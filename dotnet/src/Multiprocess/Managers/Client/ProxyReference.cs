using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client;

/// <summary>
/// The one reference a live proxy holds in its manager (CPython's <c>BaseProxy._incref</c> / <c>_decref</c>
/// finalizer): released once, by <see cref="BaseProxy.Dispose()"/>, by the proxy's finalizer (through
/// <see cref="DecrefWorker"/>), or when the manager client is disposed. It does not reference the proxy, so the
/// proxy can be collected while the manager keeps the reference in its live set.
/// </summary>
internal sealed class ProxyReference(ManagerEndpoint endpoint, string id)
{
    private int _claimed;
    private int _sent;

    public ManagerEndpoint Endpoint => endpoint;

    public string Id => id;

    /// <summary>Marks the reference as being released; true for the first caller only.</summary>
    public bool TryClaim() => Interlocked.Exchange(ref _claimed, 1) == 0;

    /// <summary>Sends the one-shot <c>decref</c> unless it was sent already or the manager was shut down (managers.py <c>_decref</c>: errors are ignored).</summary>
    public void DecrefNow()
    {
        if (!TrySend())
        {
            return;
        }

        try
        {
            endpoint.Dispatch("decref", PyTuple.Create(id));
        }
        catch (Exception e) when (e is ProcessException or IOException or ObjectDisposedException or TimeoutException or KeyNotFoundException or InvalidOperationException)
        {
            // managers.py _decref: "... decref failed %s" is only logged; the object may be gone with its manager.
        }
    }

    /// <summary>The asynchronous <see cref="DecrefNow"/>.</summary>
    public async ValueTask DecrefNowAsync()
    {
        if (!TrySend())
        {
            return;
        }

        try
        {
            await endpoint.DispatchAsync("decref", PyTuple.Create(id), null, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ProcessException or IOException or ObjectDisposedException or TimeoutException or KeyNotFoundException or InvalidOperationException)
        {
            // As DecrefNow.
        }
    }

    private bool TrySend()
    {
        if (Interlocked.Exchange(ref _sent, 1) != 0)
        {
            return false;
        }

        var manager = endpoint.Manager;
        manager.Untrack(this);
        return manager.State == ManagerState.Started;
    }
}
