using System.Buffers;
using System.Globalization;
using System.Text;
using Multiprocess.Connection;

namespace Multiprocess.Cli.Commands;

/// <summary>
/// One echo session, after the handshake. The first message names a mode (ASCII):
/// <list type="bullet">
/// <item><c>echo</c>: send back every following message byte for byte until a 0-byte message (not echoed), then close; end of stream also ends it.</item>
/// <item><c>echo-all</c>: send back every following message, 0-byte ones included, until end of stream.</item>
/// <item><c>sink N</c>: receive N messages, reply <c>ok &lt;total bytes received&gt;</c>, then read the next mode name.</item>
/// <item>anything else: close.</item>
/// </list>
/// </summary>
internal static partial class EchoCommand
{
    /// <summary>How a session ended.</summary>
    internal enum SessionEnd
    {
        /// <summary>By the rules: a 0-byte message in echo mode, or end of stream at a message boundary.</summary>
        Normal,

        /// <summary>The peer named a mode that does not exist.</summary>
        UnknownMode,
    }

    /// <summary>Runs one session on an authenticated connection; returns how it ended (I/O errors propagate).</summary>
    internal static SessionEnd RunSession(Connection.Connection connection, out string detail)
    {
        detail = "";
        DiscardingWriter? sink = null;    // 1 MiB: only for sessions that sink
        while (true)
        {
            byte[] modeBytes;
            try
            {
                modeBytes = connection.RecvBytes();
            }
            catch (EndOfStreamException)
            {
                return SessionEnd.Normal;
            }

            var mode = Encoding.ASCII.GetString(modeBytes);
            switch (mode)
            {
                case "echo":
                    Echo(connection, stopAtEmpty: true);
                    return SessionEnd.Normal;
                case "echo-all":
                    Echo(connection, stopAtEmpty: false);
                    return SessionEnd.Normal;
                case var s when TryParseSink(s, out var count):
                    long total = 0;
                    sink ??= new DiscardingWriter();
                    for (long i = 0; i < count; i++)
                    {
                        total += connection.RecvBytes(sink);
                    }

                    connection.SendBytes(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"ok {total}")));
                    break;
                default:
                    detail = $"unknown mode {AsciiRepr(modeBytes)} (expected echo, echo-all or sink N)";
                    return SessionEnd.UnknownMode;
            }
        }
    }

    private static void Echo(Connection.Connection connection, bool stopAtEmpty)
    {
        while (true)
        {
            byte[] message;
            try
            {
                message = connection.RecvBytes();
            }
            catch (EndOfStreamException)
            {
                return;
            }

            if (message.Length == 0 && stopAtEmpty)
            {
                return;
            }

            connection.SendBytes(message);
        }
    }

    private static bool TryParseSink(string mode, out long count)
    {
        count = 0;
        return mode.StartsWith("sink ", StringComparison.Ordinal)
               && long.TryParse(mode.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out count);
    }

    private static string AsciiRepr(byte[] bytes)
    {
        var shown = bytes.AsSpan(0, Math.Min(bytes.Length, 40));
        var text = new StringBuilder("'");
        foreach (var b in shown)
        {
            text.Append(b is >= 0x20 and < 0x7f ? ((char)b).ToString() : $"\\x{b:x2}");
        }

        return text.Append(bytes.Length > shown.Length ? "'..." : "'").ToString();
    }

    /// <summary>Counts bytes into one reused buffer: a sink that never allocates per message.</summary>
    private sealed class DiscardingWriter : IBufferWriter<byte>
    {
        private readonly byte[] _buffer = new byte[1 << 20];

        public void Advance(int count)
        {
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => _buffer;

        public Span<byte> GetSpan(int sizeHint = 0) => _buffer;
    }
}
