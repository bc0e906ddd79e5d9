using System.Buffers;
using System.Runtime.InteropServices;
using Multiprocess.Connection;
using Multiprocess.Internal;
using Multiprocess.Pickle;

namespace Multiprocess.Queues;

/// <summary>
/// Whole frames on a pipe shared by several processes (docs/protocols.md §4): a reader holding the queue's <c>rlock</c>
/// reads exactly one frame (header, then exactly the payload: never a byte of the next frame, which belongs to
/// whichever process reads next); a writer holding <c>wlock</c> writes whole frames. The framing is
/// <see cref="Framing"/>'s: <c>!i n</c>, or <c>!i -1</c> then <c>!Q n</c>.
/// </summary>
internal static unsafe class PipeFrames
{
    /// <summary>Pickles <paramref name="item"/> behind room for a header and fills the header in: one array holding
    /// one whole frame.</summary>
    public static byte[] Frame(object? item, PickleOptions options)
    {
        var writer = new ArrayBufferWriter<byte>(256);
        writer.Advance(Framing.ShortHeaderLength);
        PickleSerializer.Dump(writer, item, options);
        var payloadLength = writer.WrittenCount - Framing.ShortHeaderLength;
        if (payloadLength <= Framing.MaxShortPayload - Framing.ShortHeaderLength)
        {
            var frame = writer.WrittenSpan.ToArray();
            Framing.WriteHeader(frame, payloadLength); // !i n
            return frame;
        }

        // Near 2 GiB the frame needs the 12-byte header: copy once more (rare).
        var big = new byte[Framing.LongHeaderLength + payloadLength];
        Framing.WriteHeader(big, payloadLength);
        writer.WrittenSpan[Framing.ShortHeaderLength..].CopyTo(big.AsSpan(Framing.LongHeaderLength));
        return big;
    }

    /// <summary>Reads one frame's payload from <paramref name="fd"/> with read(2) only, blocking.</summary>
    /// <exception cref="EndOfStreamException">Every writer has closed the pipe, at a frame boundary (EOFError).</exception>
    /// <exception cref="IOException">The pipe ended inside a frame, the header is impossible, or read(2) failed.</exception>
    public static byte[] Read(int fd)
    {
        // Exactly the header's bytes, so that not a byte of the next frame is taken: 4, and 8 more after the escape.
        Span<byte> header = stackalloc byte[Framing.LongHeaderLength];
        ReadExact(fd, header[..Framing.ShortHeaderLength], atBoundary: true);
        long length;
        try
        {
            if (!Framing.TryReadHeader(header[..Framing.ShortHeaderLength], out length, out _))
            {
                ReadExact(fd, header[Framing.ShortHeaderLength..], atBoundary: false);
                Framing.TryReadHeader(header, out length, out _);
            }
        }
        catch (IOException e)
        {
            throw new IOException($"{e.Message}, on the queue pipe (fd {fd}): the stream is out of step", e);
        }

        if (length > Array.MaxLength)
        {
            throw new IOException($"impossible frame length {length} on the queue pipe (fd {fd}): the stream is out of step");
        }

        var payload = length == 0 ? [] : GC.AllocateUninitializedArray<byte>((int)length);
        ReadExact(fd, payload, atBoundary: false);
        return payload;
    }

    /// <summary>Writes every byte with write(2), retrying EINTR and short writes.</summary>
    /// <exception cref="IOException">write(2) failed (EPIPE once every reader has closed).</exception>
    public static void Write(int fd, ReadOnlySpan<byte> bytes)
    {
        fixed (byte* p = bytes)
        {
            var done = 0;
            while (done < bytes.Length)
            {
                var n = LibcPipe.Write(fd, p + done, (nuint)(bytes.Length - done));
                if (n < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Errno.EINTR)
                    {
                        continue;
                    }

                    throw ThrowHelper.Errno($"write to the queue pipe (fd {fd})", errno);
                }

                done += (int)n;
            }
        }
    }

    /// <summary>Waits until the pipe has input (or end of stream), at most until <paramref name="deadline"/>.</summary>
    public static bool Poll(int fd, long deadline) => SocketNative.PollReadable(fd, deadline);

    private static void ReadExact(int fd, Span<byte> destination, bool atBoundary)
    {
        fixed (byte* p = destination)
        {
            var done = 0;
            while (done < destination.Length)
            {
                var n = LibcPipe.Read(fd, p + done, (nuint)(destination.Length - done));
                if (n > 0)
                {
                    done += (int)n;
                    continue;
                }

                if (n == 0)
                {
                    if (atBoundary && done == 0)
                    {
                        throw new EndOfStreamException($"the queue pipe (fd {fd}) was closed by every writer");
                    }

                    throw new IOException($"the queue pipe (fd {fd}) ended inside a frame ({done} of {destination.Length} bytes of a {(atBoundary ? "header" : "payload")} read)");
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR)
                {
                    throw ThrowHelper.Errno($"read from the queue pipe (fd {fd})", errno);
                }
            }
        }
    }
}
