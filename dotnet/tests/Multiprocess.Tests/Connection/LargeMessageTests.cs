using System.Buffers;
using Multiprocess.Connection;
using MpConnection = Multiprocess.Connection.Connection;

namespace Multiprocess.Tests.Connection;

/// <summary>
/// A frame above 2 GiB (the -1 + 8-byte header) between two C# connections over a socketpair, without ever
/// holding the message in one array: sent as a sequence of views of one pseudo-random 64 MiB chunk, received into
/// a writer that compares every byte with the pattern and reuses its buffer.
/// </summary>
[TestFixture]
[Category("Large")]
public class LargeMessageTests
{
    internal const long AboveTwoGiB = 0x8000_0000L + 12_345;

    [Test]
    public async Task SendBytes_AboveTwoGiB_ArrivesWithLongHeaderAndSameChecksum()
    {
        var chunk = Chunk();
        var sequence = BuildPayload(chunk, AboveTwoGiB);
        var (a, b) = MpConnection.Pipe();
        using (a)
        using (b)
        {
            var sender = Task.Run(() =>
            {
                a.SendBytes(sequence);
                a.SendBytes("after"u8);
            });
            var sink = new PatternCheckingWriter(chunk);

            var length = b.RecvBytes(sink);
            await sender;

            Assert.That(length, Is.EqualTo(AboveTwoGiB));
            Assert.That(sink.Count, Is.EqualTo(AboveTwoGiB));
            Assert.That(sink.FirstMismatch, Is.EqualTo(-1L), "offset of the first byte that differs");
            Assert.That(b.RecvBytes(), Is.EqualTo("after"u8.ToArray()), "the stream is still in step after the big frame");
        }
    }

    [Test]
    public async Task RecvBytes_AboveArrayMaxLength_ThrowsIOExceptionPointingToTheWriterOverload()
    {
        var (a, b) = MpConnection.Pipe();
        using (a)
        using (b)
        {
            // Only the 12-byte header is needed to trigger the check; nothing else is sent.
            var header = new byte[12];
            Framing.WriteHeader(header, AboveTwoGiB);
            await ((SocketTransport)a.Transport).WriteAsync(header, CancellationToken.None);

            Assert.That(() => b.RecvBytes(), Throws.TypeOf<IOException>().With.Message.Contains("IBufferWriter"));
            Assert.That(b.Readable, Is.False);
        }
    }

    /// <summary>64 MiB of seeded pseudo-random bytes.</summary>
    internal static byte[] Chunk()
    {
        var chunk = new byte[64 << 20];
        new Random(1234).NextBytes(chunk);
        return chunk;
    }

    /// <summary>The payload as views of <paramref name="chunk"/> repeated (no copy).</summary>
    internal static ReadOnlySequence<byte> BuildPayload(byte[] chunk, long length)
    {
        var builder = new SequenceBuilder();
        for (var left = length; left > 0;)
        {
            var n = (int)Math.Min(left, chunk.Length);
            builder.Append(chunk.AsMemory(0, n));
            left -= n;
        }

        return builder.Build();
    }

    /// <summary>Checks what is written against <c>chunk</c> repeated, reusing one 4 MiB buffer.</summary>
    internal sealed class PatternCheckingWriter(byte[] chunk) : IBufferWriter<byte>
    {
        private readonly byte[] _buffer = new byte[4 << 20];

        public long Count { get; private set; }

        /// <summary>Gets the stream offset of the first wrong byte, or -1.</summary>
        public long FirstMismatch { get; private set; } = -1;

        public void Advance(int count)
        {
            var got = _buffer.AsSpan(0, count);
            while (!got.IsEmpty)
            {
                var at = (int)(Count % chunk.Length);
                var n = Math.Min(got.Length, chunk.Length - at);
                if (FirstMismatch < 0 && !got[..n].SequenceEqual(chunk.AsSpan(at, n)))
                {
                    FirstMismatch = Count + got[..n].CommonPrefixLength(chunk.AsSpan(at, n));
                }

                Count += n;
                got = got[n..];
            }
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => _buffer;

        public Span<byte> GetSpan(int sizeHint = 0) => _buffer;
    }
}
