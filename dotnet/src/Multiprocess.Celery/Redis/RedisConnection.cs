using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Multiprocess.Celery.Redis;

/// <summary>
/// One connection speaking RESP2 (https://redis.io/docs/reference/protocol-spec/), blocking commands included:
/// kombu's consumer sits in <c>BRPOP</c>, which a multiplexing client (StackExchange.Redis) does not allow, so the
/// transport owns its sockets. Not thread-safe: one user at a time (see <see cref="RedisConnectionPool"/>).
/// </summary>
/// <remarks>
/// Replies map to: simple string → <see cref="string"/>; error → <see cref="RedisException"/> thrown (or, inside an
/// array such as EXEC's, returned as the exception object); integer → <see cref="long"/>; bulk string →
/// <see cref="byte"/>[] (null for <c>$-1</c>); array → <see cref="object"/>?[] (null for <c>*-1</c>).
/// </remarks>
public sealed class RedisConnection : IDisposable
{
    // A reply larger than this is refused: no Celery message comes near it, a corrupt length would.
    private const int MaxBulkLength = 512 * 1024 * 1024;
    private readonly Socket _socket;
    private readonly ArrayBufferWriter<byte> _out = new(1024);
    private byte[] _in = new byte[16 * 1024];
    private int _start;
    private int _end;
    private TimeSpan _readTimeout;

    private RedisConnection(Socket socket, RedisEndpoint endpoint)
    {
        _socket = socket;
        Endpoint = endpoint;
    }

    /// <summary>Gets the server this connects to.</summary>
    public RedisEndpoint Endpoint { get; }

    /// <summary>Gets a value indicating whether an I/O error or timeout left the stream at an unknown position.</summary>
    public bool IsBroken { get; private set; }

    /// <summary>Gets or sets how long a reply may take before the connection is given up.</summary>
    public TimeSpan ReplyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Connects, authenticates and selects the database.</summary>
    /// <param name="endpoint">The server.</param>
    /// <param name="timeout">Connect timeout.</param>
    /// <returns>The connection.</returns>
    /// <exception cref="IOException">The server cannot be reached; the message names it.</exception>
    /// <exception cref="RedisException">AUTH or SELECT was refused.</exception>
    public static RedisConnection Open(RedisEndpoint endpoint, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var socket = endpoint.EndPoint is System.Net.Sockets.UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            socket.ConnectAsync(endpoint.EndPoint, cts.Token).AsTask().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            throw new IOException($"cannot connect to redis at {endpoint}: {e.Message}", e);
        }

        var connection = new RedisConnection(socket, endpoint);
        try
        {
            if (endpoint.Password is { } password)
            {
                _ = endpoint.User is { } user ? connection.Execute("AUTH", user, password) : connection.Execute("AUTH", password);
            }

            if (endpoint.Database != 0)
            {
                connection.Execute("SELECT", endpoint.Database);
            }
        }
        catch
        {
            connection.Dispose();
            throw;
        }

        return connection;
    }

    /// <summary>Sends one command and reads its reply.</summary>
    /// <param name="args">Command name and arguments: <see cref="string"/> (UTF-8), <see cref="byte"/>[], integers, reals.</param>
    /// <returns>The reply.</returns>
    /// <exception cref="RedisException">An error reply.</exception>
    /// <exception cref="IOException">The connection failed or timed out.</exception>
    public object? Execute(params object[] args)
    {
        Write(args);
        Flush();
        return Read(ReplyTimeout);
    }

    /// <summary>Buffers a command (pipelining: several writes, one <see cref="Flush"/>, as many <see cref="Read"/>s).</summary>
    /// <param name="args">Command name and arguments.</param>
    // RESP: *<argc>\r\n then per argument $<len>\r\n<bytes>\r\n
    public void Write(params object[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        WriteHeader((byte)'*', args.Length);
        foreach (var a in args)
        {
            switch (a)
            {
                case byte[] bytes:
                    WriteBulk(bytes);
                    break;
                case ReadOnlyMemory<byte> rom:
                    WriteBulk(rom.Span);
                    break;
                case string s:
                    var n = Encoding.UTF8.GetByteCount(s);
                    WriteHeader((byte)'$', n);
                    Encoding.UTF8.GetBytes(s, _out.GetSpan(n + 2));
                    _out.Advance(n);
                    WriteCrlf();
                    break;
                case int or long:
                    WriteBulk(Encoding.ASCII.GetBytes(Convert.ToInt64(a, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture)));
                    break;
                case double d:
                    WriteBulk(Encoding.ASCII.GetBytes(d.ToString("R", CultureInfo.InvariantCulture)));
                    break;
                default:
                    throw new ArgumentException($"a redis argument cannot be a {a?.GetType().FullName ?? "null"}");
            }
        }
    }

    /// <summary>Sends what <see cref="Write"/> buffered.</summary>
    /// <exception cref="IOException">The connection failed.</exception>
    public void Flush()
    {
        try
        {
            var span = _out.WrittenMemory;
            while (!span.IsEmpty)
            {
                var n = _socket.Send(span.Span);
                span = span[n..];
            }
        }
        catch (SocketException e)
        {
            IsBroken = true;
            throw new IOException($"redis {Endpoint}: send failed: {e.Message}", e);
        }
        finally
        {
            _out.ResetWrittenCount();
        }
    }

    /// <summary>Reads one reply.</summary>
    /// <param name="timeout">How long to wait for it (a blocking command's own timeout plus a margin).</param>
    /// <returns>The reply.</returns>
    /// <exception cref="RedisException">An error reply.</exception>
    /// <exception cref="IOException">The connection failed, closed or timed out.</exception>
    public object? Read(TimeSpan timeout)
    {
        _readTimeout = timeout;
        _socket.ReceiveTimeout = timeout == Timeout.InfiniteTimeSpan ? 0 : Math.Max(1, (int)timeout.TotalMilliseconds);
        var reply = ReadReply();
        return reply is RedisException error ? throw new RedisException(error.Message) : reply;
    }

    /// <summary>Closes the socket.</summary>
    public void Dispose() => _socket.Dispose();

    /// <summary>Interrupts a blocked <see cref="Read"/> from another thread: the connection is broken afterwards.</summary>
    public void Abort()
    {
        IsBroken = true;
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already closed by the peer.
        }
        catch (ObjectDisposedException)
        {
            // Already disposed.
        }
    }

    private void WriteBulk(ReadOnlySpan<byte> bytes)
    {
        WriteHeader((byte)'$', bytes.Length);
        bytes.CopyTo(_out.GetSpan(bytes.Length));
        _out.Advance(bytes.Length);
        WriteCrlf();
    }

    private void WriteHeader(byte kind, int length)
    {
        var span = _out.GetSpan(16);
        span[0] = kind;
        Utf8Formatter.TryFormat(length, span[1..], out var n);
        span[n + 1] = (byte)'\r';
        span[n + 2] = (byte)'\n';
        _out.Advance(n + 3);
    }

    private void WriteCrlf()
    {
        var span = _out.GetSpan(2);
        span[0] = (byte)'\r';
        span[1] = (byte)'\n';
        _out.Advance(2);
    }

    private object? ReadReply()
    {
        var line = ReadLine();
        var kind = line[0];
        var rest = line.AsSpan(1);
        switch (kind)
        {
            case (byte)'+':
                return Encoding.UTF8.GetString(rest);
            case (byte)'-':
                return new RedisException($"redis {Endpoint}: {Encoding.UTF8.GetString(rest)}");
            case (byte)':':
                return ParseInteger(rest);
            case (byte)'$':
                var length = ParseInteger(rest);
                if (length < 0)
                {
                    return null;
                }

                if (length > MaxBulkLength)
                {
                    throw Broken($"bulk reply of {length} bytes exceeds {MaxBulkLength}");
                }

                var bulk = new byte[length];
                ReadExact(bulk);
                ReadExact(stackalloc byte[2]);
                return bulk;
            case (byte)'*':
                var count = ParseInteger(rest);
                if (count < 0)
                {
                    return null;
                }

                var items = new object?[count];
                for (var i = 0; i < count; i++)
                {
                    items[i] = ReadReply();
                }

                return items;
            default:
                throw Broken($"unexpected reply type byte 0x{kind:x2}");
        }
    }

    private long ParseInteger(ReadOnlySpan<byte> text) =>
        Utf8Parser.TryParse(text, out long value, out var consumed) && consumed == text.Length
            ? value
            : throw Broken($"bad integer '{Encoding.ASCII.GetString(text)}' in a reply");

    private byte[] ReadLine()
    {
        while (true)
        {
            var idx = _in.AsSpan(_start, _end - _start).IndexOf("\r\n"u8);
            if (idx >= 0)
            {
                var line = _in.AsSpan(_start, idx).ToArray();
                _start += idx + 2;
                if (line.Length == 0)
                {
                    throw Broken("empty reply line");
                }

                return line;
            }

            Fill();
        }
    }

    private void ReadExact(Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            if (_start == _end)
            {
                if (destination.Length >= _in.Length)
                {
                    // Large bulk: straight into the destination, skipping our buffer.
                    var n = Receive(destination);
                    destination = destination[n..];
                    continue;
                }

                Fill();
            }

            var take = Math.Min(destination.Length, _end - _start);
            _in.AsSpan(_start, take).CopyTo(destination);
            _start += take;
            destination = destination[take..];
        }
    }

    private void Fill()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_in, _start, _in, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _in.Length)
        {
            Array.Resize(ref _in, _in.Length * 2);
        }

        _end += Receive(_in.AsSpan(_end));
    }

    private int Receive(Span<byte> destination)
    {
        int n;
        try
        {
            n = _socket.Receive(destination);
        }
        catch (SocketException e)
        {
            IsBroken = true;
            throw new IOException(
                e.SocketErrorCode == SocketError.TimedOut ? $"redis {Endpoint}: no reply within {_readTimeout.TotalSeconds:0.###} s" : $"redis {Endpoint}: receive failed: {e.Message}",
                e);
        }
        catch (ObjectDisposedException e)
        {
            IsBroken = true;
            throw new IOException($"redis {Endpoint}: connection closed", e);
        }

        if (n == 0)
        {
            IsBroken = true;
            throw new IOException($"redis {Endpoint}: the server closed the connection");
        }

        return n;
    }

    private IOException Broken(string what)
    {
        IsBroken = true;
        return new IOException($"redis {Endpoint}: {what}");
    }
}
