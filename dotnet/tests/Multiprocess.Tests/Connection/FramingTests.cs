using System.Buffers;
using Multiprocess.Connection;

namespace Multiprocess.Tests.Connection;

[TestFixture]
public class FramingTests
{
    [TestCase(0L, new byte[] { 0, 0, 0, 0 })]
    [TestCase(3L, new byte[] { 0, 0, 0, 3 })]
    [TestCase(16384L, new byte[] { 0, 0, 0x40, 0 })]
    [TestCase(0x7FFFFFFFL, new byte[] { 0x7F, 0xFF, 0xFF, 0xFF })]
    [TestCase(0x80000000L, new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0x80, 0, 0, 0 })]
    [TestCase(0x1_0000_0001L, new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1, 0, 0, 0, 1 })]
    public void WriteHeader_Length_MatchesCPythonStructPack(long length, byte[] expected)
    {
        var header = new byte[12];
        var written = Framing.WriteHeader(header, length);

        Assert.That(header[..written], Is.EqualTo(expected));
        Assert.That(Framing.GetHeaderLength(length), Is.EqualTo(expected.Length));
    }

    [Test]
    public void WriteFrame_Abc_IsCPythonSendBytesAbc()
    {
        // docs/protocols.md §1.2: send_bytes(b"abc") → 00 00 00 03 61 62 63 (captured from CPython)
        var writer = new ArrayBufferWriter<byte>();
        Framing.WriteFrame(writer, "abc"u8);

        Assert.That(writer.WrittenSpan.ToArray(), Is.EqualTo(new byte[] { 0, 0, 0, 3, 0x61, 0x62, 0x63 }));
    }

    [Test]
    public void WriteHeader_NegativeLength_Throws()
    {
        Assert.That(() => Framing.WriteHeader(new byte[12], -1), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void WriteHeader_DestinationTooSmall_ThrowsNamingSizes()
    {
        Assert.That(() => Framing.WriteHeader(new byte[4], 0x80000000L),
            Throws.ArgumentException.With.Message.Contains("needs 12 bytes").And.Message.Contains("has 4"));
    }

    [Test]
    public void TryReadHeader_EveryShortPrefix_ReturnsFalse()
    {
        byte[] shortHeader = [0, 0, 1, 0];
        byte[] longHeader = [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1, 0, 0, 0, 0];
        for (var n = 0; n < 4; n++)
        {
            Assert.That(Framing.TryReadHeader(shortHeader.AsSpan(0, n), out _, out _), Is.False, $"{n} bytes of a short header");
        }

        for (var n = 0; n < 12; n++)
        {
            Assert.That(Framing.TryReadHeader(longHeader.AsSpan(0, n), out _, out _), Is.False, $"{n} bytes of a long header");
        }

        Assert.That(Framing.TryReadHeader(shortHeader, out var s, out var sl), Is.True);
        Assert.That((s, sl), Is.EqualTo((256L, 4)));
        Assert.That(Framing.TryReadHeader(longHeader, out var l, out var ll), Is.True);
        Assert.That((l, ll), Is.EqualTo((0x1_0000_0000L, 12)));
    }

    [Test]
    public void TryReadHeader_SmallLengthInLongForm_IsAccepted()
    {
        // CPython only escapes above 0x7fffffff, but its reader takes any !Q after -1.
        byte[] header = [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 5];
        Assert.That(Framing.TryReadHeader(header, out var length, out var headerLength), Is.True);
        Assert.That((length, headerLength), Is.EqualTo((5L, 12)));
    }

    [TestCase(new byte[] { 0xFF, 0xFF, 0xFF, 0xFE }, "-2")]
    [TestCase(new byte[] { 0x80, 0, 0, 0 }, "-2147483648")]
    public void TryReadHeader_NegativeLengthOtherThanEscape_ThrowsIOExceptionNamingIt(byte[] header, string shown)
    {
        Assert.That(() => Framing.TryReadHeader(header, out _, out _),
            Throws.TypeOf<IOException>().With.Message.Contains(shown));
    }

    [Test]
    public void TryReadHeader_EightByteLengthAboveInt64_ThrowsIOException()
    {
        byte[] header = [0xFF, 0xFF, 0xFF, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0];
        Assert.That(() => Framing.TryReadHeader(header, out _, out _),
            Throws.TypeOf<IOException>().With.Message.Contains("9223372036854775808"));
    }

    [Test]
    public void TryReadFrame_SegmentedInput_SplitsAtEveryByte()
    {
        var writer = new ArrayBufferWriter<byte>();
        Framing.WriteFrame(writer, "hello"u8);
        Framing.WriteFrame(writer, ReadOnlySpan<byte>.Empty);
        Framing.WriteFrame(writer, new byte[300]);
        var bytes = writer.WrittenSpan.ToArray();

        for (var cut = 0; cut <= bytes.Length; cut++)
        {
            var prefix = Segmented(bytes.AsSpan(0, cut).ToArray());
            var frames = new List<byte[]>();
            while (Framing.TryReadFrame(ref prefix, out var payload))
            {
                frames.Add(payload.ToArray());
            }

            var expected = cut switch
            {
                < 9 => 0,
                < 13 => 1,
                < 317 => 2,
                _ => 3,
            };
            Assert.That(frames, Has.Count.EqualTo(expected), $"first {cut} bytes");
            if (frames.Count > 0)
            {
                Assert.That(frames[0], Is.EqualTo("hello"u8.ToArray()));
            }
        }
    }

    [Test]
    public void TryReadFrame_AboveMaxLength_ThrowsBadMessageLength()
    {
        var writer = new ArrayBufferWriter<byte>();
        Framing.WriteFrame(writer, new byte[257]);
        var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory);

        Assert.That(() => Framing.TryReadFrame(ref buffer, out _, maxLength: 256),
            Throws.TypeOf<IOException>().With.Message.Contains("257").And.Message.Contains("256"));
    }

    [Test]
    public void WriteFrame_Sequence_WritesLongHeaderAboveTwoGiBWithoutCopyingPayload()
    {
        // A 2 GiB + 1 payload made of views of one small array: only the header is inspected here.
        var chunk = new byte[1 << 20];
        var payload = Repeat(chunk, 2048).Append(new byte[1]);
        var writer = new CountingWriter();
        Framing.WriteFrame(writer, payload.Build());

        Assert.That(writer.First12, Is.EqualTo(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0x80, 0, 0, 1 }));
        Assert.That(writer.Count, Is.EqualTo(12 + 0x80000001L));
    }

    /// <summary>One segment per byte: the worst split a reader can meet.</summary>
    private static ReadOnlySequence<byte> Segmented(byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var builder = new SequenceBuilder();
        foreach (var b in bytes)
        {
            builder.Append(new[] { b });
        }

        return builder.Build();
    }

    private static SequenceBuilder Repeat(byte[] chunk, int times)
    {
        var builder = new SequenceBuilder();
        for (var i = 0; i < times; i++)
        {
            builder.Append(chunk);
        }

        return builder;
    }

    private sealed class CountingWriter : IBufferWriter<byte>
    {
        private readonly byte[] _buffer = new byte[1 << 20];

        public long Count { get; private set; }

        public byte[] First12 { get; } = new byte[12];

        public void Advance(int count)
        {
            for (var i = 0; i < count && Count + i < 12; i++)
            {
                First12[Count + i] = _buffer[i];
            }

            Count += count;
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => _buffer;

        public Span<byte> GetSpan(int sizeHint = 0) => _buffer;
    }
}
