using System.Buffers;
using Multiprocess.Managers.Protocol;
using Multiprocess.Pickle;
using Multiprocess.XmlRpc;
using Conn = Multiprocess.Connection.Connection;

namespace Multiprocess.Managers.Client;

/// <summary>
/// One authenticated connection to a manager with the buffers to pickle requests and read replies: a one-shot
/// public-function connection, or a persistent proxy channel after <c>accept_connection</c>. Used by one caller
/// at a time. A transport failure or a cancelled exchange marks it <see cref="Broken"/>: its stream may be out of
/// step, so it is never reused.
/// </summary>
internal sealed class ManagerChannel : IDisposable
{
    /// <summary>Read buffers above this size are dropped after a reply, so one big reply does not pin memory.</summary>
    private const int KeepBufferLimit = 1 << 20;

    private readonly Conn _connection;
    private readonly ManagerEndpoint _endpoint;
    private readonly bool _xml;
    private ArrayBufferWriter<byte> _send = new(256);
    private ArrayBufferWriter<byte> _receive = new(256);

    public ManagerChannel(Conn connection, ManagerEndpoint endpoint)
    {
        _connection = connection;
        _endpoint = endpoint;
        _xml = endpoint.Manager.Options.Serializer == ManagerSerializer.Xmlrpclib;
        if (endpoint.Manager.Options.ReceiveSpin is { } spin)
        {
            connection.SpinDuration = spin;
        }
    }

    /// <summary>Gets a value indicating whether the stream may be out of step (failed or cancelled exchange).</summary>
    public bool Broken { get; private set; }

    public void Dispose() => _connection.Dispose();

    /// <summary>Marks the stream as possibly out of step (replies left unread), so the channel is closed, not reused.</summary>
    public void MarkBroken() => Broken = true;

    /// <summary>Sends <c>(ident, methodname, args, kwds)</c> and returns the reply with every proxy in it live (increfed).</summary>
    /// <remarks>
    /// <code>
    /// client                                     manager (serve_client or handle_request)
    ///   send (ident, methodname, args, kwds) ─►   look up ident, check exposed, call
    ///                                        ◄─   (kind, result)
    /// </code>
    /// </remarks>
    public object? Request(string? ident, string methodName, PyTuple args, PyDict kwds, CallDescription what)
    {
        var manager = _endpoint.Manager;
        _send.ResetWrittenCount();
        // managers.py dispatch / _callmethod: c.send((id, methodname, args, kwds))
        WriteRequest(ident, methodName, args, kwds);
        ReadOnlySpan<byte> reply;
        try
        {
            _connection.SendBytes(_send.WrittenSpan);
            reply = Receive();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or TimeoutException)
        {
            Broken = true;
            throw _endpoint.TransportError(e, what);
        }
        finally
        {
            TrimSendBuffer();
        }

        return Unpickle(reply, what, sync: true).Result;
    }

    /// <summary>The asynchronous <see cref="Request"/>.</summary>
    public async ValueTask<object?> RequestAsync(string? ident, string methodName, PyTuple args, PyDict kwds, CallDescription what, CancellationToken cancellationToken)
    {
        var manager = _endpoint.Manager;
        _send.ResetWrittenCount();
        WriteRequest(ident, methodName, args, kwds);
        try
        {
            await _connection.SendBytesAsync(_send.WrittenMemory, cancellationToken).ConfigureAwait(false);
            _receive.ResetWrittenCount();
            var timeout = manager.Options.CallTimeout;
            if (timeout == Timeout.InfiniteTimeSpan)
            {
                await _connection.RecvBytesAsync(_receive, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            else
            {
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                cts.CancelAfter(timeout);
                try
                {
                    await _connection.RecvBytesAsync(_receive, cancellationToken: cts.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"No reply within the call timeout ({timeout.TotalSeconds:0.###} s)");
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or TimeoutException)
        {
            Broken = true;
            throw _endpoint.TransportError(e, what);
        }
        catch (OperationCanceledException)
        {
            Broken = true;
            throw;
        }
        finally
        {
            TrimSendBuffer();
        }

        var unpickled = Unpickle(_receive.WrittenSpan, what, sync: false);
        if (unpickled.Pending is { } pending)
        {
            await ProxyRebuildScope.IncrefAllAsync(pending, cancellationToken).ConfigureAwait(false);
        }

        var result = unpickled.Result;
        TrimReceiveBuffer();
        return result;
    }

    /// <summary>
    /// Sends several requests before reading any reply (a pipeline): serve_client handles one request at a time and
    /// answers in order, so the later requests wait in the socket until it reads them, with no wake-up between calls.
    /// </summary>
    public void SendMany(IReadOnlyList<(string Ident, string Method, PyTuple Args, PyDict Kwds)> requests, CallDescription what)
    {
        try
        {
            foreach (var (ident, method, args, kwds) in requests)
            {
                _send.ResetWrittenCount();
                WriteRequest(ident, method, args, kwds);
                _connection.SendBytes(_send.WrittenSpan);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            Broken = true;
            throw _endpoint.TransportError(e, what);
        }
        catch
        {
            Broken = true; // a request that failed to pickle leaves the others unanswered: do not reuse the channel
            throw;
        }
        finally
        {
            TrimSendBuffer();
        }
    }

    /// <summary>The asynchronous <see cref="SendMany"/>.</summary>
    public async ValueTask SendManyAsync(IReadOnlyList<(string Ident, string Method, PyTuple Args, PyDict Kwds)> requests, CallDescription what, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var (ident, method, args, kwds) in requests)
            {
                _send.ResetWrittenCount();
                WriteRequest(ident, method, args, kwds);
                await _connection.SendBytesAsync(_send.WrittenMemory, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            Broken = true;
            throw _endpoint.TransportError(e, what);
        }
        catch
        {
            Broken = true;
            throw;
        }
        finally
        {
            TrimSendBuffer();
        }
    }

    /// <summary>Reads the next reply of a pipeline, with its proxies increfed.</summary>
    public object? ReceiveReply(CallDescription what)
    {
        ReadOnlySpan<byte> reply;
        try
        {
            reply = Receive();
            QuickAck();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or TimeoutException)
        {
            Broken = true;
            throw _endpoint.TransportError(e, what);
        }

        return Unpickle(reply, what, sync: true).Result;
    }

    /// <summary>The asynchronous <see cref="ReceiveReply"/>.</summary>
    public async ValueTask<object?> ReceiveReplyAsync(CallDescription what, CancellationToken cancellationToken)
    {
        try
        {
            _receive.ResetWrittenCount();
            await _connection.RecvBytesAsync(_receive, cancellationToken: cancellationToken).ConfigureAwait(false);
            QuickAck();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or TimeoutException)
        {
            Broken = true;
            throw _endpoint.TransportError(e, what);
        }
        catch (OperationCanceledException)
        {
            Broken = true;
            throw;
        }

        var unpickled = Unpickle(_receive.WrittenSpan, what, sync: false);
        if (unpickled.Pending is { } pending)
        {
            await ProxyRebuildScope.IncrefAllAsync(pending, cancellationToken).ConfigureAwait(false);
        }

        return unpickled.Result;
    }

    /// <summary>
    /// Acknowledges received data at once (Linux TCP_QUICKACK). In a pipeline the manager writes several replies
    /// while we send nothing; CPython's accepted sockets keep Nagle on, so its second reply waits for our ACK of the
    /// first, which delayed ACK holds for 40 ms. A single call never meets this: its next request carries the ACK.
    /// </summary>
    private void QuickAck() => _connection.AcknowledgeNow();

    private ReadOnlySpan<byte> Receive()
    {
        _receive.ResetWrittenCount();
        var timeout = _endpoint.Manager.Options.CallTimeout;
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            _connection.RecvBytes(_receive);
            return _receive.WrittenSpan;
        }

        return _connection.RecvBytes(null, timeout);
    }

    private (object? Result, List<BaseProxy>? Pending) Unpickle(ReadOnlySpan<byte> reply, CallDescription what, bool sync)
    {
        object? value;
        var scope = ProxyRebuildScope.Begin();
        try
        {
            value = _xml ? ReadXmlReply(reply) : PickleSerializer.Loads(reply, _endpoint.Manager.UnpickleOptions);
        }
        catch (Exception e)
        {
            ProxyRebuildScope.Abandon(scope.End());
            if (e is UnpicklingException or EndOfStreamException)
            {
                throw new ProcessException($"The manager's reply to {what} could not be unpickled: {e.Message}", e);
            }

            if (e is XmlRpcException)
            {
                throw new ProcessException($"The manager's reply to {what} is not an XML-RPC document this client can read (serializer='xmlrpclib'; is the manager's serializer 'pickle'?): {e.Message}", e);
            }

            throw;
        }

        var pending = scope.End();
        if (sync)
        {
            if (pending is not null)
            {
                ProxyRebuildScope.IncrefAll(pending);
            }

            TrimReceiveBuffer();
            return (value, null);
        }

        return (value, pending);
    }

    /// <summary>
    /// managers.py <c>c.send((id, methodname, args, kwds))</c> through the manager's serializer: a pickle, or for
    /// <c>serializer='xmlrpclib'</c> the XML-RPC document of <c>_xml_dumps</c> (a value XML-RPC cannot carry fails
    /// here, before anything is sent, with CPython's marshaller error).
    /// </summary>
    private void WriteRequest(string? ident, string method, PyTuple args, PyDict kwds)
    {
        var request = new ManagerRequest(ident, method, args, kwds).ToPython();
        if (_xml)
        {
            try
            {
                XmlRpcSerializer.Dump(_send, request);
            }
            catch
            {
                _send.ResetWrittenCount();
                throw;
            }
        }
        else
        {
            PickleSerializer.Dump(_send, request, _endpoint.Manager.PickleOptions);
        }
    }

    /// <summary><c>_xml_loads</c>: the reply pair arrives as a list; it is read as the (kind, result) tuple it was.</summary>
    private static object? ReadXmlReply(ReadOnlySpan<byte> reply)
    {
        var value = XmlRpcSerializer.Loads(reply);
        return value is List<object?> { Count: 2 } pair ? PyTuple.Create(pair[0], pair[1]) : value;
    }

    private void TrimSendBuffer()
    {
        if (_send.Capacity > KeepBufferLimit)
        {
            _send = new ArrayBufferWriter<byte>(256);
        }
    }

    private void TrimReceiveBuffer()
    {
        if (_receive.Capacity > KeepBufferLimit)
        {
            _receive = new ArrayBufferWriter<byte>(256);
        }
    }
}
