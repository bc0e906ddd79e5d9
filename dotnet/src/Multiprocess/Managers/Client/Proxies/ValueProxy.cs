using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client.Proxies;

/// <summary>
/// A <c>managers.Value(typecode, value)</c> in the manager (CPython's <c>ValueProxy</c>). The manager keeps a plain
/// Python object: the typecode is not enforced.
/// </summary>
public sealed class ValueProxy : BaseProxy
{
    /// <summary>Initializes a new instance of the <see cref="ValueProxy"/> class.</summary>
    /// <param name="args">What the manager passes to proxy factories.</param>
    public ValueProxy(ProxyArgs args)
        : base(args)
    {
    }

    /// <summary>Gets or sets the value (<c>proxy.value</c>: <c>get()</c> / <c>set(v)</c>).</summary>
    public object? Value
    {
        get => Get();
        set => Set(value);
    }

    /// <inheritdoc/>
    protected override string PythonProxyClass => "ValueProxy";

    /// <summary>Returns the value (<c>get()</c>).</summary>
    /// <returns>The value.</returns>
    public object? Get() => CallMethod("get");

    /// <summary>Stores a value (<c>set(value)</c>).</summary>
    /// <param name="value">The value.</param>
    public void Set(object? value) => CallMethod("set", PyTuple.Create(value));

    /// <summary>Returns the value asynchronously.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The value.</returns>
    public ValueTask<object?> GetAsync(CancellationToken cancellationToken = default) => CallMethodAsync("get", cancellationToken: cancellationToken);

    /// <summary>Stores a value asynchronously.</summary>
    /// <param name="value">The value.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the value is stored.</returns>
    public async ValueTask SetAsync(object? value, CancellationToken cancellationToken = default) =>
        await CallMethodAsync("set", PyTuple.Create(value), cancellationToken: cancellationToken).ConfigureAwait(false);
}
