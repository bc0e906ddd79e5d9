using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using Multiprocess.Managers.Python;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Referents;

/// <summary>
/// One <c>array.array</c> typecode on x86-64/arm64 Linux: item size, range and the conversion CPython's
/// <c>*_setitem</c> does, with its exact OverflowError/TypeError texts.
/// </summary>
internal sealed class ArrayTypecode
{
    private static readonly Dictionary<char, ArrayTypecode> s_codes = new()
    {
        ['b'] = new('b', 1, true, sbyte.MinValue, sbyte.MaxValue),
        ['B'] = new('B', 1, false, 0, byte.MaxValue),
        ['h'] = new('h', 2, true, short.MinValue, short.MaxValue),
        ['H'] = new('H', 2, false, 0, ushort.MaxValue),
        ['i'] = new('i', 4, true, int.MinValue, int.MaxValue),
        ['I'] = new('I', 4, false, 0, uint.MaxValue),
        ['l'] = new('l', 8, true, long.MinValue, long.MaxValue),
        ['L'] = new('L', 8, false, 0, ulong.MaxValue),
        ['q'] = new('q', 8, true, long.MinValue, long.MaxValue),
        ['Q'] = new('Q', 8, false, 0, ulong.MaxValue),
        ['f'] = new('f', 4, true, 0, 0),
        ['d'] = new('d', 8, true, 0, 0),
        ['u'] = new('u', 4, false, 0, 0),
        ['w'] = new('w', 4, false, 0, 0),
    };

    private static readonly BigInteger s_longMin = long.MinValue;
    private static readonly BigInteger s_longMax = long.MaxValue;

    private readonly bool _signed;
    private readonly BigInteger _min;
    private readonly BigInteger _max;

    private ArrayTypecode(char code, int size, bool signed, BigInteger min, BigInteger max)
    {
        Code = code;
        ItemSize = size;
        _signed = signed;
        _min = min;
        _max = max;
    }

    public char Code { get; }

    public int ItemSize { get; }

    public bool IsFloat => Code is 'f' or 'd';

    public bool IsUnicode => Code is 'u' or 'w';

    /// <exception cref="PyRaisedException">TypeError or ValueError for a bad typecode, as <c>array.array</c> raises.</exception>
    public static ArrayTypecode Get(object? typecode)
    {
        if (typecode is not string s || s.Length != 1)
        {
            throw PyErrors.TypeError(typecode is string
                ? "array() argument 1 must be a unicode character, not str"
                : $"array() argument 1 must be a unicode character, not {PyRepr.TypeName(typecode)}");
        }

        return s_codes.TryGetValue(s[0], out var code)
            ? code
            : throw PyErrors.ValueError("bad typecode (must be b, B, u, h, H, i, I, l, L, q, Q, f or d)");
    }

    /// <summary>Converts a value for storage: range-checked int, float (rounded to float32 for 'f'), or one character.</summary>
    public object Convert(object? value)
    {
        if (IsUnicode)
        {
            return value is string s && CodePoints.Single(s) >= 0
                ? s
                : throw PyErrors.TypeError("array item must be unicode character");
        }

        if (IsFloat)
        {
            var d = PyValues.AsDouble(value);
            return Code == 'f' ? (double)(float)d : d;
        }

        if (!PyValues.IsInt(value))
        {
            throw PyErrors.TypeError($"'{PyRepr.TypeName(value)}' object cannot be interpreted as an integer");
        }

        var v = value switch
        {
            long l => l,
            bool b => b ? 1 : 0,
            int i => i,
            _ => (BigInteger)value!,
        };
        CheckRange(v);
        return v >= s_longMin && v <= s_longMax ? (object)(long)v : v;
    }

    public void Write(Span<byte> destination, object value)
    {
        switch (Code)
        {
            case 'f':
                BinaryPrimitives.WriteSingleLittleEndian(destination, (float)(double)value);
                break;
            case 'd':
                BinaryPrimitives.WriteDoubleLittleEndian(destination, (double)value);
                break;
            case 'u' or 'w':
                BinaryPrimitives.WriteInt32LittleEndian(destination, CodePoints.Single((string)value));
                break;
            default:
                // Two's complement, little-endian, ItemSize bytes (values were range-checked on the way in).
                var bits = value is long l ? unchecked((ulong)l) : (ulong)(BigInteger)value;
                switch (ItemSize)
                {
                    case 1:
                        destination[0] = (byte)bits;
                        break;
                    case 2:
                        BinaryPrimitives.WriteUInt16LittleEndian(destination, (ushort)bits);
                        break;
                    case 4:
                        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)bits);
                        break;
                    default:
                        BinaryPrimitives.WriteUInt64LittleEndian(destination, bits);
                        break;
                }

                break;
        }
    }

    public object Read(ReadOnlySpan<byte> source)
    {
        switch (Code)
        {
            case 'f':
                return (double)BinaryPrimitives.ReadSingleLittleEndian(source);
            case 'd':
                return BinaryPrimitives.ReadDoubleLittleEndian(source);
            case 'u' or 'w':
                var cp = BinaryPrimitives.ReadInt32LittleEndian(source);
                return Rune.IsValid(cp) ? new Rune(cp).ToString() : ((char)cp).ToString();
            default:
                return (ItemSize, _signed) switch
                {
                    (1, true) => (long)(sbyte)source[0],
                    (1, false) => (long)source[0],
                    (2, true) => (long)BinaryPrimitives.ReadInt16LittleEndian(source),
                    (2, false) => (long)BinaryPrimitives.ReadUInt16LittleEndian(source),
                    (4, true) => (long)BinaryPrimitives.ReadInt32LittleEndian(source),
                    (4, false) => (long)BinaryPrimitives.ReadUInt32LittleEndian(source),
                    (_, true) => BinaryPrimitives.ReadInt64LittleEndian(source),
                    _ => BinaryPrimitives.ReadUInt64LittleEndian(source) is var u && u <= long.MaxValue ? (long)u : (object)new BigInteger(u),
                };
        }
    }

    private void CheckRange(BigInteger v)
    {
        // CPython converts through different C types per code, hence the varied messages (observed on 3.8–3.13).
        switch (Code)
        {
            case 'b':
                LongRange(v);
                Check(v, short.MinValue, short.MaxValue, "signed short integer");
                Check(v, sbyte.MinValue, sbyte.MaxValue, "signed char");
                break;
            case 'B':
                LongRange(v);
                Check(v, 0, byte.MaxValue, "unsigned byte integer");
                break;
            case 'h':
                LongRange(v);
                Check(v, short.MinValue, short.MaxValue, "signed short integer");
                break;
            case 'H':
                LongRange(v);
                Check(v, int.MinValue, int.MaxValue, "signed integer");
                Check(v, 0, ushort.MaxValue, "unsigned short");
                break;
            case 'i':
                LongRange(v);
                Check(v, int.MinValue, int.MaxValue, "signed integer");
                break;
            case 'I' or 'L':
                if (v.Sign < 0)
                {
                    throw PyErrors.OverflowError("can't convert negative value to unsigned int");
                }

                if (v > ulong.MaxValue)
                {
                    throw PyErrors.OverflowError("Python int too large to convert to C unsigned long");
                }

                Check(v, 0, _max, "unsigned int");
                break;
            case 'l':
                LongRange(v);
                break;
            case 'q':
                if (v < s_longMin || v > s_longMax)
                {
                    throw PyErrors.OverflowError("int too big to convert");
                }

                break;
            case 'Q':
                if (v.Sign < 0)
                {
                    throw PyErrors.OverflowError("can't convert negative int to unsigned");
                }

                if (v > _max)
                {
                    throw PyErrors.OverflowError("int too big to convert");
                }

                break;
        }

        static void LongRange(BigInteger v)
        {
            if (v < s_longMin || v > s_longMax)
            {
                throw PyErrors.OverflowError("Python int too large to convert to C long");
            }
        }

        static void Check(BigInteger v, BigInteger min, BigInteger max, string what)
        {
            if (v > max)
            {
                throw PyErrors.OverflowError($"{what} is greater than maximum");
            }

            if (v < min)
            {
                throw PyErrors.OverflowError($"{what} is less than minimum");
            }
        }
    }
}
