using System.Runtime.CompilerServices;
using Multiprocess.Managers.Protocol;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client;

/// <summary>
/// A reference to an object that lives in a Python manager (CPython's <c>multiprocessing.managers.BaseProxy</c>):
/// calls go to the manager as <c>(id, method, args, kwds)</c> on this thread's connection, and the manager's
/// reference count follows the proxy's life: one <c>incref</c> when the proxy is made (created, returned as
/// <c>#PROXY</c>, or unpickled from a value), one <c>decref</c> when it is disposed, collected, or its manager
/// client is disposed.
/// </summary>
/// <remarks>
/// A proxy may be used from any number of threads at once: each thread has its own connection (or takes one from
/// the pool), as in Python. Proxies travel: put one in a value sent to the manager (an argument, an item of a
/// list proxy) and Python receives a working proxy, pickled as <c>RebuildProxy(ProxyClass, token, 'pickle', kwds)</c>
/// exactly as <c>BaseProxy.__reduce__</c> writes it.
/// </remarks>
public abstract partial class BaseProxy : IDisposable, IAsyncDisposable
{
    private readonly ManagerEndpoint _endpoint;
    private readonly PyGlobal? _pythonClass;
    private ProxyReference? _reference;
    private int _disposed;

    /// <summary>Initializes a new instance of the <see cref="BaseProxy"/> class.</summary>
    /// <param name="args">What the manager passes to proxy factories.</param>
    /// <exception cref="ArgumentNullException"><paramref name="args"/> is null.</exception>
    protected BaseProxy(ProxyArgs args)
    {
        ArgumentNullException.ThrowIfNull(args);
        Token = args.Token;
        Manager = args.Manager;
        _endpoint = args.Endpoint;
        _pythonClass = args.PythonClass;
        ExposedTuple = args.Exposed;
    }

    /// <summary>Finalizes an instance of the <see cref="BaseProxy"/> class: queues its decref (Python's finalizer does the same at collection).</summary>
    ~BaseProxy()
    {
        if (_reference is { } reference && reference.TryClaim())
        {
            DecrefWorker.Enqueue(reference);
        }
    }

    /// <summary>Gets the token of the shared object (type id, manager address, id).</summary>
    public Token Token { get; }

    /// <summary>Gets the manager client this proxy belongs to.</summary>
    public BaseManager Manager { get; }

    /// <summary>Gets the method names the manager exposes for the object, when known.</summary>
    public IReadOnlyList<string>? Exposed => ExposedTuple?.OfType<string>().ToArray();

    /// <summary>Gets a value indicating whether the proxy was disposed (its reference released).</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>
    /// Gets the name of the Python proxy class in <c>multiprocessing.managers</c> this proxy is pickled as
    /// (e.g. <c>DictProxy</c>), or null to pickle it as an <c>AutoProxy</c> with its exposed methods.
    /// </summary>
    protected virtual string? PythonProxyClass => null;

    /// <summary>Gets the exposed tuple as received.</summary>
    internal PyTuple? ExposedTuple { get; }

    internal ManagerEndpoint Endpoint => _endpoint;

    /// <summary>Releases the proxy's reference: one one-shot <c>decref</c> (skipped once the manager was shut down).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        GC.SuppressFinalize(this);
        if (_reference is { } reference && reference.TryClaim())
        {
            reference.DecrefNow();
        }
    }

    /// <summary>Releases the proxy's reference asynchronously.</summary>
    /// <returns>A task that completes when the decref was answered.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        GC.SuppressFinalize(this);
        if (_reference is { } reference && reference.TryClaim())
        {
            await reference.DecrefNowAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Returns Python's repr of a proxy, <c>&lt;DictProxy object, typeid 'dict' at 0x…&gt;</c> (local: no call is made).</summary>
    /// <returns>The text.</returns>
    public override string ToString() =>
        $"<{PythonClassName} object, typeid {PyRepr.Repr(Token.TypeId)} at 0x{RuntimeHelpers.GetHashCode(this):x}>";

    /// <summary>Increfs (when asked) and starts tracking the reference; the manager calls this once after the factory.</summary>
    internal void Attach(bool incref)
    {
        if (incref)
        {
            _endpoint.Dispatch("incref", PyTuple.Create(Token.Id));
            Track();
        }
        else
        {
            GC.SuppressFinalize(this);
        }
    }

    /// <summary>The asynchronous <see cref="Attach"/>.</summary>
    internal async ValueTask AttachAsync(bool incref, CancellationToken cancellationToken)
    {
        if (incref)
        {
            await _endpoint.DispatchAsync("incref", PyTuple.Create(Token.Id), null, cancellationToken).ConfigureAwait(false);
            Track();
        }
        else
        {
            GC.SuppressFinalize(this);
        }
    }

    /// <summary>Drops a proxy that was never increfed (its reply failed): nothing to release.</summary>
    internal void Abandon()
    {
        Interlocked.Exchange(ref _disposed, 1);
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Fails before any call when the manager reported this object's exposed names and <paramref name="method"/> is
    /// not among them (a method newer than the manager's <c>managers.py</c>): the message names the manager, the object
    /// and what it does expose, so the version mismatch is plain.
    /// </summary>
    /// <param name="method">The method, e.g. <c>locked</c>.</param>
    /// <param name="since">The first version that exposes it, e.g. <c>CPython 3.14</c>.</param>
    /// <exception cref="NotSupportedException">The method is not exposed.</exception>
    private protected void RequireExposed(string method, string since)
    {
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

        throw new NotSupportedException(
            $"The manager at {Token.Address} exposes {PyRepr.Repr(exposed)} for {Token.TypeId} '{Token.Id}', without '{method}': "
            + $"{method}() needs a manager of {since} or later (or the C# server, to a client that pickles with protocol 5); "
            + "this one runs an older managers.py");
    }

    private void Track()
    {
        var reference = new ProxyReference(_endpoint, Token.Id);
        Manager.Track(reference);
        _reference = reference;
    }

    private void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            ThrowDisposed();
        }
    }

    private void ThrowDisposed() =>
        throw new ObjectDisposedException(GetType().Name, $"The proxy for {Token.TypeId} '{Token.Id}' was disposed");
}
