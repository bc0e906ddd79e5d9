using Multiprocess.Managers.Client.Proxies;
using Multiprocess.Managers.Protocol;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client;

/// <summary>Making proxies: from <c>create</c>, from <c>#PROXY</c> replies, and from pickled <c>RebuildProxy</c> values.</summary>
public partial class BaseManager
{
    private readonly HashSet<Type> _boundProxyTypes = [];

    /// <summary>
    /// Turns a <c>#PROXY</c> reply <c>(exposed, token)</c> into a proxy as <c>_callmethod</c> does: the token's
    /// address becomes the caller's (the manager reports its own <c>getsockname()</c>), the new proxy increfs, then a
    /// one-shot decref drops the reference <c>create</c> took, so the count equals the live proxies.
    /// </summary>
    internal BaseProxy ProxyFromReply(BaseProxy caller, object? result, CallDescription what)
    {
        var (token, exposed) = ReadProxyReply(caller, result, what);
        var proxy = NewProxy(Registration(token.TypeId), token, exposed, null, caller.Endpoint);
        try
        {
            proxy.Attach(incref: true);
        }
        finally
        {
            caller.Endpoint.Dispatch("decref", PyTuple.Create(token.Id));
        }

        return proxy;
    }

    /// <summary>The asynchronous <see cref="ProxyFromReply"/>.</summary>
    internal async ValueTask<object?> ProxyFromReplyAsync(BaseProxy caller, object? result, CallDescription what, CancellationToken cancellationToken)
    {
        var (token, exposed) = ReadProxyReply(caller, result, what);
        var proxy = NewProxy(Registration(token.TypeId), token, exposed, null, caller.Endpoint);
        try
        {
            await proxy.AttachAsync(incref: true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await caller.Endpoint.DispatchAsync("decref", PyTuple.Create(token.Id), null, cancellationToken).ConfigureAwait(false);
        }

        return proxy;
    }

    /// <summary>
    /// Builds a live proxy from <c>RebuildProxy(func, token, serializer, kwds)</c> read from a reply (managers.py
    /// <c>RebuildProxy</c>): incref unless <c>kwds['incref']</c> is false, deferred to the end of the unpickling when
    /// a call is reading (see <see cref="ProxyRebuildScope"/>). The proxy keeps <c>func</c>, so it pickles back the
    /// same. Calls go to the token's address with this client's authkey.
    /// </summary>
    internal BaseProxy RebuildProxy(PyReduce value)
    {
        if (value.Kind != PyReduceKind.Reduce || value.Args.Count != 4 || value.Args[0] is not PyGlobal func || value.Args[3] is not PyDict kwds)
        {
            throw new ArgumentException($"{PyRepr.Repr(value)} is not RebuildProxy(func, token, serializer, kwds)", nameof(value));
        }

        if (value.Args[2] is not "pickle")
        {
            throw new NotSupportedException($"A proxy with serializer {PyRepr.Repr(value.Args[2])} arrived; only 'pickle' managers are supported");
        }

        var token = Token.FromPython(value.Args[1]);
        var incref = !kwds.TryGetValue("incref", out var flag) || flag is not false;
        var exposed = kwds.TryGetValue("exposed", out var e) ? AsTuple(e) : null;
        var endpoint = EndpointFor(token.Address, token.PythonAddress);
        var proxy = NewProxy(Registration(token.TypeId), token, exposed, func, endpoint);
        if (!incref)
        {
            proxy.Attach(incref: false);
        }
        else if (!ProxyRebuildScope.TryDefer(proxy))
        {
            proxy.Attach(incref: true);
        }

        return proxy;
    }

    private ProxyRegistration? Registration(string typeId) => _registry.TryGetValue(typeId, out var r) ? r : null;

    /// <summary>Runs the proxy factory: the class named in a pickle first (as Python calls <c>func</c>), then the type id's registration, else <see cref="AutoProxy"/>.</summary>
    private BaseProxy NewProxy(ProxyRegistration? registration, Token token, PyTuple? exposed, PyGlobal? pythonClass, ManagerEndpoint endpoint)
    {
        var factory = (pythonClass is not null && ManagerModules.IsManagersModule(pythonClass.Module) ? ProxyBindings.BuiltinFactory(pythonClass.Name) : null)
                      ?? registration?.Factory
                      ?? (a => new AutoProxy(a));
        var proxy = factory(new ProxyArgs(token, this, endpoint, exposed, pythonClass))
                    ?? throw new InvalidOperationException($"The proxy factory of type id '{token.TypeId}' returned null");
        if (!ReferenceEquals(proxy.Manager, this) || !ReferenceEquals(proxy.Token, token))
        {
            throw new InvalidOperationException($"The proxy factory of type id '{token.TypeId}' must pass its ProxyArgs to the BaseProxy constructor");
        }

        EnsureBinding(proxy.GetType());
        return proxy;
    }

    /// <summary>Lets the pickler write proxies of <paramref name="type"/> (bindings match exact types).</summary>
    private void EnsureBinding(Type type)
    {
        lock (_boundProxyTypes)
        {
            if (_boundProxyTypes.Add(type))
            {
                ProxyBindings.RegisterWriter(TypeRegistry, type);
            }
        }
    }

    private (Token Token, PyTuple? Exposed) ReadProxyReply(BaseProxy caller, object? result, CallDescription what)
    {
        if (result is not PyTuple { Count: 2 } t)
        {
            throw new ProcessException($"The manager's #PROXY reply to {what} is not (exposed, token): {PyRepr.Repr(result)}");
        }

        // managers.py _callmethod: token.address = self._token.address
        var token = Token.FromPython(t[1]).WithAddress(caller.Token.Address, caller.Token.PythonAddress);
        return (token, AsTuple(t[0]));
    }

    /// <summary>Marks the built-in proxy types as bound (ProxyBindings registered them).</summary>
    internal void MarkBound(Type type)
    {
        lock (_boundProxyTypes)
        {
            _boundProxyTypes.Add(type);
        }
    }
}
