using System.Runtime.InteropServices;
using Multiprocess.Internal;

namespace Multiprocess.Queues;

/// <summary>
/// Frames behind a marker on a pipe several processes read (the pool's task pipe, read through <see
/// cref="SimpleQueue.FramesMarked"/>): CPython's frames (<c>!i n</c>, payload), each behind an 8-byte marker. Several
/// processes read the pipe, one frame each under the task lock; a worker killed in the middle of reading a frame
/// (between the header and the payload, or inside a large payload) leaves the rest of that frame in the pipe, and with
/// CPython's bare frames the next reader would take those bytes for a header: a garbage length, a worker exiting on
/// EOFError or blocking for ever inside the lock, the pool stuck. The marker lets the next reader find the next frame:
/// the torn frame's task is lost (the pool fails it, as any task a dying worker took), every later one runs. Only the
/// pool and its own workers (the initializer in <c>Pooling/WorkerSlots.cs</c>, and <c>Pooling/CSharpWorker.cs</c>) use
/// this pipe, so the marker is not on any wire another program reads.
/// </summary>
internal static unsafe class MarkedPipeFrames
{
    /// <summary>Gets the marker, <c>b'\xffmpTask\xff'</c> (the workers' initializer spells it the same way). A pickle
    /// starts with 0x80, so a frame's payload starts with the marker only if a task carries these very bytes.</summary>
    public static ReadOnlySpan<byte> Marker => [0xff, (byte)'m', (byte)'p', (byte)'T', (byte)'a', (byte)'s', (byte)'k', 0xff];

    /// <summary>Reads the next frame's payload: past the marker (skipping what is left of a torn frame before it),
    /// then CPython's header and payload (<see cref="PipeFrames.Read"/>).</summary>
    /// <exception cref="EndOfStreamException">Every writer has closed the pipe, at a frame boundary.</exception>
    /// <exception cref="IOException">read(2) failed, or the pipe ended inside a frame.</exception>
    public static byte[] Read(int fd)
    {
        SkipToMarker(fd);
        return PipeFrames.Read(fd);
    }

    /// <summary>Consumes bytes up to and including the next marker: exactly the marker when the stream is in step,
    /// otherwise one byte at a time (the rest of a frame whose reader died) until the last eight read are it.</summary>
    private static void SkipToMarker(int fd)
    {
        var marker = Marker;
        Span<byte> window = stackalloc byte[marker.Length];
        var have = ReadSome(fd, window, 0, atBoundary: true);
        while (have < window.Length)
        {
            have += ReadSome(fd, window[have..], have, atBoundary: false);
        }

        while (!window.SequenceEqual(marker))
        {
            window[1..].CopyTo(window);
            ReadSome(fd, window[^1..], have++, atBoundary: false);
        }
    }

    private static int ReadSome(int fd, Span<byte> destination, int done, bool atBoundary)
    {
        fixed (byte* p = destination)
        {
            while (true)
            {
                var n = LibcPipe.Read(fd, p, (nuint)destination.Length);
                if (n > 0)
                {
                    return (int)n;
                }

                if (n == 0)
                {
                    throw atBoundary && done == 0
                        ? new EndOfStreamException($"the task pipe (fd {fd}) was closed by every writer")
                        : new IOException($"the task pipe (fd {fd}) ended inside a frame marker ({done} bytes read)");
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR)
                {
                    throw ThrowHelper.Errno($"read from the task pipe (fd {fd})", errno);
                }
            }
        }
    }
}
