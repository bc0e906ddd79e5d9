using Multiprocess.Managers.Protocol;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client;

/// <summary>Calls on the referent (CPython's <c>BaseProxy._callmethod</c>).</summary>
public abstract partial class BaseProxy
{
    /// <summary>Calls a method that raises <c>KeyError</c> for a missing item (<c>dict.__delitem__</c>,
    /// <c>set.remove</c>): false then, as <c>ICollection.Remove</c> answers.</summary>
    private protected bool CallUnlessKeyError(string methodName, PyTuple args)
    {
        try
        {
            CallMethod(methodName, args);
            return true;
        }
        catch (KeyNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// Calls <paramref name="methodName"/> on the referent and returns a copy of the result (Python's
    /// <c>_callmethod</c>): the request is <c>(id, methodName, args, kwargs)</c> on this thread's connection.
    /// </summary>
    /// <param name="methodName">The method (one the manager exposes, or <c>#GETVALUE</c>, <c>__str__</c>, <c>__repr__</c>).</param>
    /// <param name="args">The positional arguments; null for none.</param>
    /// <param name="kwargs">The keyword arguments; null for none.</param>
    /// <returns>The result: a value, or a new proxy when the method's result is shared (<c>#PROXY</c>).</returns>
    /// <exception cref="ObjectDisposedException">The proxy was disposed.</exception>
    /// <exception cref="RemoteException">The manager reported a traceback (e.g. the method is not exposed) or could not pickle the result.</exception>
    /// <exception cref="KeyNotFoundException">The method raised KeyError (any Python exception raised by the method is thrown as its .NET counterpart, see <see cref="PyException.ToException"/>; <see cref="ManagerExceptions.GetPythonException"/> returns the Python type and args).</exception>
    /// <exception cref="TimeoutException">The method raised <c>queue.Empty</c>/<c>Full</c> or TimeoutError, or the call timeout passed.</exception>
    /// <exception cref="EndOfStreamException">The manager closed the connection before answering (its process exited).</exception>
    /// <exception cref="IOException">The connection failed.</exception>
    /// <exception cref="AuthenticationException">A new connection was refused by the manager's authkey.</exception>
    public object? CallMethod(string methodName, PyTuple? args = null, PyDict? kwargs = null)
    {
        ArgumentNullException.ThrowIfNull(methodName);
        ThrowIfDisposed();
        var pooled = _endpoint.SyncCallsArePooled;
        var channel = _endpoint.Rent();
        object? reply;
        try
        {
            reply = channel.Request(Token.Id, methodName, args ?? PyTuple.Empty, kwargs ?? ManagerRequest.NoKeywords, new CallDescription(methodName, Token));
        }
        finally
        {
            _endpoint.Return(channel, pooled);
        }

        return HandleReply(reply, methodName);
    }

    /// <summary>Calls <paramref name="methodName"/> on the referent asynchronously, over a pooled connection.</summary>
    /// <param name="methodName">The method.</param>
    /// <param name="args">The positional arguments; null for none.</param>
    /// <param name="kwargs">The keyword arguments; null for none.</param>
    /// <param name="cancellationToken">Cancels the call; the connection it used is then closed (the manager may still run the method).</param>
    /// <returns>The result.</returns>
    /// <exception cref="ObjectDisposedException">The proxy was disposed.</exception>
    /// <exception cref="RemoteException">The manager reported a traceback or could not pickle the result.</exception>
    /// <exception cref="TimeoutException">The method raised <c>queue.Empty</c>/<c>Full</c> or TimeoutError, or the call timeout passed.</exception>
    /// <exception cref="EndOfStreamException">The manager closed the connection before answering.</exception>
    /// <exception cref="IOException">The connection failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async ValueTask<object?> CallMethodAsync(string methodName, PyTuple? args = null, PyDict? kwargs = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(methodName);
        ThrowIfDisposed();
        var channel = await _endpoint.RentAsync(cancellationToken).ConfigureAwait(false);
        object? reply;
        try
        {
            reply = await channel.RequestAsync(Token.Id, methodName, args ?? PyTuple.Empty, kwargs ?? ManagerRequest.NoKeywords, new CallDescription(methodName, Token), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _endpoint.Return(channel, pooled: true);
        }

        return await HandleReplyAsync(reply, methodName, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Returns a copy of the referent (Python's <c>_getvalue()</c>, the <c>#GETVALUE</c> request).</summary>
    /// <returns>The value as unpickled (e.g. a <see cref="PyDict"/> for a dict).</returns>
    /// <exception cref="RemoteException">The manager could not pickle the referent.</exception>
    /// <exception cref="ObjectDisposedException">The proxy was disposed.</exception>
    public object? GetValue() => CallMethod(ManagerRequest.GetValue);

    /// <summary>Returns a copy of the referent asynchronously.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The value.</returns>
    /// <exception cref="RemoteException">The manager could not pickle the referent.</exception>
    public ValueTask<object?> GetValueAsync(CancellationToken cancellationToken = default) =>
        CallMethodAsync(ManagerRequest.GetValue, cancellationToken: cancellationToken);

    /// <summary>Returns <c>repr()</c> of the referent, computed in the manager (what Python's <c>str(proxy)</c> shows).</summary>
    /// <returns>The text.</returns>
    /// <exception cref="ObjectDisposedException">The proxy was disposed.</exception>
    public string ReferentRepr() => (string)CallMethod("__repr__")!;

    /// <summary>Returns <c>str()</c> of the referent, computed in the manager.</summary>
    /// <returns>The text.</returns>
    /// <exception cref="ObjectDisposedException">The proxy was disposed.</exception>
    public string ReferentStr() => (string)CallMethod("__str__")!;

    /// <summary>Calls over a given channel (a lock scope's pinned connection); the caller owns the channel.</summary>
    internal object? CallOn(ManagerChannel channel, string methodName, PyTuple? args = null)
    {
        ThrowIfDisposed();
        var reply = channel.Request(Token.Id, methodName, args ?? PyTuple.Empty, ManagerRequest.NoKeywords, new CallDescription(methodName, Token));
        return HandleReply(reply, methodName);
    }

    /// <summary>The asynchronous <see cref="CallOn"/>.</summary>
    internal async ValueTask<object?> CallOnAsync(ManagerChannel channel, string methodName, PyTuple? args, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var reply = await channel.RequestAsync(Token.Id, methodName, args ?? PyTuple.Empty, ManagerRequest.NoKeywords, new CallDescription(methodName, Token), cancellationToken).ConfigureAwait(false);
        return await HandleReplyAsync(reply, methodName, cancellationToken).ConfigureAwait(false);
    }

    internal object? HandleReply(object? reply, string methodName)
    {
        var what = new CallDescription(methodName, Token);
        var (kind, result) = ManagerProtocol.ReadReply(reply, what);
        if (kind == ReplyKind.Return)
        {
            return result;
        }

        if (kind == ReplyKind.Proxy)
        {
            return Manager.ProxyFromReply(this, result, what);
        }

        throw ManagerProtocol.ConvertToError(kind, result, what, Manager.Options.Serializer);
    }

    internal ValueTask<object?> HandleReplyAsync(object? reply, string methodName, CancellationToken cancellationToken)
    {
        var what = new CallDescription(methodName, Token);
        var (kind, result) = ManagerProtocol.ReadReply(reply, what);
        if (kind == ReplyKind.Return)
        {
            return new ValueTask<object?>(result);
        }

        if (kind == ReplyKind.Proxy)
        {
            return Manager.ProxyFromReplyAsync(this, result, what, cancellationToken);
        }

        throw ManagerProtocol.ConvertToError(kind, result, what, Manager.Options.Serializer);
    }
}
