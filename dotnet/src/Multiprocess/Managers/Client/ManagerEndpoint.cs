using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Multiprocess.Connection;
using Multiprocess.Managers.Protocol;
using Multiprocess.Pickle;
using Conn = Multiprocess.Connection.Connection;

namespace Multiprocess.Managers.Client;

/// <summary>
/// Everything a client keeps per manager address: the one-shot connections for the public functions
/// (<c>create</c>, <c>incref</c>, <c>decref</c>, ...) and the persistent proxy channels, one per thread as
/// <c>BaseProxy._tls</c> keeps them, or a pool (<see cref="ManagerConnectionMode"/>). Asynchronous calls always
/// use the pool: a continuation may run on any thread.
/// </summary>
internal sealed class ManagerEndpoint : IDisposable
{
    /// <summary>How long an asynchronous connect waits for room in a full AF_UNIX listen backlog.</summary>
    private static readonly TimeSpan s_listenBacklogWait = TimeSpan.FromSeconds(10);

    private static readonly CallDescription s_accept = new("accept_connection", null);
    private static int s_channelCounter;

    private readonly ThreadLocal<ManagerChannel?> _perThread = new(trackAllValues: true);
    private readonly ConcurrentBag<ManagerChannel> _idle = [];
    private readonly byte[] _authKey;
    private volatile bool _disposed;

    public ManagerEndpoint(BaseManager manager, ConnectionAddress address, object pythonAddress, byte[] authKey)
    {
        Manager = manager;
        Address = address;
        PythonAddress = pythonAddress;
        _authKey = authKey;
    }

    public BaseManager Manager { get; }

    public ConnectionAddress Address { get; }

    public object PythonAddress { get; }

    /// <summary>Calls a public function over its own connection (managers.py <c>dispatch</c>) and returns its <c>#RETURN</c> value.</summary>
    /// <remarks>
    /// <code>
    /// client                                      manager (handle_request)
    ///   connect, mutual HMAC handshake       ◄─►  deliver_challenge, answer_challenge
    ///   send (None, funcname, args, kwds)     ─►  func(conn, *args, **kwds)
    ///                                         ◄─  ('#RETURN', result) or ('#TRACEBACK', text)
    ///   close                                     close
    /// </code>
    /// </remarks>
    public object? Dispatch(string function, PyTuple args, PyDict? kwds = null)
    {
        ThrowIfDisposed();
        using var channel = Open();
        var what = new CallDescription(function, null);
        var reply = channel.Request(null, function, args, kwds ?? ManagerRequest.NoKeywords, what);
        var (kind, result) = ManagerProtocol.ReadReply(reply, what);
        return kind == ReplyKind.Return ? result : throw ManagerProtocol.ConvertToError(kind, result, what, Manager.Options.Serializer);
    }

    /// <summary>The asynchronous <see cref="Dispatch"/>.</summary>
    public async ValueTask<object?> DispatchAsync(string function, PyTuple args, PyDict? kwds, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        using var channel = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var what = new CallDescription(function, null);
        var reply = await channel.RequestAsync(null, function, args, kwds ?? ManagerRequest.NoKeywords, what, cancellationToken).ConfigureAwait(false);
        var (kind, result) = ManagerProtocol.ReadReply(reply, what);
        return kind == ReplyKind.Return ? result : throw ManagerProtocol.ConvertToError(kind, result, what, Manager.Options.Serializer);
    }

    /// <summary>Takes the channel for a synchronous call: this thread's own, or one from the pool.</summary>
    public ManagerChannel Rent()
    {
        ThrowIfDisposed();
        if (Manager.Options.ConnectionMode == ManagerConnectionMode.PerThread)
        {
            var channel = _perThread.Value;
            if (channel is null)
            {
                channel = Accept(Open(), ThreadName());
                _perThread.Value = channel;
            }

            return channel;
        }

        return _idle.TryTake(out var idle) ? idle : Accept(Open(), PoolName());
    }

    /// <summary>Takes a pooled channel for an asynchronous call (or one pinned by a lock scope).</summary>
    public async ValueTask<ManagerChannel> RentAsync(CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        if (_idle.TryTake(out var idle))
        {
            return idle;
        }

        var channel = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await AcceptAsync(channel, PoolName(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Takes a pooled channel synchronously (for scopes that pin one).</summary>
    public ManagerChannel RentPooled()
    {
        ThrowIfDisposed();
        return _idle.TryTake(out var idle) ? idle : Accept(Open(), PoolName());
    }

    /// <summary>Gives a channel back after a call: a broken one is closed (and forgotten by its thread).</summary>
    public void Return(ManagerChannel channel, bool pooled)
    {
        if (channel.Broken || _disposed)
        {
            channel.Dispose();
            if (!pooled && ReferenceEquals(_perThread.Value, channel))
            {
                _perThread.Value = null;
            }

            return;
        }

        if (pooled)
        {
            _idle.Add(channel);
        }
    }

    /// <summary>Whether synchronous calls on this thread use a pooled channel (and must return it).</summary>
    public bool SyncCallsArePooled => Manager.Options.ConnectionMode == ManagerConnectionMode.Pooled;

    public void Dispose()
    {
        _disposed = true;
        foreach (var channel in _perThread.Values)
        {
            channel?.Dispose();
        }

        while (_idle.TryTake(out var channel))
        {
            channel.Dispose();
        }

        _perThread.Dispose();
    }

    /// <summary>A clear error for a connection that failed mid-call (the manager exited, the network broke, the call timed out).</summary>
    public Exception TransportError(Exception e, CallDescription what) => e switch
    {
        TimeoutException => new TimeoutException($"The manager at {Address} did not answer {what} within the call timeout; the connection was closed", e),
        EndOfStreamException => new EndOfStreamException($"The manager at {Address} closed the connection before answering {what} (has the manager process exited?)", e),
        ObjectDisposedException when _disposed => new ObjectDisposedException($"The manager client for {Address} was disposed during {what}", e),
        _ => new IOException($"The connection to the manager at {Address} failed during {what}: {e.Message}", e),
    };

    private ManagerChannel Open()
    {
        Conn connection;
        try
        {
            connection = Connection.Client.Connect(Address, _authKey, Manager.Options.HandshakeTimeout);
        }
        catch (EndOfStreamException e)
        {
            throw new EndOfStreamException($"The manager at {Address} closed the connection during the authkey handshake", e);
        }

        return new ManagerChannel(connection, this);
    }

    private async ValueTask<ManagerChannel> OpenAsync(CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var delay = 1;
        while (true)
        {
            try
            {
                var connection = await Connection.Client.ConnectAsync(Address, _authKey, Manager.Options.HandshakeTimeout, cancellationToken).ConfigureAwait(false);
                return new ManagerChannel(connection, this);
            }
            catch (EndOfStreamException e)
            {
                throw new EndOfStreamException($"The manager at {Address} closed the connection during the authkey handshake", e);
            }
            catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.WouldBlock or SocketError.TryAgain }
                                        && Stopwatch.GetElapsedTime(start) < s_listenBacklogWait)
            {
                // A non-blocking AF_UNIX connect fails with EAGAIN while the listener's backlog (16, or 128 on 3.13) is
                // full; a blocking connect, as Python's, would wait for room. Wait likewise, briefly.
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = Math.Min(delay * 2, 50);
            }
        }
    }

    /// <summary>Turns a fresh connection into a proxy channel: <c>accept_connection(name)</c> answers <c>#RETURN None</c>, then serve_client runs.</summary>
    private ManagerChannel Accept(ManagerChannel channel, string name)
    {
        try
        {
            var reply = channel.Request(null, "accept_connection", PyTuple.Create(name), ManagerRequest.NoKeywords, s_accept);
            CheckAccepted(reply);
            return channel;
        }
        catch
        {
            channel.Dispose();
            throw;
        }
    }

    private async ValueTask<ManagerChannel> AcceptAsync(ManagerChannel channel, string name, CancellationToken cancellationToken)
    {
        try
        {
            var reply = await channel.RequestAsync(null, "accept_connection", PyTuple.Create(name), ManagerRequest.NoKeywords, s_accept, cancellationToken).ConfigureAwait(false);
            CheckAccepted(reply);
            return channel;
        }
        catch
        {
            channel.Dispose();
            throw;
        }
    }

    private void CheckAccepted(object? reply)
    {
        var (kind, result) = ManagerProtocol.ReadReply(reply, s_accept);
        if (kind != ReplyKind.Return)
        {
            throw ManagerProtocol.ConvertToError(kind, result, s_accept, Manager.Options.Serializer);
        }
    }

    /// <summary>The name serve_client gives its thread: Python sends <c>process name|thread name</c>.</summary>
    private static string ThreadName()
    {
        var thread = Thread.CurrentThread;
        return string.Create(CultureInfo.InvariantCulture, $"dotnet-{Environment.ProcessId}|{thread.Name ?? "Thread-" + thread.ManagedThreadId}");
    }

    private static string PoolName() =>
        string.Create(CultureInfo.InvariantCulture, $"dotnet-{Environment.ProcessId}|pool-{Interlocked.Increment(ref s_channelCounter)}");

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
