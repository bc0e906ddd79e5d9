using System.Buffers;
using Multiprocess.Connection;

namespace Multiprocess.Fuzz;

/// <summary>
/// <c>frame</c>: a <see cref="Connection.Connection"/> receiving from a peer that sends the input. Byte 0 picks the
/// read chunk (1–64 bytes, or all at once), byte 1 the receive call (RecvBytes with and without a maximum,
/// RecvBytesInto a small buffer, RecvBytes into a buffer writer, RecvBytesAsync) and a message length limit; the rest
/// is the stream. Messages are received until the stream ends. Memory may not grow beyond what arrived: a header
/// that announces 2 GiB and sends nothing costs at most the first 1 MiB step (docs/limits.md).
/// </summary>
internal static class FrameTarget
{
    public static FuzzTarget Create() => new("frame", "Connection receives (sync, into, buffer writer, async) over a scripted peer", Run, Seeds);

    private static void Run(byte[] input)
    {
        if (input.Length < 2)
        {
            return;
        }

        var chunk = input[0] < 192 ? 1 + (input[0] % 64) : int.MaxValue;
        var mode = input[1] % 5;
        var stream = input.AsMemory(2);
        using var connection = new Connection.Connection(new ScriptedTransport(stream, chunk));
        if (input[1] >= 128)
        {
            connection.MaxMessageLength = 1 << 12;
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        var into = new byte[64];
        var writer = new ArrayBufferWriter<byte>();
        try
        {
            for (var messages = 0; messages < 10_000; messages++)
            {
                try
                {
                    _ = mode switch
                    {
                        0 => connection.RecvBytes().Length,
                        1 => connection.RecvBytes(256).Length,
                        2 => connection.RecvBytesInto(into),
                        3 => (int)connection.RecvBytes(writer),
                        _ => connection.RecvBytesAsync().AsTask().GetAwaiter().GetResult().Length,
                    };
                }
                catch (BufferTooShortException)
                {
                    // The message was consumed (it is in the exception): the stream is still in step.
                }
            }
        }
        catch (IOException)
        {
            // End of stream (EndOfStreamException), a truncated message, an impossible header, a message over the limit.
        }

        // What the engine may allocate: 1 MiB on a header's word (Connection.TrustedPayloadLength), then buffers that
        // double as bytes arrive, and the messages it returns (each at most the bytes that carried it).
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var bound = (2L << 20) + (16L * stream.Length);
        if (allocated > bound)
        {
            throw new FuzzFindingException($"{allocated:N0} bytes allocated receiving {stream.Length} bytes (bound {bound:N0})");
        }
    }

    private static IEnumerable<(string, byte[])> Seeds(string repo)
    {
        var pickles = Inputs.VectorPickles(repo, 256).Take(40).ToList();
        for (var i = 0; i < pickles.Count; i++)
        {
            var (name, data) = pickles[i];
            byte[] two = [.. Inputs.Frame(data), .. Inputs.Frame(pickles[(i + 1) % pickles.Count].Data)];
            yield return ($"{name}-mode{i % 5}", [(byte)(i * 37 % 256), (byte)(i % 5), .. two]);
        }

        // The 12-byte header (!i -1, then !Q n) CPython 3.8+ writes above 2 GiB, here announcing 5 bytes.
        yield return ("long-header", [255, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 5, (byte)'h', (byte)'e', (byte)'l', (byte)'l', (byte)'o']);
        // A header that announces 0x7FFFFFC7 bytes, then a few.
        yield return ("lying-header", [255, 0, 0x7F, 0xFF, 0xFF, 0xC7, 1, 2, 3]);
        yield return ("empty-message", [255, 3, 0, 0, 0, 0]);
    }
}
