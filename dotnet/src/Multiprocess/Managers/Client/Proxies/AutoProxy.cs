using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client.Proxies;

/// <summary>
/// The generic proxy for any type id (CPython's <c>AutoProxy</c>): call the referent's exposed methods by name.
/// Pickled as <c>RebuildProxy(AutoProxy, token, 'pickle', {'exposed': …})</c>.
/// </summary>
/// <example><code>
/// var counter = manager.Create("Counter");          // registered without a proxy type
/// ((AutoProxy)counter).Call("increment", 5);
/// </code></example>
public class AutoProxy : BaseProxy
{
    /// <summary>Initializes a new instance of the <see cref="AutoProxy"/> class.</summary>
    /// <param name="args">What the manager passes to proxy factories.</param>
    public AutoProxy(ProxyArgs args)
        : base(args)
    {
    }

    /// <summary>Calls an exposed method with positional arguments (<c>proxy.method(*args)</c>).</summary>
    /// <param name="method">The method name.</param>
    /// <param name="args">The arguments.</param>
    /// <returns>The result.</returns>
    /// <exception cref="MissingMemberException">The manager does not expose <paramref name="method"/> for this object (Python's AttributeError on an AutoProxy).</exception>
    /// <exception cref="RemoteException">The manager reported a traceback.</exception>
    /// <exception cref="ObjectDisposedException">The proxy was disposed.</exception>
    public object? Call(string method, params object?[] args) => Call(method, new PyTuple(args), null);

    /// <summary>Calls an exposed method with positional and keyword arguments (<c>proxy.method(*args, **kwargs)</c>).</summary>
    /// <param name="method">The method name.</param>
    /// <param name="args">The positional arguments.</param>
    /// <param name="kwargs">The keyword arguments; null for none.</param>
    /// <returns>The result.</returns>
    /// <exception cref="MissingMemberException">The manager does not expose <paramref name="method"/> for this object.</exception>
    /// <exception cref="RemoteException">The manager reported a traceback.</exception>
    public object? Call(string method, PyTuple args, PyDict? kwargs)
    {
        CheckExposed(method);
        return CallMethod(method, args, kwargs);
    }

    /// <summary>Calls an exposed method asynchronously.</summary>
    /// <param name="method">The method name.</param>
    /// <param name="args">The positional arguments; null for none.</param>
    /// <param name="kwargs">The keyword arguments; null for none.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The result.</returns>
    /// <exception cref="MissingMemberException">The manager does not expose <paramref name="method"/> for this object.</exception>
    /// <exception cref="RemoteException">The manager reported a traceback.</exception>
    public ValueTask<object?> CallAsync(string method, PyTuple? args = null, PyDict? kwargs = null, CancellationToken cancellationToken = default)
    {
        CheckExposed(method);
        return CallMethodAsync(method, args, kwargs, cancellationToken);
    }

    private void CheckExposed(string method)
    {
        ArgumentNullException.ThrowIfNull(method);
        if (ExposedTuple is not { } exposed)
        {
            return;
        }

        foreach (var name in exposed)
        {
            if (name is string s && s == method)
            {
                return;
            }
        }

        // MakeProxyType only defines the exposed methods, so Python fails locally with AttributeError.
        throw new MissingMemberException($"'{PythonClassName}' object has no attribute '{method}': the manager exposes {PyRepr.Repr(exposed)}");
    }
}
