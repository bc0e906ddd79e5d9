using System.Buffers;
using System.Numerics;

namespace Multiprocess.Pickle.Tests;

/// <summary>
/// <see cref="PickleWriter"/> one opcode at a time: each expected byte string is what CPython 3.12's
/// <c>pickle.dumps(value, protocol)</c> writes for that value (the opcode and its argument, cut out of the pickle).
/// </summary>
public class PickleWriterTests
{
    [TestCase(0L, "4b00")]
    [TestCase(255L, "4bff")]
    [TestCase(256L, "4d0001")]
    [TestCase(65535L, "4dffff")]
    [TestCase(65536L, "4a00000100")]
    [TestCase(-1L, "4affffffff")]
    [TestCase(2147483647L, "4affffff7f")]
    [TestCase(-2147483648L, "4a00000080")]
    [TestCase(2147483648L, "8a050000008000")]
    [TestCase(-2147483649L, "8a05ffffff7fff")]
    [TestCase(long.MaxValue, "8a08ffffffffffffff7f")]
    [TestCase(long.MinValue, "8a080000000000000080")]
    public void WriteInt_Long_BinIntOrMinimalLong1(long value, string expected) =>
        Assert.That(Token(w => w.WriteInt(value)), Is.EqualTo(expected));

    [Test]
    public void WriteInt_BigInteger_Long1UnderTwoFiftySixBytesElseLong4()
    {
        Assert.That(Token(w => w.WriteInt(BigInteger.One << 64)), Is.EqualTo("8a09000000000000000001"));
        Assert.That(Token(w => w.WriteInt(new BigInteger(65536))), Is.EqualTo("4a00000100"));
        var huge = Token(w => w.WriteInt(BigInteger.One << 2048));
        Assert.That(huge[..12], Is.EqualTo("8b0101000000"));                 // LONG4, 257 bytes follow
        Assert.That(huge, Has.Length.EqualTo((5 + 257) * 2));
    }

    [Test]
    public void WriteFloat_BinFloatBigEndian() => Assert.That(Token(w => w.WriteFloat(1.5)), Is.EqualTo("473ff8000000000000"));

    [TestCase("abcd", true, "8c0461626364")]
    [TestCase("é", true, "8c02c3a9")]
    [TestCase("", false, "5800000000")]                                     // protocol 3: BINUNICODE
    [TestCase("abcd", false, "580400000061626364")]
    public void WriteUnicode_ShortBinUnicodeFromProtocolFourElseBinUnicode(string value, bool allowShort, string expected) =>
        Assert.That(Token(w => w.WriteUnicode(value, allowShort)), Is.EqualTo(expected));

    [Test]
    public void WriteUnicode_LoneSurrogate_AsSurrogatePass() =>
        // In code, not in an attribute: attribute strings are stored as UTF-8, where a lone surrogate does not survive.
        Assert.That(Token(w => w.WriteUnicode("\ud800", allowShort: true)), Is.EqualTo("8c03eda080"));

    [Test]
    public void WriteUnicode_TwoHundredFiftySixBytes_BinUnicode()
    {
        var text = new string('a', 256);
        Assert.That(Token(w => w.WriteUnicode(text, allowShort: true)), Is.EqualTo("5800010000" + Convert.ToHexStringLower(new byte[256].Select(_ => (byte)'a').ToArray())));
    }

    [Test]
    public void WriteBytes_ShortBinBytesElseBinBytes()
    {
        Assert.That(Token(w => w.WriteBytes("ab"u8.ToArray())), Is.EqualTo("43026162"));
        Assert.That(Token(w => w.WriteBytes(new byte[256]))[..10], Is.EqualTo("4200010000"));
    }

    [Test]
    public void WriteByteArray8_EightByteLength() =>
        Assert.That(Token(w => w.WriteByteArray8("ab"u8.ToArray())), Is.EqualTo("9602000000000000006162"));

    [TestCase(5, "6805")]
    [TestCase(256, "6a00010000")]
    public void WriteGet_BinGetElseLongBinGet(int index, string expected) =>
        Assert.That(Token(w => w.WriteGet(index)), Is.EqualTo(expected));

    [TestCase(0, "7100")]
    [TestCase(256, "7200010000")]
    public void WritePut_BinPutElseLongBinPut(int index, string expected) =>
        Assert.That(Token(w => w.WritePut(index)), Is.EqualTo(expected));

    [TestCase(1, "8201")]
    [TestCase(256, "830001")]
    [TestCase(65536, "8400000100")]
    public void WriteExt_SmallestOfExt1Ext2Ext4(int code, string expected) =>
        Assert.That(Token(w => w.WriteExt(code)), Is.EqualTo(expected));

    [Test]
    public void WriteGlobal_TwoNewlineTerminatedLines() =>
        Assert.That(Token(w => w.WriteGlobal("builtins", "set")), Is.EqualTo("63" + Convert.ToHexStringLower("builtins\nset\n"u8)));

    [Test]
    public void WriteOpcodes_RepeatsTheOpcode() =>
        Assert.That(Token(w => w.WriteOpcodes(Opcodes.POP, 3)), Is.EqualTo("303030"));

    [Test]
    public void WriteStop_ProtocolFour_FramesABodyOfFourBytesOrMore()
    {
        // pickle.dumps("abcd", 4): PROTO, FRAME 8, SHORT_BINUNICODE, MEMOIZE, STOP.
        Assert.That(Whole(4, w =>
        {
            w.WriteUnicode("abcd", allowShort: true);
            w.WriteOpcode(Opcodes.MEMOIZE);
        }), Is.EqualTo("80049508000000000000008c0461626364942e"));

        // pickle.dumps(1, 4): a 3-byte body is not worth a frame header.
        Assert.That(Whole(4, w => w.WriteInt(1)), Is.EqualTo("80044b012e"));
    }

    [Test]
    public void WriteBytes_SixtyFourKiBAndMore_OutsideAnyFrameUncopiedUntilToArray()
    {
        // pickle.dumps(b"x" * 70000, 4): BINBYTES header and payload outside frames, then MEMOIZE STOP unframed.
        var payload = new byte[70000];
        payload.AsSpan().Fill((byte)'x');
        var whole = Whole(4, w =>
        {
            w.WriteBytes(payload);
            w.WriteOpcode(Opcodes.MEMOIZE);
        });
        Assert.That(whole[..16], Is.EqualTo("8004427011010078"));
        Assert.That(whole[^6..], Is.EqualTo("78942e"));
        Assert.That(whole, Has.Length.EqualTo(70009 * 2));
    }

    [Test]
    public void Flush_ToABufferWriter_SameBytesAsToArray()
    {
        var payload = new byte[70000];
        var direct = Whole(4, w => w.WriteBytes(payload));
        var output = new ArrayBufferWriter<byte>();
        var writer = new PickleWriter(new byte[16]);
        writer.SetOutput(output);
        writer.WriteProto(4);
        writer.WriteBytes(payload);
        writer.WriteStop();
        writer.Flush();
        Assert.That(Convert.ToHexStringLower(output.WrittenSpan), Is.EqualTo(direct));
    }

    /// <summary>The bytes one call writes, at protocol 2 (no frames), without PROTO and STOP.</summary>
    private static string Token(Action<Box> write)
    {
        var box = new Box();
        box.Writer.WriteProto(2);
        write(box);
        box.Writer.WriteStop();
        var bytes = box.Writer.ToArray();
        return Convert.ToHexStringLower(bytes.AsSpan(2, bytes.Length - 3));
    }

    private static string Whole(int protocol, Action<Box> write)
    {
        var box = new Box();
        box.Writer.WriteProto(protocol);
        write(box);
        box.Writer.WriteStop();
        return Convert.ToHexStringLower(box.Writer.ToArray());
    }

    /// <summary>Holds the mutable writer struct so that lambdas write to one instance, not copies.</summary>
    private sealed class Box
    {
        public PickleWriter Writer = new(new byte[16]);

        public void WriteInt(long v) => Writer.WriteInt(v);

        public void WriteInt(BigInteger v) => Writer.WriteInt(v);

        public void WriteFloat(double d) => Writer.WriteFloat(d);

        public void WriteUnicode(string s, bool allowShort) => Writer.WriteUnicode(s, allowShort);

        public void WriteBytes(ReadOnlyMemory<byte> data) => Writer.WriteBytes(data);

        public void WriteByteArray8(ReadOnlyMemory<byte> data) => Writer.WriteByteArray8(data);

        public void WriteGet(int index) => Writer.WriteGet(index);

        public void WritePut(int index) => Writer.WritePut(index);

        public void WriteExt(int code) => Writer.WriteExt(code);

        public void WriteGlobal(string module, string name) => Writer.WriteGlobal(module, name);

        public void WriteOpcode(byte opcode) => Writer.WriteOpcode(opcode);

        public void WriteOpcodes(byte opcode, int count) => Writer.WriteOpcodes(opcode, count);
    }
}
