using Multiprocess.Managers.Client.Proxies;
using Multiprocess.Managers.Protocol;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client;

/// <summary>Type ids and object creation (CPython's <c>BaseManager.register</c> and <c>_create</c>).</summary>
public partial class BaseManager
{
    /// <summary>
    /// Registers a type id the manager serves (Python's <c>register(typeid, proxytype=…, create_method=…)</c> on the
    /// client side): which proxy class represents its objects, and whether <see cref="Create(string, object?[])"/> may
    /// create them. The callable, <c>exposed</c> and <c>method_to_typeid</c> are the server's business and are not
    /// given here: the manager reports the exposed methods itself.
    /// </summary>
    /// <param name="typeId">The type id, e.g. <c>get_queue</c>.</param>
    /// <param name="proxyType">Builds the proxy (e.g. <c>a =&gt; new QueueProxy(a)</c>); null for a generic <see cref="AutoProxy"/>, as Python's default.</param>
    /// <param name="createMethod">False for type ids whose objects only arrive as method results (<c>Iterator</c>, <c>AsyncResult</c>).</param>
    /// <exception cref="ArgumentException"><paramref name="typeId"/> is empty.</exception>
    public void Register(string typeId, Func<ProxyArgs, BaseProxy>? proxyType = null, bool createMethod = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(typeId);
        _registry[typeId] = new ProxyRegistration(typeId, proxyType, createMethod);
    }

    /// <summary>Returns whether <paramref name="typeId"/> is registered.</summary>
    /// <param name="typeId">The type id.</param>
    /// <returns>True when registered.</returns>
    public bool IsRegistered(string typeId) => _registry.ContainsKey(typeId);

    /// <summary>Creates a shared object of a registered type id with positional arguments (Python's <c>manager.typeid(*args)</c>).</summary>
    /// <param name="typeId">The type id.</param>
    /// <param name="args">The arguments for the type's callable in the manager.</param>
    /// <returns>Its proxy (the registered proxy type).</returns>
    /// <exception cref="ArgumentException"><paramref name="typeId"/> is not registered with this client.</exception>
    /// <exception cref="InvalidOperationException">The client is not connected, or the type id has no creation method.</exception>
    /// <exception cref="RemoteException">The manager failed to create it (unknown type id in the manager, bad arguments: the traceback is attached).</exception>
    /// <exception cref="IOException">The manager cannot be reached.</exception>
    public BaseProxy Create(string typeId, params object?[] args) => Create(typeId, new PyTuple(args), null);

    /// <summary>Creates a shared object with positional and keyword arguments.</summary>
    /// <param name="typeId">The type id.</param>
    /// <param name="args">The positional arguments.</param>
    /// <param name="kwargs">The keyword arguments; null for none.</param>
    /// <returns>Its proxy.</returns>
    /// <exception cref="ArgumentException"><paramref name="typeId"/> is not registered with this client.</exception>
    /// <exception cref="InvalidOperationException">The client is not connected, or the type id has no creation method.</exception>
    /// <exception cref="RemoteException">The manager failed to create it.</exception>
    /// <exception cref="IOException">The manager cannot be reached.</exception>
    public BaseProxy Create(string typeId, PyTuple args, PyDict? kwargs)
    {
        ArgumentNullException.ThrowIfNull(args);
        var registration = CheckCreatable(typeId);
        // managers.py _create: dispatch(conn, None, 'create', (typeid,)+args, kwds) → (id, exposed)
        var reply = _endpoint.Dispatch("create", Prepend(typeId, args), kwargs);
        var (token, exposed) = ReadCreated(typeId, reply);
        var proxy = NewProxy(registration, token, exposed, null, _endpoint);
        AttachCreated(proxy);
        return proxy;
    }

    /// <summary>Creates a shared object and returns its proxy as <typeparamref name="TProxy"/>.</summary>
    /// <typeparam name="TProxy">The proxy type the type id is registered with.</typeparam>
    /// <param name="typeId">The type id.</param>
    /// <param name="args">The arguments.</param>
    /// <returns>The proxy.</returns>
    /// <exception cref="InvalidCastException">The type id's proxy is not a <typeparamref name="TProxy"/> (the object is released).</exception>
    /// <exception cref="ArgumentException"><paramref name="typeId"/> is not registered with this client.</exception>
    /// <exception cref="RemoteException">The manager failed to create it.</exception>
    public TProxy Create<TProxy>(string typeId, params object?[] args)
        where TProxy : BaseProxy => As<TProxy>(Create(typeId, new PyTuple(args), null));

    /// <summary>Creates a shared object with keyword arguments and returns its proxy as <typeparamref name="TProxy"/>.</summary>
    /// <typeparam name="TProxy">The proxy type.</typeparam>
    /// <param name="typeId">The type id.</param>
    /// <param name="args">The positional arguments.</param>
    /// <param name="kwargs">The keyword arguments; null for none.</param>
    /// <returns>The proxy.</returns>
    /// <exception cref="InvalidCastException">The type id's proxy is not a <typeparamref name="TProxy"/>.</exception>
    /// <exception cref="RemoteException">The manager failed to create it.</exception>
    public TProxy Create<TProxy>(string typeId, PyTuple args, PyDict? kwargs)
        where TProxy : BaseProxy => As<TProxy>(Create(typeId, args, kwargs));

    /// <summary>Creates a shared object asynchronously.</summary>
    /// <param name="typeId">The type id.</param>
    /// <param name="args">The positional arguments; null for none.</param>
    /// <param name="kwargs">The keyword arguments; null for none.</param>
    /// <param name="cancellationToken">Cancels the creation.</param>
    /// <returns>Its proxy.</returns>
    /// <exception cref="ArgumentException"><paramref name="typeId"/> is not registered with this client.</exception>
    /// <exception cref="InvalidOperationException">The client is not connected, or the type id has no creation method.</exception>
    /// <exception cref="RemoteException">The manager failed to create it.</exception>
    public async ValueTask<BaseProxy> CreateAsync(string typeId, PyTuple? args = null, PyDict? kwargs = null, CancellationToken cancellationToken = default)
    {
        var registration = CheckCreatable(typeId);
        var reply = await _endpoint.DispatchAsync("create", Prepend(typeId, args ?? PyTuple.Empty), kwargs, cancellationToken).ConfigureAwait(false);
        var (token, exposed) = ReadCreated(typeId, reply);
        var proxy = NewProxy(registration, token, exposed, null, _endpoint);
        try
        {
            await proxy.AttachAsync(incref: true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // managers.py register.temp: the proxy increfs, then the creation's own reference is dropped.
            await _endpoint.DispatchAsync("decref", PyTuple.Create(token.Id), null, cancellationToken).ConfigureAwait(false);
        }

        return proxy;
    }

    /// <summary>Creates a shared object asynchronously and returns its proxy as <typeparamref name="TProxy"/>.</summary>
    /// <typeparam name="TProxy">The proxy type.</typeparam>
    /// <param name="typeId">The type id.</param>
    /// <param name="args">The positional arguments; null for none.</param>
    /// <param name="kwargs">The keyword arguments; null for none.</param>
    /// <param name="cancellationToken">Cancels the creation.</param>
    /// <returns>The proxy.</returns>
    /// <exception cref="InvalidCastException">The type id's proxy is not a <typeparamref name="TProxy"/>.</exception>
    /// <exception cref="RemoteException">The manager failed to create it.</exception>
    public async ValueTask<TProxy> CreateAsync<TProxy>(string typeId, PyTuple? args = null, PyDict? kwargs = null, CancellationToken cancellationToken = default)
        where TProxy : BaseProxy => As<TProxy>(await CreateAsync(typeId, args, kwargs, cancellationToken).ConfigureAwait(false));

    private static PyTuple Prepend(string typeId, PyTuple args)
    {
        var items = new object?[args.Count + 1];
        items[0] = typeId;
        args.AsSpan().CopyTo(items.AsSpan(1));
        return new PyTuple(items);
    }

    private static TProxy As<TProxy>(BaseProxy proxy)
        where TProxy : BaseProxy
    {
        if (proxy is TProxy typed)
        {
            return typed;
        }

        proxy.Dispose();
        throw new InvalidCastException($"Type id '{proxy.Token.TypeId}' is registered with proxy type {proxy.GetType().Name}, not {typeof(TProxy).Name}");
    }

    private (Token Token, PyTuple? Exposed) ReadCreated(string typeId, object? reply)
    {
        if (reply is PyTuple { Count: 2 } t && t[0] is string id)
        {
            return (new Token(typeId, Address, _endpoint.PythonAddress, id), AsTuple(t[1]));
        }

        if (reply is List<object?> { Count: 2 } l && l[0] is string xmlId)
        {
            return (new Token(typeId, Address, _endpoint.PythonAddress, xmlId), AsTuple(l[1]));   // serializer='xmlrpclib'
        }

        throw new ProcessException($"The manager's reply to 'create' of '{typeId}' is not (id, exposed): {PyRepr.Repr(reply)}");
    }

    private ProxyRegistration CheckCreatable(string typeId)
    {
        ArgumentException.ThrowIfNullOrEmpty(typeId);
        if (!_registry.TryGetValue(typeId, out var registration))
        {
            throw new ArgumentException($"Type id '{typeId}' is not registered with this manager client; call Register(\"{typeId}\") first (Python's BaseManager.register)", nameof(typeId));
        }

        if (!registration.CreateMethod)
        {
            throw new InvalidOperationException($"Type id '{typeId}' was registered with createMethod: false; its objects only come back from methods of other proxies");
        }

        EnsureStarted();
        return registration;
    }

    /// <summary>The proxy increfs, then the creation's own reference is dropped (managers.py <c>register.temp</c>), so the count equals the live proxies.</summary>
    private void AttachCreated(BaseProxy proxy)
    {
        try
        {
            proxy.Attach(incref: true);
        }
        finally
        {
            _endpoint.Dispatch("decref", PyTuple.Create(proxy.Token.Id));
        }
    }

    private static PyTuple? AsTuple(object? exposed) => exposed switch
    {
        PyTuple t => t,
        List<object?> list => new PyTuple([.. list]),
        _ => null,
    };
}
