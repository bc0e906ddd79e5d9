using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Multiprocess.Pickle;

/// <content>The object stack, the mark stack, nesting depth, and int boxing.</content>
internal sealed partial class Unpickler
{
    // ---- stack helpers

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Push(object? value)
    {
        if (_sp == _stack.Length)
        {
            GrowStack();
        }

        _depths[_sp] = 0;
        _stack[_sp++].Value = value;
    }

    private void Push(object? value, int depth, byte op, int offset)
    {
        if (_sp == _stack.Length)
        {
            GrowStack();
        }

        _depths[_sp] = CheckDepth(depth, op, offset);
        _stack[_sp++].Value = value;
    }

    /// <summary>
    /// A stack slot. Storing into a struct array skips the covariant array-store check that every store into an
    /// object[] pays (CastHelpers.StelemRef was 12% of a load's time).
    /// </summary>
    private struct Slot
    {
        public object? Value;
    }

    /// <summary>The stack slice [from, from + count) as objects (a one-field struct has the layout of its field).</summary>
    private Span<object?> StackSpan(int from, int count) =>
        count == 0 ? [] : System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref Unsafe.As<Slot, object?>(ref _stack[from]), count);

    private void GrowStack()
    {
        Array.Resize(ref _stack, _stack.Length * 2);
        Array.Resize(ref _depths, _depths.Length * 2);
    }

    private object? Pop(byte op, int offset)
    {
        Need(1, op, offset);
        var v = _stack[--_sp].Value;
        _stack[_sp].Value = null;
        return v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Need(int count, byte op, int offset)
    {
        if (_sp - _fence < count)
        {
            ThrowUnderflow(op, offset);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowUnderflow(byte op, int offset) =>
        throw Error(_sp == 0 || _markCount == 0 ? "unpickling stack underflow" : "unpickling stack underflow (item expected after the mark)", op, offset);

    private int CheckDepth(int depth, byte op, int offset)
    {
        if (depth > _maxDepth)
        {
            throw Error($"nesting depth {depth} exceeds the limit {_maxDepth} (PickleSecurity.MaxDepth)", op, offset);
        }

        return depth;
    }

    private int MaxDepth(int from)
    {
        var d = 0;
        for (var i = from; i < _sp; i++)
        {
            d = Math.Max(d, _depths[i]);
        }

        return d;
    }

    private void Truncate(int newSize)
    {
        Array.Clear(_stack, newSize, _sp - newSize);
        _sp = newSize;
    }

    private void PushMark()
    {
        if (_markCount == _marks.Length)
        {
            Array.Resize(ref _marks, _marks.Length * 2);
            Array.Resize(ref _markOffsets, _marks.Length);
        }

        _markOffsets[_markCount] = _opStart;
        _marks[_markCount++] = _sp;
        _fence = _sp;
    }

    private int PopMark(byte op, int offset)
    {
        if (_markCount == 0)
        {
            throw Error("could not find MARK", op, offset);
        }

        var m = _marks[--_markCount];
        _lastMarkOffset = _markOffsets[_markCount];
        _fence = _markCount > 0 ? _marks[_markCount - 1] : 0;
        return m;
    }

    // ---- ints

    internal static readonly object BoxedTrue = true;
    internal static readonly object BoxedFalse = false;

    // Boxed ints -5 … 65535 (what BININT1/BININT2 can carry), made on first use and shared: like CPython's small-int
    // cache, it spares lists of small numbers one allocation per element. Racing threads may box a value twice;
    // harmless, since ints are never compared by identity.
    private static readonly object?[] s_intCache = new object?[65536 + 5];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static object BoxInt(long value)
    {
        if ((ulong)(value + 5) < (ulong)s_intCache.Length)
        {
            return s_intCache[value + 5] ?? CacheInt(value);
        }

        return value;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static object CacheInt(long value) => s_intCache[value + 5] = value;

    /// <summary>pickle.decode_long: little-endian two's complement of any length; 0 bytes is 0.</summary>
    internal static object DecodeLong(ReadOnlySpan<byte> bytes)
    {
        switch (bytes.Length)
        {
            case 0:
                return BoxInt(0);
            case <= 8:
                {
                    Span<byte> buf = stackalloc byte[8];
                    bytes.CopyTo(buf);
                    if ((bytes[^1] & 0x80) != 0)
                    {
                        buf[bytes.Length..].Fill(0xFF);
                    }

                    return BoxInt(BinaryPrimitives.ReadInt64LittleEndian(buf));
                }

            default:
                var big = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
                return big >= long.MinValue && big <= long.MaxValue ? BoxInt((long)big) : big;
        }
    }
}
