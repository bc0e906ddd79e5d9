using System.Dynamic;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client.Proxies;

/// <summary>
/// A <c>managers.Namespace</c> in the manager (CPython's <c>NamespaceProxy</c>): attributes read and written by name
/// (<c>__getattribute__</c>, <c>__setattr__</c>, <c>__delattr__</c>). <see cref="AsDynamic"/> gives <c>ns.x</c> syntax.
/// </summary>
public sealed class NamespaceProxy : BaseProxy
{
    /// <summary>Initializes a new instance of the <see cref="NamespaceProxy"/> class.</summary>
    /// <param name="args">What the manager passes to proxy factories.</param>
    public NamespaceProxy(ProxyArgs args)
        : base(args)
    {
    }

    /// <inheritdoc/>
    protected override string PythonProxyClass => "NamespaceProxy";

    /// <summary>Gets or sets an attribute.</summary>
    /// <param name="name">The attribute name.</param>
    /// <returns>Its value.</returns>
    /// <exception cref="MissingMemberException">There is no such attribute (AttributeError).</exception>
    public object? this[string name]
    {
        get => GetAttribute(name);
        set => SetAttribute(name, value);
    }

    /// <summary>Reads an attribute (<c>ns.name</c>).</summary>
    /// <param name="name">The attribute name.</param>
    /// <returns>Its value.</returns>
    /// <exception cref="MissingMemberException">There is no such attribute (AttributeError).</exception>
    public object? GetAttribute(string name) => CallMethod("__getattribute__", PyTuple.Create(name));

    /// <summary>Reads an attribute if it exists.</summary>
    /// <param name="name">The attribute name.</param>
    /// <param name="value">Its value.</param>
    /// <returns>False when there is no such attribute.</returns>
    public bool TryGetAttribute(string name, out object? value)
    {
        try
        {
            value = GetAttribute(name);
            return true;
        }
        catch (MissingMemberException e) when (e.GetPythonException() is not null)
        {
            value = null;
            return false;
        }
    }

    /// <summary>Writes an attribute (<c>ns.name = value</c>).</summary>
    /// <param name="name">The attribute name.</param>
    /// <param name="value">The value.</param>
    public void SetAttribute(string name, object? value) => CallMethod("__setattr__", PyTuple.Create(name, value));

    /// <summary>Deletes an attribute (<c>del ns.name</c>).</summary>
    /// <param name="name">The attribute name.</param>
    /// <exception cref="MissingMemberException">There is no such attribute.</exception>
    public void DeleteAttribute(string name) => CallMethod("__delattr__", PyTuple.Create(name));

    /// <summary>Returns a copy of every attribute (the namespace's <c>__dict__</c>, in one call).</summary>
    /// <returns>Name to value.</returns>
    public PyDict ToDictionary() => GetValue() is PyReduce { State: PyDict state } ? state : new PyDict();

    /// <summary>Reads an attribute asynchronously.</summary>
    /// <param name="name">The attribute name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Its value.</returns>
    public ValueTask<object?> GetAttributeAsync(string name, CancellationToken cancellationToken = default) =>
        CallMethodAsync("__getattribute__", PyTuple.Create(name), cancellationToken: cancellationToken);

    /// <summary>Writes an attribute asynchronously.</summary>
    /// <param name="name">The attribute name.</param>
    /// <param name="value">The value.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the attribute is set.</returns>
    public async ValueTask SetAttributeAsync(string name, object? value, CancellationToken cancellationToken = default) =>
        await CallMethodAsync("__setattr__", PyTuple.Create(name, value), cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>Returns a view for <c>dynamic</c> code: <c>ns.AsDynamic().x = 1</c> is <c>__setattr__('x', 1)</c>.</summary>
    /// <returns>The dynamic view.</returns>
    public dynamic AsDynamic() => new DynamicView(this);

    private sealed class DynamicView(NamespaceProxy proxy) : DynamicObject
    {
        public override bool TryGetMember(GetMemberBinder binder, out object? result) => proxy.TryGetAttribute(binder.Name, out result);

        public override bool TrySetMember(SetMemberBinder binder, object? value)
        {
            proxy.SetAttribute(binder.Name, value);
            return true;
        }

        public override bool TryDeleteMember(DeleteMemberBinder binder)
        {
            proxy.DeleteAttribute(binder.Name);
            return true;
        }

        public override IEnumerable<string> GetDynamicMemberNames() => proxy.ToDictionary().Keys.OfType<string>();
    }
}
