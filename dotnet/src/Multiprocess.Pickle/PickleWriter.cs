using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;
using Multiprocess.Pickle.Internal;

namespace Multiprocess.Pickle;

/// <summary>
/// Token-level pickle writer, the mirror of <see cref="PickleReader"/>: one method per opcode or opcode family, each
/// choosing the argument encoding CPython's C pickler (Modules/_pickle.c) chooses for that value, so that
/// <see cref="Pickler"/> decides only what to write and this writes it byte for byte as CPython does. Output goes to
/// a growing buffer with protocol 4's FRAME headers patched in place (<c>PickleWriter.Frames.cs</c>).
/// </summary>
/// <remarks>
/// A mutable struct held in a field of its <see cref="Pickler"/> (the hot path stays one field away); construct it
/// with <see cref="PickleWriter(byte[])"/>, never as <c>default</c>.
/// </remarks>
internal partial struct PickleWriter
{
    /// <summary>Writes <c>PROTO protocol</c>, before any frame (_pickle.c dump()); frames follow from protocol 4 on.</summary>
    /// <param name="protocol">The protocol, 2 to 5.</param>
    public void WriteProto(int protocol)
    {
        Span<byte> proto = [Opcodes.PROTO, (byte)protocol];
        WriteRaw(proto);
        _framing = protocol >= 4;
        UpdateLimit();
    }

    /// <summary>Writes an opcode without argument (NONE, MARK, APPENDS, TUPLE2, MEMOIZE, …).</summary>
    /// <param name="opcode">The opcode.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteOpcode(byte opcode)
    {
        var pos = _pos;
        if (pos + 1 > _limit)
        {
            ReserveSlow(1);
            pos = _pos;
        }

        _buffer[pos] = opcode;
        _pos = pos + 1;
    }

    /// <summary>Writes the same argument-less opcode <paramref name="count"/> times (the POPs of a recursive tuple).</summary>
    /// <param name="opcode">The opcode.</param>
    /// <param name="count">How many.</param>
    public void WriteOpcodes(byte opcode, int count) => Reserve(count).Fill(opcode);

    /// <summary>Writes <c>STOP</c> and commits the open frame: the pickle is complete.</summary>
    public void WriteStop()
    {
        WriteOpcode(Opcodes.STOP);
        CommitFrame();
    }

    /// <summary>
    /// An int as _pickle.c save_long: BININT1 (0..255), BININT2 (256..65535), BININT (other int32), else LONG1 with
    /// the fewest two's-complement bytes.
    /// </summary>
    /// <param name="v">The value.</param>
    public void WriteInt(long v)
    {
        if (v is >= int.MinValue and <= int.MaxValue)
        {
            WriteSized(Opcodes.BININT1, Opcodes.BININT2, Opcodes.BININT, (int)v);
            return;
        }

        // LONG1 with the minimal two's-complement bytes: significant bits plus a sign bit, rounded up to bytes.
        var bits = 64 - BitOperations.LeadingZeroCount((ulong)(v < 0 ? ~v : v)) + 1;
        var n = (bits + 7) / 8;
        var span = Reserve(2 + n);
        span[0] = Opcodes.LONG1;
        span[1] = (byte)n;
        Span<byte> le = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(le, v);
        le[..n].CopyTo(span[2..]);
    }

    /// <summary>An int of any size: as <see cref="WriteInt(long)"/> within int64, else LONG1 (under 256 bytes) or LONG4.</summary>
    /// <param name="v">The value.</param>
    public void WriteInt(BigInteger v)
    {
        if (v >= long.MinValue && v <= long.MaxValue)
        {
            WriteInt((long)v);
            return;
        }

        var n = v.GetByteCount();
        if (n < 256)
        {
            var s = Reserve(2 + n);
            s[0] = Opcodes.LONG1;
            s[1] = (byte)n;
            v.TryWriteBytes(s[2..], out _);
        }
        else
        {
            var s = Reserve(5 + n);
            s[0] = Opcodes.LONG4;
            BinaryPrimitives.WriteInt32LittleEndian(s[1..], n);
            v.TryWriteBytes(s[5..], out _);
        }
    }

    /// <summary>A float: BINFLOAT, the IEEE 754 double big-endian.</summary>
    /// <param name="d">The value.</param>
    public void WriteFloat(double d)
    {
        var s = Reserve(9);
        s[0] = Opcodes.BINFLOAT;
        BinaryPrimitives.WriteDoubleBigEndian(s[1..], d);
    }

    /// <summary>
    /// A str in UTF-8 with lone surrogates as CPython's 'surrogatepass': SHORT_BINUNICODE (under 256 bytes, when
    /// <paramref name="allowShort"/>: protocol 4+), else BINUNICODE; 64 KiB and more outside any frame.
    /// </summary>
    /// <param name="s">The string.</param>
    /// <param name="allowShort">Whether SHORT_BINUNICODE exists (protocol 4 and later).</param>
    public void WriteUnicode(string s, bool allowShort)
    {
        if (s.Length <= 0xff && allowShort)
        {
            // Most strings are short ASCII: copy them straight in, falling back when a char is not ASCII.
            var span = Reserve(2 + s.Length);
            if (s.Length <= 16 ? NarrowShortAscii(s, span[2..]) : Ascii.FromUtf16(s, span[2..], out _) == OperationStatus.Done)
            {
                span[0] = Opcodes.SHORT_BINUNICODE;
                span[1] = (byte)s.Length;
                return;
            }

            _pos -= 2 + s.Length;
        }

        var n = PyUtf8.GetByteCount(s);
        Span<byte> header = stackalloc byte[9];
        int h;
        if (allowShort && n <= 0xff)
        {
            header[0] = Opcodes.SHORT_BINUNICODE;
            header[1] = (byte)n;
            h = 2;
        }
        else
        {
            header[0] = Opcodes.BINUNICODE;
            BinaryPrimitives.WriteUInt32LittleEndian(header[1..], (uint)n);
            h = 5;
        }

        if (n < FrameSizeTarget)
        {
            var span = Reserve(h + n);
            header[..h].CopyTo(span);
            PyUtf8.Encode(s, span[h..]);
            return;
        }

        var payload = GC.AllocateUninitializedArray<byte>(n);
        PyUtf8.Encode(s, payload);
        WriteHeaderAndPayload(header[..h], payload);
    }

    /// <summary>bytes: SHORT_BINBYTES (under 256) or BINBYTES (protocol 3+); 64 KiB and more outside any frame, uncopied.</summary>
    /// <param name="data">The bytes.</param>
    public void WriteBytes(ReadOnlyMemory<byte> data)
    {
        Span<byte> header = stackalloc byte[5];
        int h;
        if (data.Length <= 0xff)
        {
            header[0] = Opcodes.SHORT_BINBYTES;
            header[1] = (byte)data.Length;
            h = 2;
        }
        else
        {
            header[0] = Opcodes.BINBYTES;
            BinaryPrimitives.WriteUInt32LittleEndian(header[1..], (uint)data.Length);
            h = 5;
        }

        WriteHeaderAndPayload(header[..h], data);
    }

    /// <summary>bytearray: BYTEARRAY8 (protocol 5); 64 KiB and more outside any frame, uncopied.</summary>
    /// <param name="data">The bytes.</param>
    public void WriteByteArray8(ReadOnlyMemory<byte> data)
    {
        Span<byte> header = stackalloc byte[9];
        header[0] = Opcodes.BYTEARRAY8;
        BinaryPrimitives.WriteUInt64LittleEndian(header[1..], (ulong)data.Length);
        WriteHeaderAndPayload(header, data);
    }

    /// <summary>A memo read: BINGET (index under 256) or LONG_BINGET.</summary>
    /// <param name="index">The memo index.</param>
    public void WriteGet(int index) => WriteIndexed(Opcodes.BINGET, Opcodes.LONG_BINGET, index);

    /// <summary>A numbered memo write (protocols 2 and 3; 4+ write MEMOIZE): BINPUT (index under 256) or LONG_BINPUT.</summary>
    /// <param name="index">The memo index.</param>
    public void WritePut(int index) => WriteIndexed(Opcodes.BINPUT, Opcodes.LONG_BINPUT, index);

    /// <summary>An extension code (copyreg's registry): EXT1, EXT2 or EXT4 by size.</summary>
    /// <param name="code">The code, 1 to 2**31-1.</param>
    public void WriteExt(int code) => WriteSized(Opcodes.EXT1, Opcodes.EXT2, Opcodes.EXT4, code);

    /// <summary>An opcode whose argument is 1, 2 or 4 bytes, the fewest that hold <paramref name="value"/>: an
    /// unsigned byte (0..255), an unsigned 16-bit (..65535), else a signed 32-bit int, little-endian (BININT1/BININT2/
    /// BININT, EXT1/EXT2/EXT4).</summary>
    private void WriteSized(byte op1, byte op2, byte op4, int value)
    {
        if (value is >= 0 and <= 0xff)
        {
            var s = Reserve(2);
            s[0] = op1;
            s[1] = (byte)value;
        }
        else if (value is >= 0 and <= 0xffff)
        {
            var s = Reserve(3);
            s[0] = op2;
            BinaryPrimitives.WriteUInt16LittleEndian(s[1..], (ushort)value);
        }
        else
        {
            var s = Reserve(5);
            s[0] = op4;
            BinaryPrimitives.WriteInt32LittleEndian(s[1..], value);
        }
    }

    /// <summary>GLOBAL with its two newline-terminated ASCII lines (protocols before 4; the caller checked both names).</summary>
    /// <param name="module">The module name (ASCII, no newline).</param>
    /// <param name="name">The qualified name (ASCII, no newline).</param>
    public void WriteGlobal(string module, string name)
    {
        var span = Reserve(1 + module.Length + 1 + name.Length + 1);
        span[0] = Opcodes.GLOBAL;
        Encoding.ASCII.GetBytes(module, span[1..]);
        span[1 + module.Length] = (byte)'\n';
        Encoding.ASCII.GetBytes(name, span[(2 + module.Length)..]);
        span[^1] = (byte)'\n';
    }

    private void WriteIndexed(byte shortOpcode, byte longOpcode, int index)
    {
        if (index < 256)
        {
            var s = Reserve(2);
            s[0] = shortOpcode;
            s[1] = (byte)index;
        }
        else
        {
            var s = Reserve(5);
            s[0] = longOpcode;
            BinaryPrimitives.WriteUInt32LittleEndian(s[1..], (uint)index);
        }
    }

    /// <summary>Copies a short ASCII string byte by byte (cheaper than the vectorized call for a few chars).</summary>
    private static bool NarrowShortAscii(string s, Span<byte> destination)
    {
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c >= 0x80)
            {
                return false;
            }

            destination[i] = (byte)c;
        }

        return true;
    }
}
