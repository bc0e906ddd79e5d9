using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using Multiprocess.Connection;
using Multiprocess.Managers.Protocol;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Server;

/// <summary>
/// <c>('#RETURN', value)</c> written straight into the reply's frame for the values most calls return: None, True,
/// False, an int within int64, a float, an ASCII str of up to 255 chars and bytes of up to 255, byte for byte what
/// <see cref="PickleSerializer.Dump"/> writes for the tuple (protocol 4, as for every reply), which is what CPython's
/// <c>ForkingPickler.dumps(('#RETURN', value), 4)</c> writes (<c>ReturnPickleTests</c> checks both, the latter on
/// CPython 3.8–3.14 and multiprocess 0.70.19). The general pickler costs ~3,000 instructions per such reply (its
/// rent, memo, type dispatch and framing); this ~200 (docs/manager-server/where-the-cpu-goes.md).
/// </summary>
/// <remarks>
/// <code>
/// PROTO 4 · FRAME n (uint64, the rest through STOP) · SHORT_BINUNICODE 7 '#RETURN' · MEMOIZE
///   value · TUPLE2 · MEMOIZE · STOP
/// value: NONE | NEWTRUE | NEWFALSE | BININT1 (0…255) | BININT2 (256…65,535) | BININT (other int32)
///      | LONG1 (minimal two's complement, other int64) | BINFLOAT (big-endian)
///      | SHORT_BINUNICODE n text MEMOIZE (ASCII) | SHORT_BINBYTES n bytes MEMOIZE
/// </code>
/// A str equal to <c>'#RETURN'</c> is left to the general pickler: it may be the very string of the tuple's head,
/// which the memo then writes as BINGET 0.
/// </remarks>
internal static class ReturnPickle
{
    /// <summary>The longest str (in chars, all ASCII) or bytes written here; a longer one goes through the pickler.</summary>
    public const int MaxLength = 255;

    // PROTO 4, FRAME and its 8-byte length (patched), SHORT_BINUNICODE '#RETURN', MEMOIZE.
    private const int HeadLength = 2 + 9 + 2 + 7 + 1;
    private const int FrameLengthAt = 3;
    private const int FrameStart = 11;

    // The longest value: SHORT_BINUNICODE or SHORT_BINBYTES, its length byte, 255 bytes, MEMOIZE.
    private const int MaxValueLength = 2 + MaxLength + 1;

    // TUPLE2, MEMOIZE, STOP.
    private const int TailLength = 3;

    // The whole pickle for None, True and False, made once from the same parts as any other: copied per reply.
    private static readonly byte[] s_returnNone = Constant(Opcodes.NONE);
    private static readonly byte[] s_returnTrue = Constant(Opcodes.NEWTRUE);
    private static readonly byte[] s_returnFalse = Constant(Opcodes.NEWFALSE);

    private static ReadOnlySpan<byte> Head =>
    [
        Opcodes.PROTO, 4, Opcodes.FRAME, 0, 0, 0, 0, 0, 0, 0, 0,
        Opcodes.SHORT_BINUNICODE, 7, (byte)'#', (byte)'R', (byte)'E', (byte)'T', (byte)'U', (byte)'R', (byte)'N', Opcodes.MEMOIZE,
    ];

    /// <summary>Writes <c>('#RETURN', value)</c> pickled, when the value is one of the kinds above.</summary>
    /// <param name="output">The reply's frame, empty (nothing is written when this returns false).</param>
    /// <param name="value">The method's result.</param>
    /// <returns>False for any other value (the caller pickles the tuple).</returns>
    public static bool TryWrite(FrameWriter output, object? value)
    {
        // The replies of append, __setitem__, put, release, acquire: the most frequent by far, and constant.
        if (value is null)
        {
            output.Write(s_returnNone);
            return true;
        }

        if (value is bool b)
        {
            output.Write(b ? s_returnTrue : s_returnFalse);
            return true;
        }

        return TryWriteValue(output, value);
    }

    private static bool TryWriteValue(FrameWriter output, object value)
    {
        var span = output.GetSpan(HeadLength + MaxValueLength + TailLength);
        var v = span[HeadLength..];
        int n;
        switch (value)
        {
            case long l:
                n = WriteInt(v, l);
                break;
            case int i:
                n = WriteInt(v, i);
                break;
            case double d:
                v[0] = Opcodes.BINFLOAT;
                BinaryPrimitives.WriteDoubleBigEndian(v[1..], d);
                n = 9;
                break;
            case string s when s.Length <= MaxLength && s != ReplyKind.Return:
                // Ascii.FromUtf16 stops at the first char above 0x7F: such text (its UTF-8 length differs) goes
                // through the pickler, which writes CPython's 'surrogatepass' UTF-8.
                if (Ascii.FromUtf16(s, v.Slice(2, s.Length), out _) != OperationStatus.Done)
                {
                    return false;
                }

                v[0] = Opcodes.SHORT_BINUNICODE;
                v[1] = (byte)s.Length;
                v[2 + s.Length] = Opcodes.MEMOIZE;
                n = 2 + s.Length + 1;
                break;
            case byte[] bytes when bytes.Length <= MaxLength:
                v[0] = Opcodes.SHORT_BINBYTES;
                v[1] = (byte)bytes.Length;
                bytes.CopyTo(v[2..]);
                v[2 + bytes.Length] = Opcodes.MEMOIZE;
                n = 2 + bytes.Length + 1;
                break;
            default:
                return false;
        }

        output.Advance(Frame(span, n));
        return true;
    }

    /// <summary>The pickle of <c>('#RETURN', value)</c> for a value of one opcode (None, True, False).</summary>
    private static byte[] Constant(byte opcode)
    {
        var pickle = new byte[HeadLength + 1 + TailLength];
        pickle[HeadLength] = opcode;
        Frame(pickle, 1);
        return pickle;
    }

    /// <summary>
    /// Writes the head before and the tail after a value of <paramref name="valueLength"/> bytes already at
    /// <see cref="HeadLength"/>, and FRAME's length; returns the pickle's length.
    /// </summary>
    private static int Frame(Span<byte> span, int valueLength)
    {
        Head.CopyTo(span);
        var end = HeadLength + valueLength;
        span[end] = Opcodes.TUPLE2;
        span[end + 1] = Opcodes.MEMOIZE;
        span[end + 2] = Opcodes.STOP;
        end += TailLength;
        // FRAME's length: everything after its 9 bytes, STOP included (CPython's pickler frames STOP too).
        BinaryPrimitives.WriteUInt64LittleEndian(span[FrameLengthAt..], (ulong)(end - FrameStart));
        return end;
    }

    /// <summary>save_long for protocol 2+: the smallest of BININT1, BININT2, BININT, else LONG1 (as <c>PickleWriter.WriteInt</c>).</summary>
    private static int WriteInt(Span<byte> v, long l)
    {
        switch (l)
        {
            case >= 0 and <= byte.MaxValue:
                v[0] = Opcodes.BININT1;
                v[1] = (byte)l;
                return 2;
            case >= 0 and <= ushort.MaxValue:
                v[0] = Opcodes.BININT2;
                BinaryPrimitives.WriteUInt16LittleEndian(v[1..], (ushort)l);
                return 3;
            case >= int.MinValue and <= int.MaxValue:
                v[0] = Opcodes.BININT;
                BinaryPrimitives.WriteInt32LittleEndian(v[1..], (int)l);
                return 5;
            default:
                // LONG1: significant bits plus a sign bit, rounded up to whole bytes, little-endian two's complement.
                var count = ((64 - BitOperations.LeadingZeroCount((ulong)(l < 0 ? ~l : l)) + 1) + 7) / 8;
                v[0] = Opcodes.LONG1;
                v[1] = (byte)count;
                BinaryPrimitives.WriteInt64LittleEndian(v[2..], l);   // the slack after count bytes is overwritten next
                return 2 + count;
        }
    }
}
