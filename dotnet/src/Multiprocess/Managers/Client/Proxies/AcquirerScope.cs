using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client.Proxies;

/// <summary>
/// A held lock (Python's <c>with lock:</c> block): disposing it releases the lock, over the same connection that
/// acquired it when one was pinned (asynchronous and pooled scopes).
/// </summary>
public class AcquirerScope : IDisposable, IAsyncDisposable
{
    private readonly AcquirerProxy _proxy;
    private ManagerChannel? _channel;
    private int _released;

    internal AcquirerScope(AcquirerProxy proxy, ManagerChannel? channel)
    {
        _proxy = proxy;
        _channel = channel;
    }

    /// <summary>Gets the lock this scope holds.</summary>
    public AcquirerProxy Lock => _proxy;

    /// <summary>Releases the lock (Python's <c>__exit__</c> → <c>release()</c>).</summary>
    /// <exception cref="InvalidOperationException">The lock was not held by this connection (RuntimeError).</exception>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }

        GC.SuppressFinalize(this);
        if (_channel is not { } channel)
        {
            _proxy.CallMethod("release");
            return;
        }

        try
        {
            _proxy.CallOn(channel, "release");
        }
        finally
        {
            ReturnChannel();
        }
    }

    /// <summary>Releases the lock asynchronously.</summary>
    /// <returns>A task that completes when released.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }

        GC.SuppressFinalize(this);
        if (_channel is not { } channel)
        {
            await _proxy.CallMethodAsync("release").ConfigureAwait(false);
            return;
        }

        try
        {
            await _proxy.CallOnAsync(channel, "release", null, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            ReturnChannel();
        }
    }

    /// <summary>Calls a method of the lock on the scope's connection (this thread's when none is pinned).</summary>
    internal object? Call(string method, PyTuple? args = null)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _released) != 0, this);
        return _channel is { } channel ? _proxy.CallOn(channel, method, args) : _proxy.CallMethod(method, args);
    }

    /// <summary>Calls a method asynchronously on the scope's connection.</summary>
    internal ValueTask<object?> CallAsync(string method, PyTuple? args, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _released) != 0, this);
        return _channel is { } channel
            ? _proxy.CallOnAsync(channel, method, args, cancellationToken)
            : _proxy.CallMethodAsync(method, args, cancellationToken: cancellationToken);
    }

    private void ReturnChannel()
    {
        if (Interlocked.Exchange(ref _channel, null) is { } channel)
        {
            _proxy.Endpoint.Return(channel, pooled: true);
        }
    }
}
