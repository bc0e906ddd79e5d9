using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace Multiprocess.Pickle;

/// <summary>
/// Unpickles the request a stock manager proxy sends, <c>(ident, methodname, args, kwds)</c> (managers.py
/// <c>BaseProxy._callmethod</c>: <c>conn.send((self._id, methodname, args, kwds))</c>), without allocating the request
/// tuple, the args tuple or the empty kwds dict: the parts are handed out separately, and the args tuple is one this
/// instance reuses for every request of its arity. Anything it does not recognise byte for byte is left to
/// <see cref="PickleSerializer.Loads(ReadOnlySpan{byte}, UnpickleOptions?)"/>, which also reports the error and its
/// offset when the input is malformed.
/// </summary>
/// <remarks>
/// <para>Recognised, exactly as CPython 3.8–3.13 (protocol 4) and 3.14 (protocol 5) pickle it, and as multiprocess
/// 0.70.x (dill's pure-Python pickler) does:</para>
/// <code>
/// PROTO 4|5 · [FRAME n, n = the rest of the input] · MARK
///   SHORT_BINUNICODE ident MEMOIZE · SHORT_BINUNICODE methodname MEMOIZE     (ASCII)
///   EMPTY_TUPLE | item{1..3} TUPLE1|TUPLE2|TUPLE3 MEMOIZE                    (args)
///   EMPTY_DICT MEMOIZE                                                       (kwds)
/// TUPLE MEMOIZE STOP                                                          (STOP is the last byte)
/// item: NONE | NEWTRUE | NEWFALSE | BININT1 | BININT2 | BININT | LONG1 (≤ 8 bytes) | BINFLOAT
///     | SHORT_BINUNICODE (ASCII) MEMOIZE
/// </code>
/// <para>Every value is the one the general unpickler with the default options makes of the same bytes (same type,
/// same value; ints through its shared boxes of -5…65,535): the fast path never accepts what <c>Loads</c> would
/// reject or read differently (<c>RequestUnpicklerTests</c> checks that on mutated requests). The ident (the same
/// on every request of a proxy's connection) and the last 8 method names are kept and reused; string arguments go
/// through a hashed cache of 64. What it still allocates: an int outside -5…65,535 (its box), a float, a new ident or
/// method name, a string argument not in its cache or longer than 48 bytes.</para>
/// <para>Not thread-safe: one instance per connection, whose requests are read one at a time. The args tuple is
/// valid until the next <see cref="TryLoad"/> or <see cref="Clear"/>; a caller that keeps it past the call must
/// copy it.</para>
/// </remarks>
public sealed class RequestUnpickler
{
    /// <summary>The most positional arguments recognised (TUPLE3; a longer args tuple is pickled with MARK … TUPLE).</summary>
    public const int MaxArgs = 3;

    // One reused args tuple per arity; PyTuple.Empty for none.
    private readonly PyTuple[] _args = [PyTuple.Empty, new([null]), new([null, null]), new([null, null, null])];
    private readonly object?[] _items = new object?[MaxArgs];
    private readonly string?[] _strings = new string?[Unpickler.StringCacheSize];

    // The ident and the method names get caches of their own, apart from the hashed one of argument strings: two of
    // them falling into one hashed slot evicted each other on every call (an ident and "acquire": 88 B per call, for
    // the 1 in 64 objects whose ident hashed there). A proxy's connection calls one object, with a few method names.
    // Each with its ASCII bytes: a request is matched against them byte for byte (SequenceEqual), cheaper than
    // comparing bytes with chars, and bytes equal to checked ASCII need no check of their own.
    private readonly string?[] _names = new string?[8];
    private readonly byte[]?[] _nameBytes = new byte[]?[8];
    private string _ident = string.Empty;
    private byte[] _identBytes = [];
    private int _nextName;
    private PyTuple _last = PyTuple.Empty;

    /// <summary>Decodes a request if it has the stock shape; otherwise returns false and leaves it to the unpickler.</summary>
    /// <param name="data">One whole frame's payload.</param>
    /// <param name="ident">The object's id (<c>self._id</c>).</param>
    /// <param name="methodName">The method name.</param>
    /// <param name="args">The positional arguments, in a tuple reused by the next call of this instance.</param>
    /// <returns>True when the request was recognised (its kwds is an empty dict); false for anything else.</returns>
    public bool TryLoad(ReadOnlySpan<byte> data, out string ident, out string methodName, out PyTuple args)
    {
        ident = methodName = string.Empty;
        args = PyTuple.Empty;
        Clear();

        // PROTO 4|5: protocols 2 and 3 have no FRAME or MEMOIZE; a client writing them is rare and takes the
        // general path. STOP must end the input: Loads ignores bytes after it, this path does not bother.
        if (data.Length < 4 || data[0] != Opcodes.PROTO || data[1] is not (4 or 5) || data[^1] != Opcodes.STOP)
        {
            return false;
        }

        var p = 2;
        if (data[p] == Opcodes.FRAME)
        {
            // FRAME's uint8 length: 1 opcode + 8 bytes; the frame must be the rest of the input, exactly (Loads also
            // takes a shorter frame followed by more, which CPython never writes for a request this small).
            if (data.Length < 11 || BinaryPrimitives.ReadUInt64LittleEndian(data.Slice(3, 8)) != (ulong)(data.Length - 11))
            {
                return false;
            }

            p = 11;
        }

        // The ident and method name are checked for ASCII only when they are not the ones this connection sent before.
        if (!Take(data, ref p, Opcodes.MARK)
            || !TryShortText(data, ref p, out var idBytes)
            || !TryShortText(data, ref p, out var nameBytes)
            || Ident(idBytes) is not { } id
            || MethodName(nameBytes) is not { } name)
        {
            return false;
        }

        int count;
        if (Take(data, ref p, Opcodes.EMPTY_TUPLE))
        {
            // CPython writes () without MEMOIZE (the empty tuple is a singleton).
            count = 0;
        }
        else
        {
            count = 0;
            while (true)
            {
                if ((uint)p >= (uint)data.Length)
                {
                    return Fail();
                }

                var op = data[p];
                if (op is Opcodes.TUPLE1 or Opcodes.TUPLE2 or Opcodes.TUPLE3)
                {
                    // TUPLEn takes the n items above it: any other count would nest differently under Loads.
                    if (count != op - Opcodes.TUPLE1 + 1)
                    {
                        return Fail();
                    }

                    p++;
                    break;
                }

                if (count == MaxArgs || !TryItem(data, ref p, out _items[count]))
                {
                    return Fail();
                }

                count++;
            }

            if (!Take(data, ref p, Opcodes.MEMOIZE))
            {
                return Fail();
            }
        }

        // kwds: {} (a stock proxy's _callmethod default, or the empty **kwds of an autoproxy method), then the
        // request's own TUPLE; STOP (checked above) must be the next and last byte.
        if (!Take(data, ref p, Opcodes.EMPTY_DICT)
            || !Take(data, ref p, Opcodes.MEMOIZE)
            || !Take(data, ref p, Opcodes.TUPLE)
            || !Take(data, ref p, Opcodes.MEMOIZE)
            || p != data.Length - 1)
        {
            return Fail();
        }

        var tuple = _args[count];
        if (count > 0)
        {
            // At most 3 references: a loop, not Span<object>.CopyTo/Clear (their shared generic code and the
            // runtime's bulk copy with write barriers cost ~190 instructions per request under the JIT).
            var items = tuple.Items;
            for (var i = 0; i < count; i++)
            {
                items[i] = _items[i];
                _items[i] = null;
            }

            tuple.ForgetHash();
        }

        _last = tuple;
        ident = id;
        methodName = name;
        args = tuple;
        return true;
    }

    /// <summary>Drops the references the last request's args hold (a session idle for hours should not keep a large value alive).</summary>
    public void Clear()
    {
        if (_last.Count > 0)
        {
            var items = _last.Items;
            for (var i = 0; i < items.Length; i++)
            {
                items[i] = null;
            }

            _last.ForgetHash();
            _last = PyTuple.Empty;
        }
    }

    private bool Fail()
    {
        _items.AsSpan().Clear();
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Take(ReadOnlySpan<byte> data, ref int p, byte op)
    {
        if ((uint)p < (uint)data.Length && data[p] == op)
        {
            p++;
            return true;
        }

        return false;
    }

    /// <summary>One argument: the scalars a proxy call usually carries, boxed as the unpickler boxes them.</summary>
    private bool TryItem(ReadOnlySpan<byte> data, ref int p, out object? value)
    {
        value = null;
        var rest = data.Length - p - 1;   // bytes after the opcode
        switch (data[p])
        {
            case Opcodes.NONE:
                p += 1;
                return true;
            case Opcodes.NEWTRUE:
                value = Unpickler.BoxedTrue;
                p += 1;
                return true;
            case Opcodes.NEWFALSE:
                value = Unpickler.BoxedFalse;
                p += 1;
                return true;
            case Opcodes.BININT1 when rest >= 1:
                value = Unpickler.BoxInt(data[p + 1]);
                p += 2;
                return true;
            case Opcodes.BININT2 when rest >= 2:
                value = Unpickler.BoxInt(BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(p + 1, 2)));
                p += 3;
                return true;
            case Opcodes.BININT when rest >= 4:
                value = Unpickler.BoxInt(BinaryPrimitives.ReadInt32LittleEndian(data.Slice(p + 1, 4)));
                p += 5;
                return true;
            case Opcodes.LONG1 when rest >= 1 && data[p + 1] <= 8 && rest - 1 >= data[p + 1]:
                // Up to 8 bytes fit a long: the unpickler's own decode_long, so the same value and box.
                value = Unpickler.DecodeLong(data.Slice(p + 2, data[p + 1]));
                p += 2 + data[p + 1];
                return true;
            case Opcodes.BINFLOAT when rest >= 8:
                value = BinaryPrimitives.ReadDoubleBigEndian(data.Slice(p + 1, 8));
                p += 9;
                return true;
            case Opcodes.SHORT_BINUNICODE:
                if (TryAscii(data, ref p, out var text))
                {
                    value = Cached(text);
                    return true;
                }

                return false;
            default:
                return false;
        }
    }

    /// <summary>SHORT_BINUNICODE of ASCII text, then MEMOIZE (CPython memoizes every str it writes).</summary>
    private static bool TryAscii(ReadOnlySpan<byte> data, ref int p, out ReadOnlySpan<byte> text)
    {
        if (!TryShortText(data, ref p, out text))
        {
            return false;
        }

        if (!Ascii.IsValid(text))
        {
            // UTF-8 beyond ASCII (or invalid UTF-8, which Loads rejects with its offset): the general path.
            text = default;
            return false;
        }

        return true;
    }

    /// <summary>SHORT_BINUNICODE n bytes MEMOIZE, its bytes not checked yet (the caller checks them for ASCII).</summary>
    private static bool TryShortText(ReadOnlySpan<byte> data, ref int p, out ReadOnlySpan<byte> text)
    {
        text = default;
        // opcode, uint1 length, the bytes, MEMOIZE
        if ((uint)(p + 1) >= (uint)data.Length || data[p] != Opcodes.SHORT_BINUNICODE)
        {
            return false;
        }

        var length = data[p + 1];
        if (data.Length - (p + 2) < length + 1 || data[p + 2 + length] != Opcodes.MEMOIZE)
        {
            return false;
        }

        text = data.Slice(p + 2, length);
        p += 2 + length + 1;
        return true;
    }

    /// <summary>The object's id: the same on every request of a proxy's connection.</summary>
    /// <returns>Null when the bytes are not ASCII (the request goes to the general path).</returns>
    private string? Ident(ReadOnlySpan<byte> text)
    {
        if (text.SequenceEqual(_identBytes))
        {
            return _ident;
        }

        if (!Ascii.IsValid(text))
        {
            return null;
        }

        _identBytes = text.ToArray();
        return _ident = Encoding.ASCII.GetString(text);
    }

    /// <summary>The method name: one of the last 8 this connection called, or a new string (replacing the oldest).</summary>
    /// <returns>Null when the bytes are not ASCII (the request goes to the general path).</returns>
    private string? MethodName(ReadOnlySpan<byte> text)
    {
        for (var i = 0; i < _nameBytes.Length; i++)
        {
            if (_nameBytes[i] is { } bytes && text.SequenceEqual(bytes))
            {
                return _names[i];
            }
        }

        if (!Ascii.IsValid(text))
        {
            return null;
        }

        var name = Encoding.ASCII.GetString(text);
        var slot = _nextName++ & (_names.Length - 1);
        _names[slot] = name;
        _nameBytes[slot] = text.ToArray();
        return name;
    }

    /// <summary>A string argument (a dict key, say): from a hashed cache of the last 64, or decoded.</summary>
    private string Cached(ReadOnlySpan<byte> ascii)
    {
        if (ascii.Length is 0 or > Unpickler.MaxCachedStringBytes)
        {
            return Encoding.ASCII.GetString(ascii);
        }

        var slot = Unpickler.StringSlot(ascii);
        var cached = _strings[slot];
        if (cached is not null && cached.Length == ascii.Length && Ascii.Equals(ascii, cached))
        {
            return cached;
        }

        return _strings[slot] = Encoding.ASCII.GetString(ascii);
    }
}
