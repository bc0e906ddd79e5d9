using System.Buffers;
using Multiprocess.Pickle;
using Conn = Multiprocess.Connection.Connection;

namespace Multiprocess.Managers;

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
    private ArrayBufferWriter<byte> _send = new(256);
    private ArrayBufferWriter<byte> _receive = new(256);

    public ManagerChannel(Conn connection, ManagerEndpoint endpoint)
    {
        _connection = connection;
        _endpoint = endpoint;
    }

    /// <summary>Gets a value indicating whether the stream may be out of step (failed or cancelled exchange).</summary>
    public bool Broken { get; private set; }

    public void Dispose() => _connection.Dispose();

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
        PickleSerializer.Dump(_send, PyTuple.Create(ident, methodName, args, kwds), manager.PickleOptions);
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
        PickleSerializer.Dump(_send, PyTuple.Create(ident, methodName, args, kwds), manager.PickleOptions);
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
            await pending.IncrefAllAsync(cancellationToken).ConfigureAwait(false);
        }

        var result = unpickled.Result;
        TrimReceiveBuffer();
        return result;
    }

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

    private (object? Result, ProxyRebuildScope? Pending) Unpickle(ReadOnlySpan<byte> reply, CallDescription what, bool sync)
    {
        object? value;
        var scope = ProxyRebuildScope.Begin();
        try
        {
            value = PickleSerializer.Loads(reply, _endpoint.Manager.UnpickleOptions);
        }
        catch (Exception e) when (e is UnpicklingException or EndOfStreamException)
        {
            scope.End();
            scope.DisposeAll();
            throw new ProcessException($"The manager's reply to {what} could not be unpickled: {e.Message}", e);
        }
        catch
        {
            scope.End();
            scope.DisposeAll();
            throw;
        }

        scope.End();
        if (sync)
        {
            scope.IncrefAll();
            TrimReceiveBuffer();
            return (value, null);
        }

        return (value, scope.IsEmpty ? null : scope);
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
