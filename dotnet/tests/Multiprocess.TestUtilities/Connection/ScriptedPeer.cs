using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using MpConnection = Multiprocess.Connection.Connection;

namespace Multiprocess.TestUtilities.Connection;

/// <summary>
/// A fake peer for handshake and framing failure paths: the far end of a socketpair, driven byte by byte by the
/// test. It frames and computes HMACs with its own code (not the engine's), so a shared bug cannot hide.
/// </summary>
public sealed class ScriptedPeer : IDisposable
{
    private readonly Socket _socket;

    private ScriptedPeer(Socket socket) => _socket = socket;

    /// <summary>Creates the connection under test and the scripted peer at its other end.</summary>
    public static (MpConnection Connection, ScriptedPeer Peer) Create()
    {
        var (a, b) = MpConnection.Pipe();
        // Take the raw socket of one end away from its Connection: the peer must not buffer or frame for us.
        var fd = b.Fileno();
        var socket = new Socket(new SafeSocketHandle(Dup(fd), ownsHandle: true));
        b.Close();
        return (a, new ScriptedPeer(socket));
    }

    /// <summary>The bytes of <c>#CHALLENGE#</c>.</summary>
    public static byte[] Challenge => "#CHALLENGE#"u8.ToArray();

    /// <summary>Sends a frame with a 4-byte big-endian length header.</summary>
    public void SendFrame(ReadOnlySpan<byte> payload)
    {
        var frame = new byte[4 + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, payload.Length);
        payload.CopyTo(frame.AsSpan(4));
        SendRaw(frame);
    }

    /// <summary>Sends a frame whose payload is ASCII text.</summary>
    public void SendFrame(string ascii) => SendFrame(Encoding.ASCII.GetBytes(ascii));

    /// <summary>Sends bytes as they are (broken headers, truncated frames).</summary>
    public void SendRaw(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            bytes = bytes[_socket.Send(bytes)..];
        }
    }

    /// <summary>Receives one frame (4-byte header, or -1 + 8-byte header); fails the test after <paramref name="timeout"/>.</summary>
    public byte[] ReceiveFrame(TimeSpan? timeout = null)
    {
        _socket.ReceiveTimeout = (int)(timeout ?? TimeSpan.FromSeconds(10)).TotalMilliseconds;
        var header = ReceiveExactly(4);
        long length = BinaryPrimitives.ReadInt32BigEndian(header);
        if (length == -1)
        {
            length = (long)BinaryPrimitives.ReadUInt64BigEndian(ReceiveExactly(8));
        }

        return ReceiveExactly((int)length);
    }

    /// <summary>Receives exactly <paramref name="count"/> raw bytes.</summary>
    public byte[] ReceiveRawExactly(int count, TimeSpan? timeout = null)
    {
        _socket.ReceiveTimeout = (int)(timeout ?? TimeSpan.FromSeconds(10)).TotalMilliseconds;
        return ReceiveExactly(count);
    }

    /// <summary>Receives one frame and returns it as ASCII.</summary>
    public string ReceiveText(TimeSpan? timeout = null) => Encoding.ASCII.GetString(ReceiveFrame(timeout));

    /// <summary>Whether the other side closed (reads end of stream) within the timeout.</summary>
    public bool IsClosedByOtherSide(TimeSpan timeout)
    {
        _socket.ReceiveTimeout = (int)timeout.TotalMilliseconds;
        try
        {
            var buffer = new byte[1];
            return _socket.Receive(buffer) == 0;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>HMAC of <paramref name="message"/> with a digest named as in Python (md5, sha256, sha384, sha3_256, sha3_384).</summary>
    public static byte[] Hmac(string digest, byte[] key, byte[] message) => digest switch
    {
        "md5" => new HMACMD5(key).ComputeHash(message),
        "sha256" => new HMACSHA256(key).ComputeHash(message),
        "sha384" => new HMACSHA384(key).ComputeHash(message),
        "sha3_256" => new HMACSHA3_256(key).ComputeHash(message),
        "sha3_384" => new HMACSHA3_384(key).ComputeHash(message),
        _ => throw new ArgumentException("unknown digest " + digest, nameof(digest)),
    };

    /// <summary>Closes the peer's end: the connection under test reads end of stream.</summary>
    public void Close() => _socket.Dispose();

    public void Dispose() => _socket.Dispose();

    private byte[] ReceiveExactly(int count)
    {
        var buffer = new byte[count];
        var got = 0;
        while (got < count)
        {
            var n = _socket.Receive(buffer, got, count - got, SocketFlags.None);
            if (n == 0)
            {
                throw new EndOfStreamException($"scripted peer: the connection under test closed after {got} of {count} bytes");
            }

            got += n;
        }

        return buffer;
    }

    [System.Runtime.InteropServices.DllImport("libc.so.6", EntryPoint = "dup", SetLastError = true)]
    private static extern int DupNative(int fd);

    private static IntPtr Dup(int fd)
    {
        var copy = DupNative(fd);
        if (copy < 0)
        {
            throw new IOException($"dup({fd}) failed, errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        }

        return copy;
    }
}
