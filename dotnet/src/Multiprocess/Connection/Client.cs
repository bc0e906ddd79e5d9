using System.Net.Sockets;

namespace Multiprocess.Connection;

/// <summary>
/// Connects to a <see cref="Listener"/> (Python's <c>multiprocessing.connection.Client</c>): a blocking stream
/// socket of the address's family (no retries, as on POSIX), TCP_NODELAY on TCP, then, with an authkey, the client
/// side of the handshake (<see cref="Authentication.AuthenticateAsClient"/>).
/// </summary>
public static class Client
{
    /// <summary>Connects and, with an authkey, authenticates.</summary>
    /// <param name="address">The listener's address.</param>
    /// <param name="authKey">The shared key; null for no handshake (an empty key runs it).</param>
    /// <param name="handshakeTimeout">The limit on the handshake; null is <see cref="Authentication.DefaultTimeout"/>.</param>
    /// <returns>The connection.</returns>
    /// <exception cref="IOException">The connect failed (refused, no such socket file...); the message names the address.</exception>
    /// <exception cref="AuthenticationException">The keys differ, or the server broke the handshake.</exception>
    /// <exception cref="EndOfStreamException">The server closed during the handshake.</exception>
    /// <exception cref="TimeoutException">The handshake did not finish in time.</exception>
    public static Connection Connect(ConnectionAddress address, byte[]? authKey = null, TimeSpan? handshakeTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        var socket = NewSocket(address);
        try
        {
            socket.Connect(address.ToEndPoint(forListening: false));
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw ConnectError(address, e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var connection = new Connection(new SocketTransport(socket));
        if (authKey is not null)
        {
            try
            {
                Authentication.AuthenticateAsClient(connection, authKey, handshakeTimeout);
            }
            catch
            {
                connection.Close();
                throw;
            }
        }

        return connection;
    }

    /// <summary>Connects and, with an authkey, authenticates, asynchronously.</summary>
    /// <param name="address">The listener's address.</param>
    /// <param name="authKey">The shared key; null for no handshake.</param>
    /// <param name="handshakeTimeout">The limit on the handshake; null is <see cref="Authentication.DefaultTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the connect and the handshake.</param>
    /// <returns>The connection.</returns>
    /// <exception cref="IOException">The connect failed; the message names the address.</exception>
    /// <exception cref="AuthenticationException">The keys differ, or the server broke the handshake.</exception>
    /// <exception cref="EndOfStreamException">The server closed during the handshake.</exception>
    /// <exception cref="TimeoutException">The handshake did not finish in time.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async ValueTask<Connection> ConnectAsync(ConnectionAddress address, byte[]? authKey = null, TimeSpan? handshakeTimeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        var socket = NewSocket(address);
        try
        {
            await socket.ConnectAsync(address.ToEndPoint(forListening: false), cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw ConnectError(address, e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var connection = new Connection(new SocketTransport(socket));
        if (authKey is not null)
        {
            try
            {
                await Authentication.AuthenticateAsClientAsync(connection, authKey, handshakeTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                connection.Close();
                throw;
            }
        }

        return connection;
    }

    private static Socket NewSocket(ConnectionAddress address)
    {
        var tcp = address.Family != ConnectionFamily.Unix;
        var socket = new Socket(address.AddressFamily, SocketType.Stream, tcp ? ProtocolType.Tcp : ProtocolType.Unspecified);
        if (tcp)
        {
            socket.NoDelay = true;
        }

        return socket;
    }

    private static IOException ConnectError(ConnectionAddress address, SocketException e) =>
        new($"Could not connect to {address.FamilyName} '{address}': {e.Message} ({e.SocketErrorCode})", e);
}
