using System.Net.Sockets;
using Multiprocess.Internal;

namespace Multiprocess.Connection;

/// <summary>Accepting: sync, with a timeout, async; then the handshake when there is a key.</summary>
public sealed partial class Listener
{
    /// <summary>Waits for a connection and, with an authkey, authenticates it (Python's <c>accept()</c>).</summary>
    /// <returns>The connection.</returns>
    /// <exception cref="AuthenticationException">The client's key differs, or it broke the handshake (the connection was closed).</exception>
    /// <exception cref="EndOfStreamException">The client closed during the handshake.</exception>
    /// <exception cref="TimeoutException">The handshake took longer than <see cref="HandshakeTimeout"/>.</exception>
    /// <exception cref="IOException">accept(2) failed, or the handshake met a bad frame.</exception>
    /// <exception cref="ObjectDisposedException">The listener is closed.</exception>
    public Connection Accept() => Accept(Timeout.InfiniteTimeSpan);

    /// <summary>Waits up to <paramref name="timeout"/> for a connection, then authenticates it as <see cref="Accept()"/> does.</summary>
    /// <param name="timeout">How long to wait for a client; the handshake has its own <see cref="HandshakeTimeout"/>.</param>
    /// <returns>The connection.</returns>
    /// <exception cref="TimeoutException">No client came in time, or the handshake took too long.</exception>
    /// <exception cref="AuthenticationException">The client's key differs, or it broke the handshake.</exception>
    /// <exception cref="EndOfStreamException">The client closed during the handshake.</exception>
    /// <exception cref="IOException">accept(2) failed, or the handshake met a bad frame.</exception>
    /// <exception cref="ObjectDisposedException">The listener is closed.</exception>
    public Connection Accept(TimeSpan timeout) => Accept(timeout, out _);

    /// <summary>
    /// <see cref="Accept(TimeSpan)"/> that also gives the client's address, for callers that accept on several
    /// threads at once (<see cref="LastAccepted"/> is whichever accept finished last).
    /// </summary>
    internal Connection Accept(TimeSpan timeout, out ConnectionAddress? peer)
    {
        var socket = CheckOpen();
        if (timeout != Timeout.InfiniteTimeSpan
            && !SocketNative.PollReadable((int)socket.SafeHandle.DangerousGetHandle(), Deadline.From(timeout)))
        {
            throw new TimeoutException($"No connection to {Address.FamilyName} '{Address}' within {timeout}");
        }

        Socket accepted;
        while (true)
        {
            try
            {
                accepted = socket.Accept();
                break;
            }
            catch (SocketException e) when (_socket is null)
            {
                // Closed by another thread while blocked: .NET reports that as EINTR.
                throw new ObjectDisposedException(nameof(Listener), $"The listener on '{Address}' was closed while accepting ({e.SocketErrorCode})");
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.Interrupted)
            {
                // A signal, not a close: accept again (PEP 475).
            }
            catch (SocketException e)
            {
                throw AcceptError(e);
            }
            catch (ObjectDisposedException)
            {
                throw new ObjectDisposedException(nameof(Listener), $"The listener on '{Address}' was closed while accepting");
            }
        }

        var connection = Adopt(accepted, out peer);
        if (_authKey is not null)
        {
            try
            {
                Authentication.AuthenticateAsServer(connection, _authKey, HandshakeTimeout);
            }
            catch
            {
                connection.Close();
                throw;
            }
        }

        return connection;
    }

    /// <summary>Waits asynchronously for a connection and, with an authkey, authenticates it.</summary>
    /// <param name="cancellationToken">Cancels the wait and the handshake.</param>
    /// <returns>The connection.</returns>
    /// <exception cref="AuthenticationException">The client's key differs, or it broke the handshake (the connection was closed).</exception>
    /// <exception cref="EndOfStreamException">The client closed during the handshake.</exception>
    /// <exception cref="TimeoutException">The handshake took longer than <see cref="HandshakeTimeout"/>.</exception>
    /// <exception cref="IOException">accept(2) failed, or the handshake met a bad frame.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The listener is closed.</exception>
    public async ValueTask<Connection> AcceptAsync(CancellationToken cancellationToken = default)
    {
        var connection = await AcceptUnauthenticatedAsync(cancellationToken).ConfigureAwait(false);
        if (_authKey is not null)
        {
            try
            {
                await Authentication.AuthenticateAsServerAsync(connection, _authKey, HandshakeTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                connection.Close();
                throw;
            }
        }

        return connection;
    }

    /// <summary>
    /// Waits asynchronously for a connection and returns it without running the handshake, for servers that
    /// authenticate on their own task (<see cref="Authentication.AuthenticateAsServer"/>) so that one slow client
    /// does not hold up the accept loop.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The connection, not yet authenticated.</returns>
    /// <exception cref="IOException">accept(2) failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The listener is closed.</exception>
    public async ValueTask<Connection> AcceptUnauthenticatedAsync(CancellationToken cancellationToken = default)
    {
        var socket = CheckOpen();
        Socket accepted;
        try
        {
            accepted = await socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e) when (_socket is null)
        {
            throw new ObjectDisposedException(nameof(Listener), $"The listener on '{Address}' was closed while accepting ({e.SocketErrorCode})");
        }
        catch (SocketException e)
        {
            throw AcceptError(e);
        }

        return Adopt(accepted, out _);
    }
}
