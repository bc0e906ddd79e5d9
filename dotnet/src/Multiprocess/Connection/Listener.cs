using System.Net.Sockets;
using Multiprocess.Internal;

namespace Multiprocess.Connection;

/// <summary>
/// A bound, listening socket that hands out <see cref="Connection"/>s: Python's
/// <c>multiprocessing.connection.Listener</c> (docs/protocols.md §1.6). With an authkey every accepted connection first
/// runs the server side of the handshake (<see cref="Authentication.AuthenticateAsServer"/>).
/// </summary>
/// <remarks>
/// As in CPython: SO_REUSEADDR is set, the default address is a fresh AF_UNIX path in a private temporary folder,
/// the default backlog is 1 (Linux then queues 2 pending connects: raise it for servers), and a filesystem socket
/// is removed when the listener closes (abstract names vanish by themselves). Unlike CPython, accepted TCP sockets
/// get TCP_NODELAY, and a handshake that fails closes the connection before the exception propagates.
/// </remarks>
public sealed partial class Listener : IWaitable, IDisposable
{
    private readonly byte[]? _authKey;
    private readonly string? _unlinkPath;
    private readonly bool _tcp;
    private Socket? _socket;
    private long _maxMessageLength = Connection.DefaultMaxMessageLength;

    /// <summary>Initializes a new instance of the <see cref="Listener"/> class: binds and listens.</summary>
    /// <param name="address">Where to listen; null picks a fresh AF_UNIX path (Python's default family on POSIX).</param>
    /// <param name="backlog">The listen(2) backlog (Python's default is 1).</param>
    /// <param name="authKey">The shared key; null for no handshake. An empty key still runs the handshake (3.13 semantics).</param>
    /// <exception cref="IOException">The address could not be bound (in use, no permission, no such folder...).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="backlog"/> is negative.</exception>
    public Listener(ConnectionAddress? address = null, int backlog = 1, byte[]? authKey = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(backlog);
        address ??= ConnectionAddress.Arbitrary(ConnectionFamily.Unix);
        _authKey = authKey is null ? null : (byte[])authKey.Clone();
        _tcp = address.Family != ConnectionFamily.Unix;

        var socket = new Socket(address.AddressFamily, SocketType.Stream, _tcp ? ProtocolType.Tcp : ProtocolType.Unspecified);
        try
        {
            // connection.py SocketListener: SO_REUSEADDR on POSIX, bind, listen(backlog). Raw, because .NET's
            // ReuseAddress also sets SO_REUSEPORT (EOPNOTSUPP on AF_UNIX; two listeners on one port on TCP).
            socket.SetRawSocketOption(SocketNative.SOL_SOCKET, SocketNative.SO_REUSEADDR, BitConverter.GetBytes(1));
            socket.Bind(address.ToEndPoint(forListening: true));
            socket.Listen(backlog);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new IOException($"Could not listen on {address.FamilyName} '{address}': {e.Message} ({e.SocketErrorCode})", e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        _socket = socket;
        Address = address is InetAddress ? ConnectionAddress.FromEndPoint(socket.LocalEndPoint)! : address;
        _unlinkPath = (address as UnixPathAddress)?.Path;
    }

    /// <summary>Initializes a new instance of the <see cref="Listener"/> class on a fresh address of <paramref name="family"/> (Python's <c>Listener(family=...)</c>).</summary>
    /// <param name="family">The family; the address is <see cref="ConnectionAddress.Arbitrary"/>'s.</param>
    /// <param name="backlog">The listen(2) backlog.</param>
    /// <param name="authKey">The shared key; null for no handshake.</param>
    /// <exception cref="IOException">The address could not be bound.</exception>
    public Listener(ConnectionFamily family, int backlog = 1, byte[]? authKey = null)
        : this(ConnectionAddress.Arbitrary(family), backlog, authKey)
    {
    }

    /// <summary>Gets the bound address (Python's <c>address</c>): for TCP the resolved IP and port, e.g. <c>127.0.0.1:43117</c>.</summary>
    public ConnectionAddress Address { get; }

    /// <summary>Gets the peer address of the last accepted connection (Python's <c>last_accepted</c>); null for an unbound AF_UNIX peer.</summary>
    public ConnectionAddress? LastAccepted { get; private set; }

    /// <summary>Gets or sets the limit on each accepted connection's handshake (default 20 s; <see cref="Timeout.InfiniteTimeSpan"/> for none).</summary>
    public TimeSpan HandshakeTimeout { get; set; } = Authentication.DefaultTimeout;

    /// <summary>
    /// Gets or sets the longest message the connections this listener accepts will take (their
    /// <see cref="Connection.MaxMessageLength"/>); defaults to <see cref="Connection.DefaultMaxMessageLength"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public long MaxMessageLength
    {
        get => _maxMessageLength;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _maxMessageLength = value;
        }
    }

    /// <summary>Gets a value indicating whether the listener was closed.</summary>
    public bool Closed => _socket is null;

    /// <summary>Returns the listening socket's fd (readable when a connection is waiting to be accepted).</summary>
    /// <returns>The fd.</returns>
    /// <exception cref="ObjectDisposedException">The listener is closed.</exception>
    public int Fileno() => (int)CheckOpen().SafeHandle.DangerousGetHandle();

    /// <summary>Closes the socket and removes the socket file of a path address (Python's <c>close()</c>); closing twice is harmless.</summary>
    public void Close()
    {
        var socket = Interlocked.Exchange(ref _socket, null);
        if (socket is null)
        {
            return;
        }

        socket.Dispose();
        if (_unlinkPath is not null)
        {
            try
            {
                File.Delete(_unlinkPath);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose() => Close();

    /// <summary>Describes the listener.</summary>
    /// <returns>The family and address.</returns>
    public override string ToString() => $"Listener({Address.FamilyName} {Address}{(Closed ? ", closed" : "")})";

    private Socket CheckOpen()
    {
        var socket = _socket;
        if (socket is null)
        {
            throw new ObjectDisposedException(nameof(Listener), $"The listener on '{Address}' is closed");
        }

        return socket;
    }

    /// <summary>Wraps an accepted socket: TCP_NODELAY on TCP, peer address recorded.</summary>
    private Connection Adopt(Socket accepted, out ConnectionAddress? peer)
    {
        try
        {
            accepted.Blocking = true;
            if (_tcp)
            {
                accepted.NoDelay = true;
            }

            LastAccepted = peer = ConnectionAddress.FromEndPoint(accepted.RemoteEndPoint);
        }
        catch
        {
            accepted.Dispose();
            throw;
        }

        return new Connection(new SocketTransport(accepted)) { MaxMessageLength = MaxMessageLength };
    }

    private IOException AcceptError(SocketException e) =>
        new($"accept() on {Address.FamilyName} '{Address}' failed: {e.Message} ({e.SocketErrorCode})", e);
}
