using System.Buffers;
using System.Buffers.Binary;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Hosting;

/// <summary>
/// The framing between the server and its Python host (docs/python-host.md): a 12-byte header, the payload's length
/// (uint32, big-endian) and the request id (uint64, big-endian; 0 is the start-up exchange), then the payload. A
/// request's payload is a pickle; a reply's is one status byte (0 result, 1 exception, 2 text) and a pickle.
/// </summary>
internal static class HostFrames
{
    public const int HeaderSize = 12;

    /// <summary>Gets the longest payload accepted (the host's side has the same limit).</summary>
    public const int MaxPayload = int.MaxValue;

    /// <summary>Writes one frame and flushes it.</summary>
    public static void Write(Stream stream, long id, ReadOnlySpan<byte> payload, byte? status = null)
    {
        var length = payload.Length + (status is null ? 0 : 1);
        Span<byte> header = stackalloc byte[HeaderSize + 1];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)length);
        BinaryPrimitives.WriteInt64BigEndian(header[4..], id);
        if (status is { } s)
        {
            header[HeaderSize] = s;
            stream.Write(header);
        }
        else
        {
            stream.Write(header[..HeaderSize]);
        }

        stream.Write(payload);
        stream.Flush();
    }

    /// <summary>One request frame, header and pickle in one array: a single write(2) puts it in the pipe.</summary>
    public static byte[] Build(long id, object? request)
    {
        var output = new ArrayBufferWriter<byte>(256);
        output.Advance(HeaderSize);
        PickleSerializer.Dump(output, request);
        var frame = output.WrittenSpan.ToArray();
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)(frame.Length - HeaderSize));
        BinaryPrimitives.WriteInt64BigEndian(frame.AsSpan(4), id);
        return frame;
    }

    /// <summary>Reads one frame; null at end of stream (also in the middle of a frame: the writer died).</summary>
    /// <exception cref="InvalidDataException">The header announces more than <see cref="MaxPayload"/> bytes.</exception>
    public static (long Id, byte[] Payload)? Read(Stream stream)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        if (!Fill(stream, header))
        {
            return null;
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(header);
        var id = BinaryPrimitives.ReadInt64BigEndian(header[4..]);
        if (length > MaxPayload)
        {
            throw new InvalidDataException($"the Python host announced a frame of {length} bytes for request {id} (limit {MaxPayload})");
        }

        var payload = new byte[length];
        return Fill(stream, payload) ? (id, payload) : null;
    }

    private static bool Fill(Stream stream, Span<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var n = stream.Read(buffer);
            if (n == 0)
            {
                return false;
            }

            buffer = buffer[n..];
        }

        return true;
    }
}
