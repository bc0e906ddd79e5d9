namespace Multiprocess.Connection;

/// <summary>Two small messages in one write, for the authkey handshake's pipelined steps.</summary>
public sealed partial class Connection
{
    /// <summary>The longest pair <see cref="SendBytesPair"/> frames on the stack (handshake frames are at most 256 bytes each).</summary>
    private const int PairLimit = 1024;

    /// <summary>
    /// Sends <paramref name="first"/> then <paramref name="second"/> as two messages in one write(2): the peer reads
    /// exactly what two <see cref="SendBytes(ReadOnlySpan{byte})"/> calls would send, but wakes once for both.
    /// </summary>
    /// <exception cref="ArgumentException">The pair is above 1 KiB with its headers.</exception>
    /// <exception cref="IOException">The OS reported an error (e.g. the peer closed).</exception>
    /// <exception cref="ObjectDisposedException">The connection is closed.</exception>
    /// <exception cref="InvalidOperationException">This end is read-only.</exception>
    internal void SendBytesPair(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        var total = (2 * Framing.ShortHeaderLength) + first.Length + second.Length;
        if (total > PairLimit)
        {
            throw new ArgumentException($"SendBytesPair frames at most {PairLimit} bytes with headers; got {first.Length} + {second.Length} bytes of payload");
        }

        var transport = CheckWritable();
        Span<byte> frames = stackalloc byte[total];
        var at = Framing.WriteHeader(frames, first.Length);
        first.CopyTo(frames[at..]);
        at += first.Length;
        at += Framing.WriteHeader(frames[at..], second.Length);
        second.CopyTo(frames[at..]);
        transport.Write(frames);
    }
}
