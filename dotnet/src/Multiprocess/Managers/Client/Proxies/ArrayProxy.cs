using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client.Proxies;

/// <summary>
/// An <c>array.array</c> in the manager (type id <c>Array</c>, CPython's <c>ArrayProxy</c>: <c>__len__</c>,
/// <c>__getitem__</c>, <c>__setitem__</c>). Out-of-range values fail in the manager (OverflowError, TypeError).
/// </summary>
public sealed class ArrayProxy : BaseProxy
{
    /// <summary>Initializes a new instance of the <see cref="ArrayProxy"/> class.</summary>
    /// <param name="args">What the manager passes to proxy factories.</param>
    public ArrayProxy(ProxyArgs args)
        : base(args)
    {
    }

    /// <summary>Gets the number of items (<c>len(a)</c>).</summary>
    public int Length => checked((int)(long)CallMethod("__len__")!);

    /// <inheritdoc/>
    protected override string PythonProxyClass => "ArrayProxy";

    /// <summary>Gets or sets an item (<c>a[index]</c>).</summary>
    /// <param name="index">The index; negative counts from the end.</param>
    /// <returns>The item (<see cref="long"/>, <see cref="double"/> or a one-character string).</returns>
    /// <exception cref="ArgumentOutOfRangeException">The index is out of range (IndexError).</exception>
    public object? this[int index]
    {
        get => CallMethod("__getitem__", PyTuple.Create((long)index));
        set => CallMethod("__setitem__", PyTuple.Create((long)index, value));
    }

    /// <summary>
    /// Returns a copy of the items in one call: the array arrives as <c>array._array_reconstructor(array,
    /// typecode, mformat_code, bytes)</c> (or <c>array.array(typecode, list)</c>) and is decoded here.
    /// </summary>
    /// <returns>The items.</returns>
    /// <exception cref="NotSupportedException">The array's machine format is unknown.</exception>
    public List<object?> ToList() => Decode(GetValue());

    /// <summary>Returns the number of items asynchronously.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The length.</returns>
    public async ValueTask<int> LengthAsync(CancellationToken cancellationToken = default) =>
        checked((int)(long)(await CallMethodAsync("__len__", cancellationToken: cancellationToken).ConfigureAwait(false))!);

    /// <summary>Gets an item asynchronously.</summary>
    /// <param name="index">The index.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The item.</returns>
    public ValueTask<object?> GetItemAsync(int index, CancellationToken cancellationToken = default) =>
        CallMethodAsync("__getitem__", PyTuple.Create((long)index), cancellationToken: cancellationToken);

    /// <summary>Sets an item asynchronously.</summary>
    /// <param name="index">The index.</param>
    /// <param name="value">The value.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the item is set.</returns>
    public async ValueTask SetItemAsync(int index, object? value, CancellationToken cancellationToken = default) =>
        await CallMethodAsync("__setitem__", PyTuple.Create((long)index, value), cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Decodes the pickled array: <c>array.array(typecode, bytes)</c> (what managers send: machine bytes of the
    /// manager's platform, little-endian here), <c>array.array(typecode, list)</c>, or
    /// <c>_array_reconstructor(cls, typecode, mformat_code, bytes)</c> (arraymodule.c machine formats 0–21).
    /// </summary>
    internal static List<object?> Decode(object? value)
    {
        if (value is PyReduce { Kind: PyReduceKind.Reduce, Args: { Count: 2 } a2 } r2 && r2.Callable is PyGlobal { Module: "array", Name: "array" } && a2[0] is string code)
        {
            switch (a2[1])
            {
                case List<object?> items0:
                    return items0;
                case byte[] raw:
                    // arraymodule.c descriptors on LP64 Linux: b/B 1, u/w 4 (wchar_t, Py_UCS4), h/H 2, i/I 4, l/L/q/Q 8, f 4, d 8
                    var (size, kind) = code switch
                    {
                        "b" => (1, 's'), "B" => (1, 'u'),
                        "h" => (2, 's'), "H" => (2, 'u'),
                        "i" => (4, 's'), "I" => (4, 'u'),
                        "l" or "q" => (8, 's'), "L" or "Q" => (8, 'u'),
                        "f" => (4, 'f'), "d" => (8, 'f'),
                        "u" or "w" => (4, 'c'),
                        _ => throw new NotSupportedException($"Unknown array typecode '{code}'"),
                    };
                    return DecodeAll(raw, size, kind, bigEndian: !BitConverter.IsLittleEndian, signedByte: code == "b");
            }
        }

        if (value is not PyReduce { Args.Count: 4 } r || r.Callable is not PyGlobal { Name: "_array_reconstructor" }
            || r.Args[2] is not long format || r.Args[3] is not byte[] bytes)
        {
            throw new NotSupportedException($"Expected a pickled array.array, got {PyRepr.Repr(value)}");
        }

        // arraymodule.c enum machine_format_code: size and signedness per code; from 2 on, even codes are little-endian.
        var (itemSize, itemKind) = format switch
        {
            0 => (1, 'u'),
            1 => (1, 's'),
            >= 2 and <= 5 => (2, format < 4 ? 'u' : 's'),
            >= 6 and <= 9 => (4, format < 8 ? 'u' : 's'),
            >= 10 and <= 13 => (8, format < 12 ? 'u' : 's'),
            14 or 15 => (4, 'f'),
            16 or 17 => (8, 'f'),
            18 or 19 => (2, 'c'),
            20 or 21 => (4, 'c'),
            _ => throw new NotSupportedException($"Unknown array machine format code {format}"),
        };
        return DecodeAll(bytes, itemSize, itemKind, bigEndian: format >= 2 && format % 2 == 1, signedByte: format == 1);
    }

    private static List<object?> DecodeAll(byte[] bytes, int size, char kind, bool bigEndian, bool signedByte)
    {
        var items = new List<object?>(bytes.Length / size);
        for (var i = 0; i + size <= bytes.Length; i += size)
        {
            items.Add(DecodeItem(bytes.AsSpan(i, size), kind, bigEndian, signedByte));
        }

        return items;
    }

    private static object DecodeItem(ReadOnlySpan<byte> b, char kind, bool bigEndian, bool signedByte)
    {
        if (kind == 'c')
        {
            var encoding = b.Length == 2
                ? (bigEndian ? Encoding.BigEndianUnicode : Encoding.Unicode)
                : (bigEndian ? new UTF32Encoding(true, false) : Encoding.UTF32);
            return encoding.GetString(b);
        }

        if (kind == 'f')
        {
            return b.Length == 4
                ? (double)(bigEndian ? BinaryPrimitives.ReadSingleBigEndian(b) : BinaryPrimitives.ReadSingleLittleEndian(b))
                : bigEndian ? BinaryPrimitives.ReadDoubleBigEndian(b) : BinaryPrimitives.ReadDoubleLittleEndian(b);
        }

        var signed = kind == 's';
        switch (b.Length)
        {
            case 1:
                return signedByte ? (long)(sbyte)b[0] : (long)b[0];
            case 2:
                var u16 = bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b);
                return signed ? (long)(short)u16 : (long)u16;
            case 4:
                var u32 = bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b);
                return signed ? (long)(int)u32 : (long)u32;
            default:
                var u64 = bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(b) : BinaryPrimitives.ReadUInt64LittleEndian(b);
                return signed ? (long)u64 : u64 <= long.MaxValue ? (long)u64 : (object)new BigInteger(u64);
        }
    }
}
