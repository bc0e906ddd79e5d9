using System.Globalization;
using System.Numerics;
using System.Text;
using Multiprocess.Pickle.Internal;

namespace Multiprocess.Pickle;

/// <summary>
/// A symbolic listing of a pickle in the format of CPython's <c>pickletools.dis</c> (same columns, argument reprs,
/// MARK indentation, <c>(MARK at N)</c> and <c>(as N)</c> notes, and the closing "highest protocol" line), including
/// its sanity checks. Used by <c>multiprocess pickle show --dis</c> and checked against the golden .dis files.
/// </summary>
public static class PickleDisassembler
{
    private static readonly OpInfo?[] s_ops = BuildTable();

    /// <summary>Disassembles one pickle (through its STOP) to <paramref name="output"/>.</summary>
    /// <param name="pickle">The pickle bytes.</param>
    /// <param name="output">Where the listing goes.</param>
    /// <exception cref="UnpicklingException">
    /// The pickle is malformed (unknown opcode, bad argument, stack or memo misuse); the lines up to and including
    /// the offending opcode have been written, as pickletools does.
    /// </exception>
    /// <exception cref="EndOfStreamException">The pickle ends before STOP.</exception>
    public static void Disassemble(ReadOnlySpan<byte> pickle, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var reader = new PickleReader(pickle);
        var stack = new List<bool>();       // true = markobject
        var markStack = new List<int>();
        var memo = new HashSet<object>();
        var maxProto = -1;
        while (true)
        {
            var pos = reader.Position;
            if (reader.Remaining == 0)
            {
                throw new EndOfStreamException("pickle exhausted before seeing STOP");
            }

            var code = reader.ReadByte();
            if (s_ops[code] is not { } op)
            {
                throw new UnpicklingException($"at position {pos}, opcode {PyRepr.Repr(new[] { code })} unknown", code, pos);
            }

            object? arg;
            try
            {
                arg = ReadArg(ref reader, op.Arg);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
            {
                throw new UnpicklingException(e.Message, code, pos, e);
            }

            var line = new StringBuilder();
            line.Append(pos.ToString(CultureInfo.InvariantCulture).PadLeft(5)).Append(": ");
            line.Append(CodeRepr(code).PadRight(4)).Append(' ').Append(' ', 4 * markStack.Count).Append(op.Name);
            maxProto = Math.Max(maxProto, op.Proto);
            var numToPop = op.Before;
            string? markMsg = null;
            string? error = null;
            if (op.MarkIndex >= 0 || (op.Name == "POP" && stack.Count > 0 && stack[^1]))
            {
                if (markStack.Count > 0)
                {
                    markMsg = $"(MARK at {markStack[^1]})";
                    markStack.RemoveAt(markStack.Count - 1);
                    while (!stack[^1])
                    {
                        stack.RemoveAt(stack.Count - 1);
                    }

                    stack.RemoveAt(stack.Count - 1);
                    numToPop = op.MarkIndex >= 0 ? op.MarkIndex : 0;
                }
                else
                {
                    error = markMsg = "no MARK exists on stack";
                }
            }

            var after = op.After;
            if (op.Name is "PUT" or "BINPUT" or "LONG_BINPUT" or "MEMOIZE")
            {
                object key = op.Name == "MEMOIZE" ? (long)memo.Count : Key(arg);
                if (op.Name == "MEMOIZE")
                {
                    markMsg = $"(as {key})";
                }

                if (memo.Contains(key))
                {
                    error = $"memo key {PyRepr.Repr(arg)} already defined";
                }
                else if (stack.Count == 0)
                {
                    error = "stack is empty -- can't store into memo";
                }
                else if (stack[^1])
                {
                    error = "can't store markobject in the memo";
                }
                else
                {
                    memo.Add(key);
                }
            }
            else if (op.Name is "GET" or "BINGET" or "LONG_BINGET" && !memo.Contains(Key(arg)))
            {
                error = $"memo key {PyRepr.Repr(arg)} has never been stored into";
            }

            if (arg is not null || markMsg is not null)
            {
                line.Append(' ', Math.Max(0, 10 - op.Name.Length));
                if (arg is not null)
                {
                    line.Append(' ').Append(PyRepr.Repr(arg));
                }

                if (markMsg is not null)
                {
                    line.Append(' ').Append(markMsg);
                }
            }

            output.Write(line.Append('\n').ToString());
            if (error is not null)
            {
                throw new UnpicklingException(error, code, pos);
            }

            if (stack.Count < numToPop)
            {
                throw new UnpicklingException($"tries to pop {numToPop} items from stack with only {stack.Count} items", code, pos);
            }

            stack.RemoveRange(stack.Count - numToPop, numToPop);
            if (op.PushesMark)
            {
                markStack.Add(pos);
            }

            for (var i = 0; i < after; i++)
            {
                stack.Add(op.PushesMark);
            }

            if (code == Opcodes.STOP)
            {
                break;
            }
        }

        output.Write($"highest protocol among opcodes = {maxProto}\n");
        if (stack.Count > 0)
        {
            throw new UnpicklingException($"stack not empty after STOP: {stack.Count} item(s) left");
        }
    }

    /// <summary>Returns the listing as text.</summary>
    /// <param name="pickle">The pickle bytes.</param>
    /// <returns>The listing.</returns>
    /// <exception cref="UnpicklingException">The pickle is malformed.</exception>
    /// <exception cref="EndOfStreamException">The pickle ends before STOP.</exception>
    public static string Disassemble(ReadOnlySpan<byte> pickle)
    {
        var sw = new StringWriter(CultureInfo.InvariantCulture);
        Disassemble(pickle, sw);
        return sw.ToString();
    }

    private static object Key(object? arg) => arg switch
    {
        bool b => b ? 1L : 0L,
        long l => l,
        _ => arg ?? 0L,
    };

    private static string CodeRepr(byte code) =>
        code is >= 0x20 and < 0x7f && code != (byte)'\\' && code != (byte)'\''
            ? ((char)code).ToString()
            : "\\x" + code.ToString("x2", CultureInfo.InvariantCulture);

    private static object? ReadArg(ref PickleReader reader, string kind)
    {
        switch (kind)
        {
            case "":
                return null;
            case "uint1":
                return (long)reader.ReadByte();
            case "uint2":
                return (long)reader.ReadUInt16();
            case "int4":
                return (long)reader.ReadInt32();
            case "uint4":
                return (long)reader.ReadUInt32();
            case "uint8":
                var u = reader.ReadUInt64();
                return u <= long.MaxValue ? (long)u : new BigInteger(u);
            case "long1":
                return Unpickler.DecodeLong(reader.ReadSpan(reader.ReadByte()));
            case "long4":
                var n = reader.ReadInt32();
                if (n < 0)
                {
                    throw new FormatException($"long4 byte count < 0: {n}");
                }

                return Unpickler.DecodeLong(reader.ReadSpan(n));
            case "float8":
                return reader.ReadDouble();
            case "bytes1":
                return reader.ReadSpan(reader.ReadByte()).ToArray();
            case "bytes4":
                return reader.ReadSpan((ulong)reader.ReadUInt32()).ToArray();
            case "bytes8":
                return reader.ReadSpan(reader.ReadUInt64()).ToArray();
            case "bytearray8":
                return new PyByteArray(reader.ReadSpan(reader.ReadUInt64()));
            case "string1":
                return Encoding.Latin1.GetString(reader.ReadSpan(reader.ReadByte()));
            case "string4":
                var len = reader.ReadInt32();
                if (len < 0)
                {
                    throw new FormatException($"string4 byte count < 0: {len}");
                }

                return Encoding.Latin1.GetString(reader.ReadSpan(len));
            case "unicodestring1":
                return Utf8(reader.ReadSpan(reader.ReadByte()));
            case "unicodestring4":
                return Utf8(reader.ReadSpan((ulong)reader.ReadUInt32()));
            case "unicodestring8":
                return Utf8(reader.ReadSpan(reader.ReadUInt64()));
            case "unicodestringnl":
                return PickleText.DecodeRawUnicodeEscape(reader.ReadLine());
            case "stringnl":
                return Ascii(PickleText.UnquoteString(reader.ReadLine()));
            case "stringnl_noescape":
                return Ascii(PickleText.EscapeDecode(reader.ReadLine()));
            case "stringnl_noescape_pair":
                var module = Ascii(PickleText.EscapeDecode(reader.ReadLine()));
                return module + " " + Ascii(PickleText.EscapeDecode(reader.ReadLine()));
            case "decimalnl_short":
                var s = reader.ReadLine();
                if (s.SequenceEqual("00"u8))
                {
                    return false;
                }

                if (s.SequenceEqual("01"u8))
                {
                    return true;
                }

                return PickleText.ParseInt(s);
            case "decimalnl_long":
                var l = reader.ReadLine();
                return PickleText.ParseInt(l.Length > 0 && l[^1] == (byte)'L' ? l[..^1] : l);
            case "floatnl":
                return PickleText.ParseFloat(reader.ReadLine());
            default:
                throw new InvalidOperationException("unknown argument kind " + kind);
        }
    }

    private static string Utf8(ReadOnlySpan<byte> bytes) =>
        PyUtf8.TryDecode(bytes, out var s) ? s : throw new FormatException("'utf-8' codec can't decode the string argument");

    private static string Ascii(byte[] bytes) =>
        System.Text.Ascii.IsValid(bytes) ? Encoding.ASCII.GetString(bytes) : throw new FormatException("'ascii' codec can't decode a string argument");

    private sealed record OpInfo(string Name, int Proto, string Arg, int Before, int MarkIndex, int After, bool PushesMark);

    private static OpInfo?[] BuildTable()
    {
        // pickletools.opcodes: code, name, proto, argument reader, len(stack_before), index of markobject in it, len(stack_after), pushes a mark.
        (byte Code, OpInfo Info)[] table =
        [
            (0x49, new("INT", 0, "decimalnl_short", 0, -1, 1, false)),
            (0x4a, new("BININT", 1, "int4", 0, -1, 1, false)),
            (0x4b, new("BININT1", 1, "uint1", 0, -1, 1, false)),
            (0x4d, new("BININT2", 1, "uint2", 0, -1, 1, false)),
            (0x4c, new("LONG", 0, "decimalnl_long", 0, -1, 1, false)),
            (0x8a, new("LONG1", 2, "long1", 0, -1, 1, false)),
            (0x8b, new("LONG4", 2, "long4", 0, -1, 1, false)),
            (0x53, new("STRING", 0, "stringnl", 0, -1, 1, false)),
            (0x54, new("BINSTRING", 1, "string4", 0, -1, 1, false)),
            (0x55, new("SHORT_BINSTRING", 1, "string1", 0, -1, 1, false)),
            (0x42, new("BINBYTES", 3, "bytes4", 0, -1, 1, false)),
            (0x43, new("SHORT_BINBYTES", 3, "bytes1", 0, -1, 1, false)),
            (0x8e, new("BINBYTES8", 4, "bytes8", 0, -1, 1, false)),
            (0x96, new("BYTEARRAY8", 5, "bytearray8", 0, -1, 1, false)),
            (0x97, new("NEXT_BUFFER", 5, "", 0, -1, 1, false)),
            (0x98, new("READONLY_BUFFER", 5, "", 1, -1, 1, false)),
            (0x4e, new("NONE", 0, "", 0, -1, 1, false)),
            (0x88, new("NEWTRUE", 2, "", 0, -1, 1, false)),
            (0x89, new("NEWFALSE", 2, "", 0, -1, 1, false)),
            (0x56, new("UNICODE", 0, "unicodestringnl", 0, -1, 1, false)),
            (0x8c, new("SHORT_BINUNICODE", 4, "unicodestring1", 0, -1, 1, false)),
            (0x58, new("BINUNICODE", 1, "unicodestring4", 0, -1, 1, false)),
            (0x8d, new("BINUNICODE8", 4, "unicodestring8", 0, -1, 1, false)),
            (0x46, new("FLOAT", 0, "floatnl", 0, -1, 1, false)),
            (0x47, new("BINFLOAT", 1, "float8", 0, -1, 1, false)),
            (0x5d, new("EMPTY_LIST", 1, "", 0, -1, 1, false)),
            (0x61, new("APPEND", 0, "", 2, -1, 1, false)),
            (0x65, new("APPENDS", 1, "", 3, 1, 1, false)),
            (0x6c, new("LIST", 0, "", 2, 0, 1, false)),
            (0x29, new("EMPTY_TUPLE", 1, "", 0, -1, 1, false)),
            (0x74, new("TUPLE", 0, "", 2, 0, 1, false)),
            (0x85, new("TUPLE1", 2, "", 1, -1, 1, false)),
            (0x86, new("TUPLE2", 2, "", 2, -1, 1, false)),
            (0x87, new("TUPLE3", 2, "", 3, -1, 1, false)),
            (0x7d, new("EMPTY_DICT", 1, "", 0, -1, 1, false)),
            (0x64, new("DICT", 0, "", 2, 0, 1, false)),
            (0x73, new("SETITEM", 0, "", 3, -1, 1, false)),
            (0x75, new("SETITEMS", 1, "", 3, 1, 1, false)),
            (0x8f, new("EMPTY_SET", 4, "", 0, -1, 1, false)),
            (0x90, new("ADDITEMS", 4, "", 3, 1, 1, false)),
            (0x91, new("FROZENSET", 4, "", 2, 0, 1, false)),
            (0x30, new("POP", 0, "", 1, -1, 0, false)),
            (0x32, new("DUP", 0, "", 1, -1, 2, false)),
            (0x28, new("MARK", 0, "", 0, -1, 1, true)),
            (0x31, new("POP_MARK", 1, "", 2, 0, 0, false)),
            (0x67, new("GET", 0, "decimalnl_short", 0, -1, 1, false)),
            (0x68, new("BINGET", 1, "uint1", 0, -1, 1, false)),
            (0x6a, new("LONG_BINGET", 1, "uint4", 0, -1, 1, false)),
            (0x70, new("PUT", 0, "decimalnl_short", 0, -1, 0, false)),
            (0x71, new("BINPUT", 1, "uint1", 0, -1, 0, false)),
            (0x72, new("LONG_BINPUT", 1, "uint4", 0, -1, 0, false)),
            (0x94, new("MEMOIZE", 4, "", 1, -1, 1, false)),
            (0x82, new("EXT1", 2, "uint1", 0, -1, 1, false)),
            (0x83, new("EXT2", 2, "uint2", 0, -1, 1, false)),
            (0x84, new("EXT4", 2, "int4", 0, -1, 1, false)),
            (0x63, new("GLOBAL", 0, "stringnl_noescape_pair", 0, -1, 1, false)),
            (0x93, new("STACK_GLOBAL", 4, "", 2, -1, 1, false)),
            (0x52, new("REDUCE", 0, "", 2, -1, 1, false)),
            (0x62, new("BUILD", 0, "", 2, -1, 1, false)),
            (0x69, new("INST", 0, "stringnl_noescape_pair", 2, 0, 1, false)),
            (0x6f, new("OBJ", 1, "", 3, 0, 1, false)),
            (0x81, new("NEWOBJ", 2, "", 2, -1, 1, false)),
            (0x92, new("NEWOBJ_EX", 4, "", 3, -1, 1, false)),
            (0x80, new("PROTO", 2, "uint1", 0, -1, 0, false)),
            (0x2e, new("STOP", 0, "", 1, -1, 0, false)),
            (0x95, new("FRAME", 4, "uint8", 0, -1, 0, false)),
            (0x50, new("PERSID", 0, "stringnl_noescape", 0, -1, 1, false)),
            (0x51, new("BINPERSID", 1, "", 1, -1, 1, false)),
        ];
        var ops = new OpInfo?[256];
        foreach (var (code, info) in table)
        {
            ops[code] = info;
        }

        return ops;
    }
}
