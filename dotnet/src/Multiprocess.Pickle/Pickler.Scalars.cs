using System.Buffers.Binary;
using System.Numerics;
using Multiprocess.Pickle.Internal;

namespace Multiprocess.Pickle;

/// <content>Ints, floats, str, bytes, bytearray, PickleBuffer and persistent ids.</content>
internal sealed partial class Pickler
{
    // ---- scalars

    private void SaveLong(long v)
    {
        if (v is >= int.MinValue and <= int.MaxValue)
        {
            if (v is >= 0 and <= 0xff)
            {
                var s = Reserve(2);
                s[0] = Opcodes.BININT1;
                s[1] = (byte)v;
            }
            else if (v is >= 0 and <= 0xffff)
            {
                var s = Reserve(3);
                s[0] = Opcodes.BININT2;
                BinaryPrimitives.WriteUInt16LittleEndian(s[1..], (ushort)v);
            }
            else
            {
                var s = Reserve(5);
                s[0] = Opcodes.BININT;
                BinaryPrimitives.WriteInt32LittleEndian(s[1..], (int)v);
            }

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

    private void SaveBigInteger(BigInteger v)
    {
        if (v >= long.MinValue && v <= long.MaxValue)
        {
            SaveLong((long)v);
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

    private void SaveFloat(double d)
    {
        var s = Reserve(9);
        s[0] = Opcodes.BINFLOAT;
        BinaryPrimitives.WriteDoubleBigEndian(s[1..], d);
    }

    private void SaveStr(string s)
    {
        if (s.Length <= 0xff && _protocol >= 4)
        {
            // Most strings are short ASCII: copy them straight in, falling back when a char is not ASCII.
            var span = Reserve(2 + s.Length);
            if (s.Length <= 16 ? NarrowShortAscii(s, span[2..]) : System.Text.Ascii.FromUtf16(s, span[2..], out _) == System.Buffers.OperationStatus.Done)
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
        if (_protocol >= 4 && n <= 0xff)
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

    private void SaveBytes(ReadOnlyMemory<byte> data, object memoKey)
    {
        if (_protocol < 3)
        {
            // Protocol 2 has no bytes opcode: _codecs.encode(latin-1 text, 'latin1'), or bytes() when empty.
            var r = data.Length == 0
                ? new PyReduce(s_bytes, PyTuple.Empty)
                : new PyReduce(s_codecsEncode, PyTuple.Create(System.Text.Encoding.Latin1.GetString(data.Span), "latin1"));
            SaveReduce(r, memoKey);
            return;
        }

        Span<byte> header = stackalloc byte[9];
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
        MemoPut(memoKey);
    }

    private void SaveByteArray(ReadOnlyMemory<byte> data, object memoKey)
    {
        if (_protocol < 5)
        {
            var r = data.Length == 0
                ? new PyReduce(s_bytearray, PyTuple.Empty)
                : new PyReduce(s_bytearray, PyTuple.Create(data.ToArray()));
            SaveReduce(r, memoKey);
            return;
        }

        Span<byte> header = stackalloc byte[9];
        header[0] = Opcodes.BYTEARRAY8;
        BinaryPrimitives.WriteUInt64LittleEndian(header[1..], (ulong)data.Length);
        WriteHeaderAndPayload(header, data);
        MemoPut(memoKey);
    }

    private void SavePickleBuffer(PickleBuffer pb)
    {
        if (_protocol < 5)
        {
            throw new PicklingException("PickleBuffer can only be pickled with protocol >= 5");
        }

        var inBand = _options.BufferCallback is not { } callback || callback(pb);
        if (inBand)
        {
            if (pb.IsReadOnly)
            {
                SaveBytes(pb.Memory, pb);
            }
            else
            {
                SaveByteArray(pb.Memory, pb);
            }

            return;
        }

        WriteByte(Opcodes.NEXT_BUFFER);
        if (pb.IsReadOnly)
        {
            WriteByte(Opcodes.READONLY_BUFFER);
        }
    }

    private bool SavePersistent(object? obj)
    {
        var pid = _options.PersistentId!(obj);
        if (pid is null)
        {
            return false;
        }

        // save(pid, pers_save=1): the id itself is not offered to the hook again.
        SaveWithoutPersistentHook(pid);
        WriteByte(Opcodes.BINPERSID);
        return true;
    }

    private void SaveWithoutPersistentHook(object? obj)
    {
        switch (obj)
        {
            case null: WriteByte(Opcodes.NONE); break;
            case string s:
                if (!TryMemoGet(s))
                {
                    SaveStr(s);
                    MemoPut(s);
                }

                break;
            case long l: SaveLong(l); break;
            case double d: SaveFloat(d); break;
            case bool b: WriteByte(b ? Opcodes.NEWTRUE : Opcodes.NEWFALSE); break;
            default:
                if (!TryMemoGet(obj))
                {
                    SaveObject(obj);
                }

                break;
        }
    }
}
